"""Turning what a specialist typed into the full-text queries a search runs: the words as typed,
misspellings corrected against the words our listings use, and the field's synonyms."""

import functools
import re
import time
import unicodedata
from collections.abc import Callable

import asyncpg

from schemas.synonyms import SYNONYMS
from service.queries.resources import select_corrections

MAX_ALTERNATIVES = 8
_WORD = re.compile(r"[a-z0-9]+")
# Words inside a synonym phrase are never "corrected": "bupe" is a word for buprenorphine, not a typo.
_SYNONYM_WORDS = frozenset(word for group in SYNONYMS for phrase in group for word in phrase.split())


def fold(text: str) -> str:
    """Lower case without accents, as the search vocabulary stores words."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def words_to_check(query: str) -> list[str]:
    """The words of a query that a typo could hide in (3+ letters, not a synonym's word)."""
    return sorted({word for word in _WORD.findall(fold(query)) if 3 <= len(word) <= 40 and word not in _SYNONYM_WORDS})


@functools.cache
def _phrase(phrase: str) -> re.Pattern[str]:
    """A synonym phrase as a whole-word pattern (compiled once: alternatives() took 1 ms without)."""
    return re.compile(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])")


def alternatives(query: str, corrections: dict[str, str]) -> list[str]:
    """The query, its corrected form, and each with every synonym of a phrase it contains."""
    folded = " ".join(fold(query).split())
    found = [folded]
    corrected = " ".join(corrections.get(word, word) for word in folded.split())
    if corrected != folded:
        found.append(corrected)
    for text in list(found):
        for group in SYNONYMS:
            for phrase in group:
                if phrase in text and _phrase(phrase).search(text):
                    found += [_phrase(phrase).sub(other, text) for other in group if other != phrase]
    return list(dict.fromkeys(found))[:MAX_ALTERNATIVES]


class Corrections:
    """The corrections of words checked lately, per worker, each kept for ttl seconds (a trigram lookup
    saved on every repeated search). The vocabulary changes only with listings, and a correction only
    adds a phrasing to the words as typed, so a stale one adds or misses an alternative for a while."""

    def __init__(self, ttl: float = 60.0, size: int = 4_096, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.size, self.clock = ttl, size, clock
        self.known: dict[str, tuple[str | None, float]] = {}

    async def of(self, conn: asyncpg.Connection, words: list[str]) -> dict[str, str]:
        """Corrections for the words no listing uses, looking up only those not known or expired."""
        now = self.clock()
        wanted = [word for word in words if (known := self.known.get(word)) is None or known[1] <= now]
        if wanted:
            found = await select_corrections(conn, wanted)
            for word in wanted:
                self.known.pop(word, None)
                while len(self.known) >= self.size:
                    del self.known[next(iter(self.known))]
                self.known[word] = (found.get(word), now + self.ttl)
        return {word: correction for word in words if (correction := self.known[word][0]) is not None}
