"""Which indexed filter, if any, picks a search's rows: one that leaves few rows has them ranked; when
none does, the search walks the nearest-first (or name) index, which soon finds a page."""

import math
import time
from collections.abc import Callable

import asyncpg

from schemas.search import SearchFilters
from service.queries.resources import Driver, count_candidates, select_row_estimate

# Measured at 100,000 rows: ranking costs about 5 us per row the filter leaves (its bitmap, then
# reading and testing the row), the walk about 1.6 us per row it passes, and it passes about
# 40 * rows / c of them for a page when c rows pass. Ranking wins while 5 c < 64 rows / c.
RANK_RATIO = 12
FEWEST = 200

Key = tuple[Driver, int | tuple[str, ...] | None]


def few_bound(rows: int) -> int:
    """The most rows a filter may leave for ranking them to beat the walk, in a table of this size."""
    return max(FEWEST, math.isqrt(RANK_RATIO * rows))


class CandidateCounts:
    """Counts of the rows each indexed filter leaves (by the hour of open_at, the categories, the
    attributes) and the table's size, each kept for ttl seconds: a stale count only picks the
    slower plan for a while, never another answer."""

    def __init__(self, ttl: float = 60.0, size: int = 4_096, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.size, self.clock = ttl, size, clock
        self.counts: dict[Key, tuple[int, float]] = {}
        self.rows: tuple[int, float] | None = None

    async def driver(self, conn: asyncpg.Connection, filters: SearchFilters) -> Driver | None:
        """The indexed filter leaving the fewest rows, if that is few enough to rank them."""
        keys: list[Key] = []
        if filters.open_at is not None:
            keys.append(("open_at", math.floor(filters.open_at.timestamp() / 3600)))
        if filters.categories is not None:
            keys.append(("categories", tuple(filters.categories)))
        if filters.attributes:
            keys.append(("attributes", tuple(filters.attributes)))
        if not keys:
            return None
        now = self.clock()
        if self.rows is None or self.rows[1] <= now:
            self.rows = (await select_row_estimate(conn), now + self.ttl)
        bound = few_bound(self.rows[0])
        best: tuple[int, Driver] | None = None
        for key in keys:
            cached = self.counts.get(key)
            if cached is None or cached[1] <= now:
                cached = (await count_candidates(conn, filters, key[0], bound + 1), now + self.ttl)
                self.counts.pop(key, None)
                while len(self.counts) >= self.size:
                    del self.counts[next(iter(self.counts))]
                self.counts[key] = cached
            if cached[0] <= bound and (best is None or cached[0] < best[0]):
                best = (cached[0], key[0])
        return None if best is None else best[1]
