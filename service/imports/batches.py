"""An import batch: incoming records checked one by one, cross-references resolved, ids assigned.

Readers (service/imports/formats.py) turn each input format into calls on Batch; Batch keeps the rows
that pass and a Rejection for each that does not, naming file, line and reason. Nothing here
touches the database.
"""

import datetime as dt
import hashlib
import html
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import msgspec

from schemas.capacity import KNOWN_UNITS, MAX_COUNT, UNIT_PATTERN
from schemas.imports import EntityCounts, Flag, Rejection
from service.imports.spools import Spool
from service.search.geo import timezone_at, zip_centroid

# UUIDv5 namespace for ids derived from (source, entity, source id); fixed forever.
ID_NAMESPACE = uuid.UUID("6f2b1c1e-2f0e-5e8e-9d0c-4c0d6a3b7e11")
ENTITIES = (
    "organization",
    "location",
    "service",
    "service_at_location",
    "phone",
    "schedule",
    "taxonomy",
    "taxonomy_term",
    "service_taxonomy_term",
    "service_capacity",
)
STATUSES = {"active", "inactive", "defunct", "temporarily closed"}
PHONE_TYPES = {"text", "voice", "fax", "cell", "video", "pager", "textphone"}
LOCATION_TYPES = {"physical", "postal", "virtual"}
CATEGORY_TAXONOMY = "c0a5f3b4-6d1e-5b8a-9c3f-0e7d2a41b9c6"
ELIGIBILITY_TAXONOMY = "e1b9a0d2-4c3f-5a7e-8b6d-2f1c0e9a7b35"
OWN_TAXONOMIES = {CATEGORY_TAXONOMY: "category", ELIGIBILITY_TAXONOMY: "eligibility"}
WEEKDAYS = {
    "mo": 1,
    "mon": 1,
    "monday": 1,
    "tu": 2,
    "tue": 2,
    "tues": 2,
    "tuesday": 2,
    "we": 3,
    "wed": 3,
    "wednesday": 3,
    "th": 4,
    "thu": 4,
    "thur": 4,
    "thurs": 4,
    "thursday": 4,
    "fr": 5,
    "fri": 5,
    "friday": 5,
    "sa": 6,
    "sat": 6,
    "saturday": 6,
    "su": 7,
    "sun": 7,
    "sunday": 7,
}
# Free-text language names seen in 211 exports, to ISO 639 codes.
LANGUAGE_NAMES = {
    "english": "en",
    "spanish": "es",
    "español": "es",
    "french": "fr",
    "chinese": "zh",
    "mandarin": "zh",
    "cantonese": "yue",
    "vietnamese": "vi",
    "korean": "ko",
    "russian": "ru",
    "arabic": "ar",
    "tagalog": "tl",
    "portuguese": "pt",
    "haitian creole": "ht",
    "creole": "ht",
    "german": "de",
    "italian": "it",
    "polish": "pl",
    "hindi": "hi",
    "urdu": "ur",
    "bengali": "bn",
    "farsi": "fa",
    "persian": "fa",
    "amharic": "am",
    "somali": "so",
    "swahili": "sw",
    "japanese": "ja",
    "hmong": "hmn",
    "nepali": "ne",
    "ukrainian": "uk",
    "asl": "ase",
    "american sign language": "ase",
    "sign language": "sgn",
    "yoruba": "yo",
    "igbo": "ig",
    "greek": "el",
    "hebrew": "he",
    "turkish": "tr",
    "punjabi": "pa",
    "gujarati": "gu",
    "tigrinya": "ti",
}
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_URL = re.compile(r"^https?://[^\s/?#\[\]@]+(?:[/?#]\S*)?$")  # as schemas.fields.Url
_BARE_DOMAIN = re.compile(r"^(www\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(/\S*)?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SPAN = re.compile(r"^\s*(.+?)\s*(?:-|\u2013|\u2014|\bto\b)\s*(.+?)\s*$", re.IGNORECASE)
_ALL_DAY = re.compile(r"\b24\s*(?:hours|hrs|h)\b|\b24\s*/\s*7\b|\ball day\b", re.IGNORECASE)
_CLOSED = re.compile(r"^\s*closed\.?\s*$", re.IGNORECASE)
# What exports leave in free text: literal backslash escapes, HTML, and trailing markers such as ###MON###.
_ESCAPES = re.compile(r"\\r\\n|\\n|\\t")
_ESCAPED = {"\\r\\n": "\n", "\\n": "\n", "\\t": " "}
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
_HTML_ENTITY = re.compile(r"&(?:[A-Za-z]{2,8}|#\d{1,6}|#x[0-9A-Fa-f]{1,6});")
_HTML_BREAK = re.compile(r"<br\s*/?>|</p>|</div>", re.IGNORECASE)
_HTML_ITEM = re.compile(r"<li(?:\s[^<>]*)?>", re.IGNORECASE)
_MARKERS = re.compile(r"(?:\s*#{2,}[A-Z0-9_]{1,20}#{2,})+\s*$")
# A phone number followed by its extension: "503-555-0100 ext. 12", "x12", "#12".
_EXTENSION = re.compile(r"^(.*?\d)\s*(?:,|;)?\s*(?:ext\.?|extension|x|#)\s*(\d{1,8})\s*$", re.IGNORECASE)
_KEYPAD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "22233344455566677778889999")
_ISO_CLOCK = re.compile(r"^\d{2}:\d{2}(?::\d{2})?$")  # a time as HSDS writes it: kept as given
_CLOCK = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*([ap]\.?m\.?)?\s*$", re.IGNORECASE)


# How a placeholder organization is named (queries.select_placeholders finds those not renamed yet).
PLACEHOLDER_NAME = "Unknown organization "
# The source id of the placeholder for services that name no organization at all.
NO_ORGANIZATION = "~no-organization"


