"""How many rows a search's indexed filters leave, remembered for a while per worker: a search that
leaves few ranks them all; one that leaves many walks the nearest-first index, which soon finds a page."""

import math
import time
from collections.abc import Callable

import asyncpg

from schemas.search import SearchFilters
from service.queries.resources import count_candidates

# Ranking 2,000 rows costs about what walking the index past 2,000 / (share of rows that pass) rows
# does for a page of 20: below this, ranking wins (100,000 rows: 0.1 ms when nothing is open at
# 8 am, against 364 ms walking; when a fifth is open, walking finds a page in a few hundred rows).
FEW = 2_000

Key = tuple[int | None, tuple[str, ...] | None, tuple[str, ...] | None]


class CandidateCounts:
    """Counts by (hour of open_at, categories, attributes), each kept for ttl seconds: a stale count
    only picks the slower plan for a while, never a different answer."""

    def __init__(self, ttl: float = 60.0, size: int = 4_096, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.size, self.clock = ttl, size, clock
        self.counts: dict[Key, tuple[int | None, float]] = {}

    async def few(self, conn: asyncpg.Connection, filters: SearchFilters) -> bool:
        """Whether the filters' indexed conditions leave at most FEW rows."""
        hour = None if filters.open_at is None else math.floor(filters.open_at.timestamp() / 3600)
        categories = None if filters.categories is None else tuple(filters.categories)
        attributes = tuple(filters.attributes) if filters.attributes else None
        if hour is None and categories is None and attributes is None:
            return False
        key = (hour, categories, attributes)
        now = self.clock()
        cached = self.counts.get(key)
        if cached is None or cached[1] <= now:
            count = await count_candidates(conn, filters, FEW + 1)
            self.counts.pop(key, None)
            while len(self.counts) >= self.size:
                del self.counts[next(iter(self.counts))]
            self.counts[key] = cached = (count, now + self.ttl)
        return cached[0] is not None and cached[0] <= FEW