# A language's name as a word inside a phrase, the longest names first ("haitian creole" before "creole").
_LANGUAGE_NAMED = re.compile(
    r"\b(" + "|".join(re.escape(name) for name in sorted(LANGUAGE_NAMES, key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)


# "No Spanish spoken" names a language that is not offered: such phrases are not read.
_NEGATION = re.compile(r"\b(?:no|not|none|without|except|unavailable)\b", re.IGNORECASE)


class RowError(ValueError):
    """This row cannot be imported; the message is the reason shown in the report."""


class TextOnly(Exception):
    """This row states hours in words only ("by appointment", "Closed"): not an opening; kept as a flag
    that holds its words, for a person."""

    def __init__(self, flag: str, detail: str) -> None:
        super().__init__(detail)
        self.flag, self.detail = flag, detail


class Duplicate(Exception):
    """This row repeats one already read: it is kept once and counted, not rejected."""


@dataclass(frozen=True, slots=True)
class Where:
    """A row's place in the input."""

    file: str
    line: int


# -- value cleaning: each returns the stored value or raises RowError with the reason ---------


def text(value: Any, limit: int = 20_000, what: str = "text") -> str | None:
    """Stripped text, None when blank."""
    if value.__class__ is not str:  # the hot path is str; anything else is converted first
        if value is None:
            return None
        value = str(value)
    stripped: str = value.strip()
    if not stripped:
        return None
    if len(stripped) > limit:
        raise RowError(f"{what} is longer than {limit} characters")
    if "\x00" in stripped:
        raise RowError(f"nul_byte: {what} holds a NUL byte, which no text may")
    return stripped


def _storable(encoded: str) -> str:
    """A row's originals as JSON PostgreSQL stores: jsonb holds no NUL character, which a value
    dropped for holding one still does; it is kept as U+FFFD, the character for one that cannot be."""
    if "\\u0000" not in encoded:
        return encoded
    return msgspec.json.encode(_replace_nul(msgspec.json.decode(encoded))).decode()


def _replace_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [_replace_nul(item) for item in value]
    if isinstance(value, dict):
        return {_replace_nul(key): _replace_nul(item) for key, item in value.items()}
    return value


def required_name(value: Any, what: str = "name") -> str:
    found = text(value, 300, what)
    if found is None:
        raise RowError(f"missing required {what}")
    return found


def coordinate(value: Any, low: float, high: float, what: str) -> float | None:
    raw = text(value, 64, what)
    if raw is None:
        return None
    try:
        number = float(raw)
    except ValueError:
        raise RowError(f"{what} {raw!r} is not a number") from None
    if not low <= number <= high:
        raise RowError(f"{what} {raw} is outside {low:g}..{high:g}")
    return number


def date(value: Any, what: str) -> dt.date | None:
    raw = text(value, 64, what)
    if raw is None:
        return None
    try:
        return dt.date.fromisoformat(raw[:10])
    except ValueError:
        raise RowError(f"{what} {raw!r} is not a date (YYYY-MM-DD)") from None


def clock(value: Any, what: str) -> dt.time | None:
    """09:00, 9:00:00, 9am, 5:30 PM; 24:00 is the end of the day (stored as 00:00 next day wraps)."""
    raw = text(value, 32, what)
    if raw is None:
        return None
    match = _CLOCK.match(raw)
    if not match:
        raise RowError(f"unparseable hours: {what} {raw!r}")
    hour, minute, second = int(match[1]), int(match[2] or 0), int(match[3] or 0)
    if match[4]:
        if not 1 <= hour <= 12:
            raise RowError(f"unparseable hours: {what} {raw!r}")
        hour = hour % 12 + (12 if match[4].lower().startswith("p") else 0)
    if hour == 24 and minute == 0 and second == 0:
        return dt.time.max  # marker for 24:00, see Batch.schedule
    if hour > 23 or minute > 59 or second > 59:
        raise RowError(f"unparseable hours: {what} {raw!r}")
    return dt.time(hour, minute, second)


def ages(minimum: Any, maximum: Any) -> dict[str, int | None]:
    """minimum_age and maximum_age in whole years (HSDS numbers; 17.0 is 17)."""
    found: dict[str, int | None] = {}
    for name, value in (("minimum_age", minimum), ("maximum_age", maximum)):
        raw = text(value, 16, name)
        try:
            age = None if raw is None else int(float(raw))
        except ValueError:
            raise RowError(f"{name} {raw!r} is not a number") from None
        if age is not None and not 0 <= age <= 130:
            raise RowError(f"{name} {raw} is outside 0..130")
        found[name] = age
    youngest, oldest = found["minimum_age"], found["maximum_age"]
    if youngest is not None and oldest is not None and youngest > oldest:
        raise RowError("minimum_age is above maximum_age")
    return found


def count(value: Any, what: str) -> int | None:
    """A whole count from 0 to MAX_COUNT (HSDS types it a number: 3.0 is 3, 2.5 is not a count)."""
    if value is None or isinstance(value, bool) or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError, OverflowError):
        raise RowError(f"{what} {str(value)[:40]!r} is not a number") from None
    if not number.is_integer() or not 0 <= number <= MAX_COUNT:
        raise RowError(f"{what} {str(value)[:40]!r} is not a whole count from 0 to {MAX_COUNT}")
    return int(number)


def instant(value: Any, what: str) -> tuple[dt.datetime, bool]:
    """An RFC 3339 date-time, and whether it gave no offset (then it is read as UTC)."""
    raw = text(value, 64, what)
    if raw is None:
        raise RowError(f"missing required {what}")
    try:
        parsed = dt.datetime.fromisoformat(raw)
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=dt.UTC), True
        return parsed.astimezone(dt.UTC), False
    except (ValueError, OverflowError):
        raise RowError(f"{what} {raw!r} is not a date-time (RFC 3339, e.g. 2026-12-01T09:30:00Z)") from None


def unit_id(slug: str) -> str:
    """The id our exports give a unit (hsds_unit_id() in schemas/sql/hsds.sql)."""
    digest = hashlib.md5(f"commonground-unit:{slug}".encode(), usedforsecurity=False).hexdigest()
    return str(uuid.UUID(digest[:12] + "3" + digest[13:16] + "8" + digest[17:]))


_UNIT = re.compile(UNIT_PATTERN)
_KNOWN_UNIT_IDS = {unit_id(slug): slug for slug in KNOWN_UNITS}
OWN_UNIT_SCHEME = "commonground"
# Future reports are clock skew up to this much; past it, a count that would read as current for ever.
_CLOCK_SKEW = dt.timedelta(minutes=10)


def _unit_slug(value: Any) -> str | None:
    """A name or identifier as a slug: "Naloxone Kits" is "naloxone-kits"."""
    words = re.sub(r"[^a-z0-9]+", "-", (text(value, 300, "unit") or "").lower()).strip("-")
    return words or None


def unit_slug(unit: Any, given_id: Any) -> tuple[str, str | None]:
    """Our unit for an HSDS 3.1 unit (an object, else only its id), and why it needs a look when it
    is not one we know: ours by identifier under our scheme; else a known unit by identifier or name
    (ignoring case, spaces and a plural s); else kept under its own name as a slug, flagged."""
    if not isinstance(unit, dict):
        sid = text(given_id, 200, "unit_id")
        if sid is None:
            raise RowError("missing required unit (an object with a name, or a unit_id)")
        if sid.lower() in _KNOWN_UNIT_IDS:
            return _KNOWN_UNIT_IDS[sid.lower()], None
        raise RowError(f"broken reference: unit_id {sid!r} matches no unit")
    identifier, name = unit.get("identifier"), unit.get("name")
    own = (text(unit.get("scheme"), 300, "scheme") or "").lower() == OWN_UNIT_SCHEME
    if own and isinstance(identifier, str) and _UNIT.match(identifier.strip()):
        return identifier.strip(), None
    for candidate in (_unit_slug(identifier), _unit_slug(name)):
        for slug in (candidate, candidate and candidate.removesuffix("s")):
            if slug in KNOWN_UNITS:
                return slug, None
    if (text(unit.get("id") or given_id, 200, "unit_id") or "").lower() in _KNOWN_UNIT_IDS:
        return _KNOWN_UNIT_IDS[str(unit.get("id") or given_id).strip().lower()], None
    for candidate in (_unit_slug(name), _unit_slug(identifier)):
        if candidate and _UNIT.match(candidate):
            shown = text(name, 300) or text(identifier, 300)
            return candidate, f"unit {shown!r} is none we know ({', '.join(KNOWN_UNITS)}); kept as {candidate!r}"
    raise RowError("unit has no name or identifier we can read as a unit (letters first, at most 64)")


def position(value: Any) -> int:
    raw = text(value, 16, "position")
    try:
        return 0 if raw is None else max(0, min(int(raw), 1_000_000))
    except ValueError:
        raise RowError(f"position {raw!r} is not a whole number") from None


class Cleaner:
    """Optional fields that are malformed are dropped with a flag instead of losing the row; each value
    changed or dropped is kept as given in `original` (field -> value), for the row's source record."""

    def __init__(self, batch: "Batch", entity: str, where: Where, sid: str | None) -> None:
        self.batch, self.entity, self.where, self.sid = batch, entity, where, sid
        self.original: dict[str, Any] = {}

    def drop(self, name: str, value: str, reason: str) -> None:
        self.original.setdefault(name, value)
        self.batch.flag(self.where, self.entity, self.sid, "field_dropped", f"{name} {value[:80]!r}: {reason}")

    def kept(self, fields: dict[str, Any]) -> dict[str, Any]:
        """The row's fields with the originals of what was changed (None when nothing was)."""
        fields["original"] = self.original or None
        return fields

    def url(self, value: Any, name: str = "url") -> str | None:
        raw = text(value, 2_000, name)
        if raw is None:
            return None
        if not _URL.match(raw) and _BARE_DOMAIN.match(raw):
            self.original[name] = raw
            raw = "http://" + raw
        if not _URL.match(raw):
            self.drop(name, raw, "not an http(s) URL")
            return None
        return raw

    def prose(self, value: Any, name: str = "description") -> str | None:
        """Free text as people read it: HTML made plain, literal \\n escapes made line breaks, and
        trailing export markers (###MON###) taken off; flagged text_normalised when any was."""
        raw = text(value, 20_000, name)
        if raw is None:
            return None
        done = []
        cleaned = raw
        if _ESCAPES.search(cleaned):
            cleaned = _ESCAPES.sub(lambda match: _ESCAPED[match[0]], cleaned)
            done.append("\\n escapes")
        if _HTML_TAG.search(cleaned) or (_HTML_ENTITY.search(cleaned) and html.unescape(cleaned) != cleaned):
            cleaned = _HTML_BREAK.sub("\n", cleaned)
            cleaned = _HTML_ITEM.sub("\n- ", cleaned)
            cleaned = html.unescape(_HTML_TAG.sub("", cleaned))
            done.append("HTML")
        if _MARKERS.search(cleaned):
            cleaned = _MARKERS.sub("", cleaned)
            done.append("trailing markers")
        if not done:
            return raw
        cleaned = re.sub(r"[ \t]+\n", "\n", re.sub(r"\n{3,}", "\n\n", cleaned.replace("\xa0", " "))).strip()
        self.original[name] = raw
        self.batch.flag(
            self.where,
            self.entity,
            self.sid,
            "text_normalised",
            f"{name}: {', '.join(done)} made plain; was {raw[:80]!r}",
        )
        return cleaned or None

    def email(self, value: Any, name: str = "email") -> str | None:
        raw = text(value, 320, name)
        if raw is None:
            return None
        if raw.lower().startswith("mailto:") or " " in raw:
            tidy = re.sub(r"\s+", "", raw.removeprefix("mailto:").removeprefix("MAILTO:"))
            if _EMAIL.match(tidy):
                self.original[name] = raw
                self.batch.flag(
                    self.where, self.entity, self.sid, "text_normalised", f"{name}: {raw!r} read as {tidy!r}"
                )
                raw = tidy
        if not _EMAIL.match(raw):
            self.drop(name, raw, "not an email address")
            return None
        return raw

    def languages(self, values: Iterable[Any]) -> list[str]:
        """ISO 639 codes, or language names mapped to them; other text is dropped with a flag."""
        values = list(values)
        codes: list[str] = []
        for value in values:
            for part in re.split(r"[,;/]|\.\s| and ", str(value or "")):
                word = part.strip().strip(".").strip()
                if not word:
                    continue
                code = LANGUAGE_NAMES.get(word.lower())
                if code is None and _LANGUAGE_CODE.match(word) and len(word) <= 3:
                    code = word
                named = (
                    [LANGUAGE_NAMES[n.lower()] for n in _LANGUAGE_NAMED.findall(word)]
                    if code is None and not _NEGATION.search(word)
                    else []
                )
                if code is None and not named:
                    self.drop("languages", word, "not a language name or ISO 639 code")
                    continue
                if named:
                    # "Spanish speaker available Fridays": the language a phrase names is offered.
                    detail = f"languages {word[:80]!r} read as {', '.join(dict.fromkeys(named))}"
                    self.batch.flag(self.where, self.entity, self.sid, "text_normalised", detail)
                for found in [code] if code is not None else named:
                    if found not in codes:
                        codes.append(found)
        given = [str(value) for value in values if value is not None and str(value).strip()]
        if codes != given:
            self.original["languages"] = given
        return codes


class Batch:
    """Everything read from one input, checked and ready to load."""

    def __init__(self, source: str) -> None:
        self.source = source
        # The key of every row read, with the line it was first read at; the rows themselves wait in
        # the spool (so memory holds ids, not rows, whatever the size of the input).
        self.pending: dict[str, dict[str, int]] = {entity: {} for entity in ENTITIES}
        self.spool = Spool()
        self.counts: dict[str, EntityCounts] = {entity: EntityCounts() for entity in ENTITIES}
        self.rejections: list[Rejection] = []
        self.flags: list[Flag] = []
        self.ignored_files: list[str] = []
        self.encodings: dict[str, str] = {}  # each CSV file read -> the encoding it was read in
        self.found_by: dict[str, str] = {}  # each table file -> the rule that found it in the package
        self.missing_files: list[str] = []  # files the package's descriptor declares but does not hold
        self.loaded: dict[str, int] = {}  # entity -> rows ready to load (finish; read them with rows())
        self._auto = 0
        self._positions: dict[tuple[str, str, str | None], int] = {}
        self.nested: set[tuple[str, str | None]] = set()
        # What the package holds, so a load removes only what it could have listed (see reconcile).
        self.present: set[str] = set()
        self.reconciled: list[tuple[str, str, str | None]] = []
        self.rejected_ids: set[tuple[str, str]] = set()
        self._referenced: dict[str, set[str]] = {entity: set() for entity in ENTITIES}
        self._phone_prints: dict[str, int] = {}
        self._phones: dict[tuple[Any, ...], str | None] = {}
        self._capacities: dict[tuple[Any, ...], str | None] = {}
        self.placeholders: set[str] = set()  # source ids of the placeholder organizations made
        self.kept: dict[str, dict[str, str]] = {}  # entity -> source id -> id of each row kept (finish)

    def rows(self, entity: str) -> Iterator[dict[str, Any]]:
        """The rows of an entity ready to load, in input order (after finish)."""
        return self.spool.read(f"out:{entity}")

    def links(self, kind: str) -> Iterator[tuple[str, str]]:
        """Pairs ready to load that are no entity's rows: service_category, service_eligibility, owner,
        original (a row's id and, as JSON, the values its input gave that were changed or dropped)."""
        return self.spool.read(f"out:{kind}")

    def close(self) -> None:
        """Remove what the batch spooled to disk."""
        self.spool.close()

    def _next_position(self, entity: str, refs: dict[str, tuple[str, str | None]], given: Any) -> int:
        """An explicit position, else the row's place among its owner's rows in input order."""
        ((column, (_, owner)),) = refs.items()
        key = (entity, column, owner)
        self._positions[key] = self._positions.get(key, -1) + 1
        return position(given) if text(given) is not None else self._positions[key]

    # -- bookkeeping -----------------------------------------------------------------------

    def reject(self, where: Where, entity: str, sid: str | None, reason: str) -> None:
        self.counts.setdefault(entity, EntityCounts()).rejected += 1
        if sid is not None:
            self.rejected_ids.add((entity, sid))  # listed but unreadable: what is stored stays
        self.rejections.append(Rejection(file=where.file, line=where.line, entity=entity, source_id=sid, reason=reason))

    def flag(self, where: Where, entity: str, sid: str | None, flag: str, detail: str) -> None:
        self.flags.append(
            Flag(file=where.file, line=where.line, entity=entity, source_id=sid, flag=flag, detail=detail)
        )

    def _add(self, entity: str, where: Where, sid: Any, build: Any) -> str | None:
        """Run build() -> (fields, refs); keep the row under its source id or reject it."""
        self.counts[entity].read += 1
        try:
            # A link's key joins two checked ids with a NUL, which no id holds.
            key = sid if entity == "service_taxonomy_term" else text(sid, 200, "id")
            if key is None:
                self._auto += 1
                key = f"{where.file}:{where.line}:{self._auto}"
            first = self.pending[entity].get(key)
            fields, refs = build()
            if first is not None:
                # A link row or a phone listed again as it was (other rows carry more than their fields
                # say: a flat CSV row's keys, a document's children).
                if entity == "service_taxonomy_term" or (
                    entity == "phone" and _print(fields, refs) == self._phone_prints.get(key)
                ):
                    raise Duplicate
                raise RowError(f"duplicate id {key!r} (first at line {first})")
        except Duplicate:
            self.counts[entity].duplicates_collapsed += 1
            return key
        except TextOnly as words:
            self.counts[entity].text_only += 1
            self.flag(where, entity, text(sid), words.flag, words.detail)
            return None
        except RowError as error:
            shown = str(sid).strip().replace("\x00", "\\0")[:200] if sid is not None else None
            self.reject(where, entity, shown or None, str(error))
            return None
        self.pending[entity][key] = where.line
        if entity == "phone":
            self._phone_prints[key] = _print(fields, refs)
        for target, referenced in refs.values():
            if referenced is not None:
                self._referenced[target].add(referenced)
        self.spool.write(f"in:{entity}", (where.file, where.line, key, fields, refs))
        return key

    def reconcile(self, child: str, owner: str, sid: Any) -> None:
        """This owner's document lists all its children of this kind (a JSON key holding a list)."""
        self.reconciled.append((child, owner, text(sid)))

    def has(self, entity: str, sid: str) -> bool:
        """Whether a row with this source id was already read."""
        return sid in self.pending[entity]

    def derived_id(self, entity: str, sid: str) -> str:
        """The source id itself when it is a UUID, else a UUIDv5 of source, entity and source id.

        Kept as text: asyncpg parses it on COPY, faster than building UUID objects here."""
        if _UUID.match(sid):
            if len(sid) != 36:
                return str(uuid.UUID(sid))
            lowered = sid.lower()
            return sid if lowered == sid else lowered  # one string held where the two are the same
        return str(uuid.uuid5(ID_NAMESPACE, f"{self.source}\x00{entity}\x00{sid}"))

    # -- records -----------------------------------------------------------------------------

    def organization(self, where: Where, sid: Any, raw: dict[str, Any]) -> str | None:
        def build() -> tuple[dict[str, Any], dict[str, Any]]:
            clean = Cleaner(self, "organization", where, text(sid))
            return clean.kept(
                {
                    "name": required_name(raw.get("name")),
                    "alternate_name": text(raw.get("alternate_name"), 300, "alternate_name"),
                    "description": clean.prose(raw.get("description")),
                    "email": clean.email(raw.get("email")),
                    "website": clean.url(raw.get("website"), "website"),
                }
            ), {}

        return self._add("organization", where, sid, build)

    def location(self, where: Where, sid: Any, organization: Any, raw: dict[str, Any]) -> str | None:
        def build() -> tuple[dict[str, Any], dict[str, Any]]:
            clean = Cleaner(self, "location", where, text(sid))
            latitude = coordinate(raw.get("latitude"), -90, 90, "latitude")
            longitude = coordinate(raw.get("longitude"), -180, 180, "longitude")
            if (latitude is None) != (longitude is None):
                raise RowError("latitude and longitude must be given together")
            if latitude == 0 and longitude == 0:
                # "Null Island": what a failed geocode writes in many exports, not a real place.
                self.flag(
                    where,
                    "location",
                    text(sid),
                    "null_island",
                    "latitude 0, longitude 0 is a failed geocode; kept without coordinates",
                )
                clean.original.update(latitude=raw.get("latitude"), longitude=raw.get("longitude"))
                latitude = longitude = None
            location_type = (text(raw.get("location_type")) or "physical").lower()
            if location_type not in LOCATION_TYPES:
                raise RowError(f"location_type {location_type!r} is not one of {', '.join(sorted(LOCATION_TYPES))}")
            country = text(raw.get("country"), 64, "country")
            postal_code = text(raw.get("postal_code"), 32, "postal_code")
            approximate = False
            if latitude is None and location_type == "physical":
                centroid = zip_centroid(postal_code) if postal_code and _in_us(country) else None
                if centroid is not None and postal_code:
                    latitude, longitude = centroid
                    approximate = True
                    self.flag(
                        where,
                        "location",
                        text(sid),
                        "approximate_position",
                        f"no coordinates: placed at the centre of ZIP {postal_code[:5]} and shown as approximate "
                        "until real coordinates come",
                    )
                else:
                    self.flag(
                        where,
                        "location",
                        text(sid),
                        "no_coordinates",
                        "kept without coordinates: it will not appear in distance searches until geocoded",
                    )
            return clean.kept(
                {
                    "name": text(raw.get("name"), 300, "name"),
                    "alternate_name": text(raw.get("alternate_name"), 300, "alternate_name"),
                    "description": text(raw.get("description")),
                    "location_type": location_type,
                    "latitude": latitude,
                    "longitude": longitude,
                    "address_1": text(raw.get("address_1"), 300, "address_1"),
                    "address_2": text(raw.get("address_2"), 300, "address_2"),
                    "city": text(raw.get("city"), 300, "city"),
                    "region": text(raw.get("region"), 300, "region"),
                    "state_province": text(raw.get("state_province"), 300, "state_province"),
                    "postal_code": postal_code,
                    "country": country.upper() if country and len(country) == 2 else country,
                    "approximate": approximate,
                    "transportation": text(raw.get("transportation")),
                    "url": clean.url(raw.get("url")),
                }
            ), {"organization_id": ("organization", text(organization))}

        return self._add("location", where, sid, build)

    def service(self, where: Where, sid: Any, organization: Any, raw: dict[str, Any]) -> str | None:
        def build() -> tuple[dict[str, Any], dict[str, Any]]:
            clean = Cleaner(self, "service", where, text(sid))
            required_name(raw.get("name"))
            status = (text(raw.get("status")) or "active").lower()
            if status not in STATUSES:
                raise RowError(f"status {status!r} is not one of {', '.join(sorted(STATUSES))}")
            return clean.kept(
                {
                    "name": required_name(raw.get("name")),
                    "alternate_name": text(raw.get("alternate_name"), 300, "alternate_name"),
                    "description": clean.prose(raw.get("description")),
                    "status": status,
                    "url": clean.url(raw.get("url")),
                    "email": clean.email(raw.get("email")),
                    "eligibility_description": clean.prose(
                        raw.get("eligibility_description"), "eligibility_description"
                    ),
                    "fees_description": clean.prose(raw.get("fees_description"), "fees_description"),
                    "application_process": clean.prose(raw.get("application_process"), "application_process"),
                    "languages": clean.languages(raw.get("languages") or []),
                    "assured_date": date(raw.get("assured_date"), "assured_date"),
                    **ages(raw.get("minimum_age"), raw.get("maximum_age")),
                }
            ), {"organization_id": ("organization", text(organization) or NO_ORGANIZATION)}

        return self._add("service", where, sid, build)

    def service_at_location(
        self, where: Where, sid: Any, service: Any, location: Any, description: Any = None
    ) -> str | None:
        def build() -> tuple[dict[str, Any], dict[str, Any]]:
            if text(service) is None or text(location) is None:
                raise RowError("missing required service_id or location_id")
            return {"description": text(description)}, {
                "service_id": ("service", text(service)),
                "location_id": ("location", text(location)),
            }

        return self._add("service_at_location", where, sid, build)

    def _owner(self, owners: dict[str, Any], kinds: tuple[str, ...]) -> dict[str, tuple[str, str | None]]:
        """The most specific owner given (HSDS rows often name several); contacts are not kept."""
        for kind in kinds:
            if sid := text(owners.get(kind) or owners.get(f"{kind}_id")):
                return {f"{kind}_id": (kind, sid)}
        raise RowError(f"names no owner: one of {', '.join(k + '_id' for k in kinds)} is required")

    def phone(self, where: Where, sid: Any, owners: dict[str, Any], raw: dict[str, Any]) -> str | None:
        def build() -> tuple[dict[str, Any], dict[str, Any]]:
            number = text(raw.get("number"), 100, "number")
            if number is None:
                raise RowError("missing required number")
            clean = Cleaner(self, "phone", where, text(sid))
            kind = (text(raw.get("type")) or "voice").lower()
            if kind not in PHONE_TYPES:
                clean.drop("type", kind, "not an HSDS phone type")
                kind = "voice"
            refs = self._owner(owners, ("service_at_location", "service", "location", "organization"))
            extension = text(raw.get("extension"), 20, "extension")
            number, extension = self._phone_number(where, sid, number.strip('"'), extension)
            if number != text(raw.get("number"), 100, "number"):
                clean.original["number"] = text(raw.get("number"))
            description = text(raw.get("description"), 300, "description")
            same = (*refs.values(), re.sub(r"\D", "", number), extension, kind, description)
            if same in self._phones and self._phones[same] != text(sid):
                raise Duplicate  # the same number for the same owner under another id
            self._phones.setdefault(same, text(sid))
            return clean.kept(
                {
                    "number": number,
                    "extension": extension,
                    "type": kind,
                    "description": description,
                    "position": self._next_position("phone", refs, raw.get("position")),
                }
            ), refs

        return self._add("phone", where, sid, build)

    def _phone_number(self, where: Where, sid: Any, number: str, extension: str | None) -> tuple[str, str | None]:
        """A number with its extension apart ("503-555-0100 ext. 12"), and letters as the keypad dials
        them ("1-800-FLOWERS"); each change flagged text_normalised with the number as given."""
        given = number
        if extension is None and (match := _EXTENSION.match(number)):
            number, extension = match[1].strip(), match[2]
        if re.search(r"[A-Za-z]", number) and len(re.sub(r"[^0-9A-Za-z]", "", number)) >= 7:
            dialled = number.upper().translate(_KEYPAD)
            if not re.search(r"[A-Z]", dialled):
                number = dialled
        if number != given:
            detail = f"number {given!r} read as {number!r}" + (f" extension {extension}" if extension else "")
            self.flag(where, "phone", text(sid), "text_normalised", detail)
        return number, extension

    def schedule(
        self, where: Where, sid: Any, owners: dict[str, Any], weekday: Any, opens: Any, closes: Any, raw: dict[str, Any]
    ) -> str | None:
        """One weekly opening (readers split multi-day rules into one call per day)."""

        def build() -> tuple[dict[str, Any], dict[str, Any]]:
            day = parse_weekday(weekday)
            opens_at, closes_at, reading = opening(opens, closes, raw.get("description"))
            original = {}
            if reading is not None:
                self.flag(where, "schedule", text(sid), "hours_from_text", reading)
            for name, given in (("opens_at", opens), ("closes_at", closes)):
                if (reading is not None and text(given) is not None) or not _ISO_CLOCK.match(text(given) or "00:00"):
                    original[name] = text(given)
            if opens_at == dt.time.max:
                raise RowError("unparseable hours: opens_at cannot be 24:00")
            if opens_at == closes_at:
                raise RowError("unparseable hours: opens_at equals closes_at")
            valid_from, valid_to = date(raw.get("valid_from"), "valid_from"), date(raw.get("valid_to"), "valid_to")
            if valid_from and valid_to and valid_from > valid_to:
                raise RowError("valid_from is after valid_to")
            refs = self._owner(owners, ("service_at_location", "service", "location"))
            return {
                "weekday": day,
                "opens_at": opens_at,
                "closes_at": closes_at,
                "valid_from": valid_from,
                "valid_to": valid_to,
                "description": text(raw.get("description"), 300, "description"),
                "position": self._next_position("schedule", refs, raw.get("position")),
                "original": original or None,
            }, refs

        return self._add("schedule", where, sid, build)

    def taxonomy(self, where: Where, sid: Any, raw: dict[str, Any]) -> str | None:
        def build() -> tuple[dict[str, Any], dict[str, Any]]:
            return {
                "name": required_name(raw.get("name")),
                "description": text(raw.get("description")),
                "uri": text(raw.get("uri"), 2_000, "uri"),
                "version": text(raw.get("version"), 100, "version"),
            }, {}

        return self._add("taxonomy", where, sid, build)

    def taxonomy_term(
        self, where: Where, sid: Any, raw: dict[str, Any], taxonomy: Any = None, parent: Any = None
    ) -> str | None:
        def build() -> tuple[dict[str, Any], dict[str, Any]]:
            refs: dict[str, tuple[str, str | None]] = {
                "taxonomy_id": ("taxonomy", text(taxonomy)),
                "parent_id": ("taxonomy_term", text(parent)),
            }
            return {
                "code": text(raw.get("code"), 300, "code"),
                "name": required_name(raw.get("name")),
                "description": text(raw.get("description")),
                "vocabulary": text(raw.get("taxonomy") or raw.get("vocabulary"), 300, "taxonomy"),
                "language": text(raw.get("language"), 35, "language"),
                "term_uri": text(raw.get("term_uri"), 2_000, "term_uri"),
            }, refs

        return self._add("taxonomy_term", where, sid, build)

    def service_taxonomy_term(self, where: Where, service: Any, term: Any) -> None:
        def build() -> tuple[dict[str, Any], dict[str, Any]]:
            if text(service) is None or text(term) is None:
                raise RowError("missing service or taxonomy term id")
            return {}, {"service_id": ("service", text(service)), "taxonomy_term_id": ("taxonomy_term", text(term))}

        try:
            key = f"{text(service)}\x00{text(term)}"
        except RowError as error:
            self.counts["service_taxonomy_term"].read += 1
            self.reject(where, "service_taxonomy_term", None, str(error))
            return
        self._add("service_taxonomy_term", where, key, build)

    def capacity(self, where: Where, sid: Any, service: Any, unit: Any, raw: dict[str, Any]) -> str | None:
        """One HSDS 3.1 service_capacity: a count of a unit as of `updated`, kept as a report in the history."""

        def build() -> tuple[dict[str, Any], dict[str, Any]]:
            if text(service) is None:
                raise RowError("missing required service_id")
            slug, unknown = unit_slug(unit, raw.get("unit_id"))
            available = count(raw.get("available"), "available")
            if available is None:
                raise RowError("missing required available")
            maximum = count(raw.get("maximum"), "maximum")
            if maximum is not None and available > maximum:
                raise RowError(f"available {available} is above maximum {maximum}")
            updated, naive = instant(raw.get("updated"), "updated")
            if updated > dt.datetime.now(dt.UTC) + _CLOCK_SKEW:
                raise RowError(f"updated {updated.isoformat()} is in the future")
            same = (text(service), slug, updated, available, maximum)
            if same in self._capacities and self._capacities[same] != text(sid):
                raise Duplicate  # the same report under another id
            self._capacities.setdefault(same, text(sid))
            if unknown is not None:
                self.flag(where, "service_capacity", text(sid), "unknown_unit", unknown)
            if naive:
                self.flag(
                    where,
                    "service_capacity",
                    text(sid),
                    "text_normalised",
                    f"updated {raw.get('updated')!r} gives no offset; read as UTC",
                )
            return {"unit": slug, "available": available, "maximum": maximum, "updated_at": updated}, {
                "service_id": ("service", text(service))
            }

        return self._add("service_capacity", where, sid, build)

    # -- resolution --------------------------------------------------------------------------

    def _placeholders(self, stored: set[str], stored_placeholders: set[str]) -> None:
        """A service whose organization the input lacks (absent, rejected, or never named) is still a
        service a person can go to: it is kept under a placeholder organization, one per missing
        source id, named so that a curator sees it. A later import that holds the organization
        replaces the placeholder in place (same source id, same id); one stored before that nobody
        renamed stays a placeholder, flagged again."""
        organizations = self.pending["organization"]
        for file, line, service_sid, _, refs in self.spool.read("in:service"):
            _, sid = refs["organization_id"]
            key = sid or NO_ORGANIZATION  # readers may name none; service() fills it in
            stored_id = self.derived_id("organization", key)
            placeheld = key in self.placeholders or (key not in organizations and stored_id in stored_placeholders)
            if not placeheld and (key in organizations or stored_id in stored):
                continue
            where = Where(file, line)
            missing = key == NO_ORGANIZATION
            name = PLACEHOLDER_NAME + ("(none given)" if missing else f"(source id {key})")
            if key not in organizations:
                self.placeholders.add(key)
                fields = {"name": name, "alternate_name": None, "description": None, "email": None, "website": None}
                organizations[key] = line
                self.spool.write("in:organization", (file, line, key, fields, {}))
                self.counts["organization"].placeholders += 1
                self.flag(
                    where,
                    "organization",
                    key,
                    "placeholder_organization",
                    f"{name!r} stands in for an organization the input does not hold; rename it, or import "
                    "the organization under this source id",
                )
            self.flag(
                where,
                "service",
                service_sid,
                "broken_reference_placeholder",
                ("no organization_id given" if missing else f"organization_id {key!r} matches no organization")
                + f"; kept under {name!r}",
            )

    def outside_references(self) -> dict[str, set[str]]:
        """Ids of records referenced but not in this input: they may already be in the database."""
        found: dict[str, set[str]] = {}
        for target, referenced in self._referenced.items():
            for sid in referenced:
                if sid not in self.pending[target]:
                    found.setdefault(target, set()).add(self.derived_id(target, sid))
        return found

    def finish(
        self,
        category_slugs: Iterable[str],
        existing: dict[str, set[str]] | None = None,
        eligibility_codes: Iterable[str] = (),
        stored_placeholders: Iterable[str] = (),
    ) -> None:
        """Check every reference, cascading rejections to dependants, and build the rows to load.

        A reference may name a row of this input or, through `existing`, one already stored (an
        incremental feed of services for organizations imported before); stored_placeholders are
        the stored organizations still named as placeholders. A term of our own category taxonomy
        (what our exports carry) becomes the category itself. Rows stream from the spool and back
        into it, ready to load; only the ids of the rows kept stay in memory.
        """
        known = {"category": set(category_slugs), "eligibility": set(eligibility_codes)}
        existing = existing or {}
        self._placeholders(existing.get("organization", set()), set(stored_placeholders))
        # What only reading needed goes before the ids of the rows kept come.
        self.pending = {entity: {} for entity in ENTITIES}
        self._referenced, self._phone_prints, self._phones, self._capacities = {}, {}, {}, {}
        self._positions, self.nested = {}, set()
        order = (
            "taxonomy",
            "taxonomy_term",
            "organization",
            "location",
            "service",
            "service_capacity",
            "service_at_location",
            "phone",
            "schedule",
            "service_taxonomy_term",
        )
        kept: dict[str, dict[str, str]] = {entity: {} for entity in ENTITIES}
        self.loaded = {"service_category": 0, "service_eligibility": 0, "owner": 0, "original": 0}
        own_terms: dict[str, tuple[str, str]] = {}
        zones = TimeZones()
        for entity in order:
            # Terms whose parent comes later wait in a spool of their own until every term is known.
            out = "unparented" if entity == "taxonomy_term" else f"out:{entity}"
            loaded = 0
            for file, line, key, row, refs in self.spool.read(f"in:{entity}"):
                where = Where(file, line)
                try:
                    for column, (target, sid) in refs.items():
                        if sid is None:
                            row[column] = None
                        elif target == "taxonomy_term" and entity == "taxonomy_term" and sid not in kept[target]:
                            # Parents may come after children in a file; resolved below.
                            row[column] = (target, sid)
                        elif target == "taxonomy_term" and sid in own_terms:
                            row[column] = own_terms[sid]
                        elif sid in kept[target]:
                            row[column] = kept[target][sid]
                            if entity == "location" and sid in self.placeholders:
                                self.flag(
                                    where,
                                    entity,
                                    key,
                                    "broken_reference_placeholder",
                                    f"organization_id {sid!r} matches no organization; kept under its placeholder",
                                )
                        elif column == "taxonomy_id" and self.derived_id("taxonomy", sid) in OWN_TAXONOMIES:
                            row[column] = self.derived_id("taxonomy", sid)
                        elif self.derived_id(target, sid) in existing.get(target, ()):
                            row[column] = self.derived_id(target, sid)
                        elif entity == "location" and column == "organization_id":
                            # Optional in HSDS: the place stays, only the link goes.
                            row[column] = None
                            self.flag(
                                where,
                                entity,
                                key,
                                "broken_reference_dropped",
                                f"organization_id {sid!r} matches no organization; kept without it",
                            )
                        else:
                            raise RowError(f"broken reference: {column} {sid!r} matches no accepted {target}")
                except RowError as error:
                    self.reject(where, entity, None if "\x00" in key else key, str(error))
                    continue
                if entity == "taxonomy_term" and row["taxonomy_id"] in OWN_TAXONOMIES:
                    kind, code = OWN_TAXONOMIES[row["taxonomy_id"]], row["code"]
                    if code not in known[kind]:
                        self.reject(where, entity, key, f"unknown CommonGround {kind} {code!r}")
                        continue
                    own_terms[key] = (kind, code)
                    self.counts[entity].accepted += 1
                    continue
                if entity == "taxonomy" and self.derived_id(entity, key) in OWN_TAXONOMIES:
                    self.counts[entity].accepted += 1  # our own vocabularies: nothing to store
                    continue
                if entity == "service_taxonomy_term" and isinstance(row["taxonomy_term_id"], tuple):
                    kind, code = row["taxonomy_term_id"]
                    links = "out:service_category" if kind == "category" else "out:service_eligibility"
                    self.spool.write(links, (row["service_id"], code))
                    self.loaded[links[4:]] += 1
                    self.counts[entity].accepted += 1
                    continue
                if entity == "location":
                    row["timezone"] = zones.at(row["latitude"], row["longitude"])
                row["id"] = self.derived_id(entity, key)
                row["source_id"] = key
                if (original := row.pop("original", None)) is not None:
                    self.spool.write("out:original", (row["id"], _storable(msgspec.json.encode(original).decode())))
                    self.loaded["original"] += 1
                kept[entity][key] = row["id"]
                self.counts[entity].accepted += 1
                self.spool.write(out, row)
                loaded += 1
            self.spool.drop(f"in:{entity}")
            if entity == "taxonomy_term":
                for row in self.spool.read("unparented"):
                    if isinstance(row["parent_id"], tuple):
                        parent_sid = row["parent_id"][1]
                        parent_id = kept["taxonomy_term"].get(parent_sid)
                        if parent_id is None and self.derived_id("taxonomy_term", parent_sid) in existing.get(
                            "taxonomy_term", ()
                        ):
                            parent_id = self.derived_id("taxonomy_term", parent_sid)
                        row["parent_id"] = parent_id
                        if parent_id is None:
                            self.flag(
                                Where("taxonomy_term", 0),
                                "taxonomy_term",
                                row["source_id"],
                                "field_dropped",
                                f"parent_id {parent_sid!r} matches no accepted term",
                            )
                    self.spool.write("out:taxonomy_term", row)
                self.spool.drop("unparented")
            self.loaded[entity] = loaded
        for child, owner, sid in self.reconciled:
            if sid in kept[owner]:
                self.spool.write("out:owner", (child, kept[owner][sid]))
                self.loaded["owner"] += 1
        self.kept = kept


class TimeZones:
    """Each point's IANA time zone, looked up once per distinct point among the latest many."""

    LIMIT = 1 << 16

    def __init__(self) -> None:
        self._cache: dict[tuple[float, float], str | None] = {}

    def at(self, latitude: float | None, longitude: float | None) -> str | None:
        """The zone of a point, None without one."""
        if latitude is None or longitude is None:
            return None
        point = (latitude, longitude)
        if point not in self._cache:
            if len(self._cache) >= self.LIMIT:
                self._cache.clear()  # a bound on memory; a rebuilt cache costs only lookups
            self._cache[point] = timezone_at(latitude, longitude)
        return self._cache[point]


def _print(fields: dict[str, Any], refs: dict[str, Any]) -> int:
    """A phone row's fields but its position, and its owner, as one number to compare a repeat by."""
    return hash((tuple(sorted(_without_position(fields).items())), tuple(refs.items())))


def opening(opens: Any, closes: Any, description: Any) -> tuple[dt.time, dt.time, str | None]:
    """The opening and closing time of a schedule row as exports write them, and how they were read
    when not from two clock times: one field holding both ("9am-5pm"; "9-5" is 9:00-17:00), or
    words ("24 hours"). Raises TextOnly for words that are no opening ("Closed", "by appointment",
    only one of the two times), RowError for nothing at all."""
    first, second = text(opens, 64, "opens_at"), text(closes, 64, "closes_at")
    words = " / ".join(part for part in (first, second, text(description, 300, "description")) if part)
    if first and second:
        return clock(first, "opens_at") or dt.time(0), clock(second, "closes_at") or dt.time(0), None
    if (span := _SPAN.match(first or second or "")) and _CLOCK.match(span[1]) and _CLOCK.match(span[2]):
        start, end = clock(span[1], "opens_at") or dt.time(0), clock(span[2], "closes_at") or dt.time(0)
        if not re.search(r"[ap]\.?m", span[0], re.IGNORECASE) and end < start and start.hour <= 12:
            end = end.replace(hour=end.hour + 12)  # "9-5" in a day's hours is 9 to 17, not overnight
        return start, end, f"read {words!r} as {start:%H:%M}-{end:%H:%M}"
    if _ALL_DAY.search(words):
        return dt.time(0), dt.time.max, f"read {words!r} as open all day"
    if not words:
        raise RowError("unparseable hours: opens_at and closes_at are both required")
    if _CLOSED.match(words):
        raise TextOnly("hours_closed", f"{words!r}: closed that day, no opening")
    raise TextOnly("hours_kept_as_text", f"{words!r}: no opening could be read from it; kept here for a person")


def _in_us(country: str | None) -> bool:
    """Whether a location's country is the United States, or not given (US ZIP codes are the only
    offline table of postal centroids)."""
    return country is None or country.strip(". ").upper() in ("US", "USA", "U S", "U S A", "UNITED STATES")


def _without_position(fields: dict[str, Any]) -> dict[str, Any]:
    """A row's fields but its position, which counts its place among its owner's rows, and the
    originals of its values, which follow from the rest."""
    return {name: value for name, value in fields.items() if name not in ("position", "original")}


def parse_weekday(value: Any) -> int:
    """ISO weekday from 1-7 (1 = Monday), a name (Monday, Mon) or an RRULE code (MO)."""
    raw = text(value, 32, "weekday")
    if raw is None:
        raise RowError("unparseable hours: missing weekday")
    if raw.isdigit() and 1 <= int(raw) <= 7:
        return int(raw)
    day = WEEKDAYS.get(raw.lower().rstrip("."))
    if day is None:
        raise RowError(f"unparseable hours: weekday {raw!r}")
    return day


def byday(value: Any) -> list[str]:
    """The days of an RRULE BYDAY list ("MO,TU"); positional forms like 1MO are not weekly."""
    days = [part.strip() for part in str(value or "").split(",") if part.strip()]
    for day in days:
        if day.lower() not in WEEKDAYS:
            raise RowError(f"unparseable hours: byday {day!r} is not a weekday")
    return days
