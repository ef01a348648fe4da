"""Which indexed filter, if any, picks a search's rows: one that leaves few rows has them ranked; when
none does, the search walks the nearest-first (or name) index, which soon finds a page."""

import math
import time
from collections.abc import Callable

import asyncpg

from schemas.search import SearchFilters
from service.queries.resources import Driver, count_candidates, count_matches, select_row_estimate

# Measured at 100,000 rows: ranking costs about 5 us per row the filter leaves (its bitmap, then
# reading and testing the row), the walk about 1.6 us per row it passes, and it passes about
# 40 * rows / c of them for a page when c rows pass. Ranking wins while 5 c < 64 rows / c.
RANK_RATIO = 12
FEWEST = 200

Key = tuple[str, int | tuple[str, ...] | None]


def few_bound(rows: int) -> int:
    """The most rows a filter may leave for ranking them to beat the walk, in a table of this size."""
    return max(FEWEST, math.isqrt(RANK_RATIO * rows))


class CandidateCounts:
    """Counts of the rows each indexed filter leaves (by the hour of open_at, the categories, the
    attributes), of those matching words, and the table's size, each kept for ttl seconds: a stale
    count only picks the slower plan for a while, never another answer."""

    def __init__(self, ttl: float = 60.0, size: int = 4_096, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.size, self.clock = ttl, size, clock
        self.counts: dict[Key, tuple[int, float]] = {}
        self.rows: tuple[int, float] | None = None

    async def driver(self, conn: asyncpg.Connection, filters: SearchFilters) -> Driver | None:
        """The indexed filter leaving the fewest rows, if that is few enough to rank them."""
        if filters.listings is not None:
            return "listings"  # a hundred ids at most: their links are few, whatever else is asked
        keys: list[tuple[Driver, int | tuple[str, ...] | None]] = []
        if filters.open_at is not None:
            keys.append(("open_at", math.floor(filters.open_at.timestamp() / 3600)))
        if filters.categories is not None:
            keys.append(("categories", tuple(filters.categories)))
        if filters.attributes:
            keys.append(("attributes", tuple(filters.attributes)))
        if not keys:
            return None
        now = self.clock()
        bound = few_bound(await self.row_estimate(conn, now))
        if filters.categories is not None and filters.attributes:
            # Both together, counted only when neither alone leaves few (10k rows: a shelter that takes
            # people without ID, 208 rows, 3 ms ranked against 7 walking).
            keys.append(("facets", (*filters.categories, "&", *filters.attributes)))
        best: tuple[int, Driver] | None = None
        for key in keys:
            if key[0] == "facets" and best is not None:
                break
            count = self.counts.get(key)
            if count is None or count[1] <= now:
                count = self.remember(key, await count_candidates(conn, filters, key[0], bound + 1), now)
            if count[0] <= bound and (best is None or count[0] < best[0]):
                best = (count[0], key[0])
        return None if best is None else best[1]

    async def many_matches(self, conn: asyncpg.Connection, queries: list[str]) -> bool:
        """Whether too many rows match any of the word queries to rank them all (then a search from a
        point walks outwards): the same bound as for a driving filter, as the costs are alike."""
        key: Key = ("words", tuple(queries))
        now = self.clock()
        bound = few_bound(await self.row_estimate(conn, now))
        count = self.counts.get(key)
        if count is None or count[1] <= now:
            count = self.remember(key, await count_matches(conn, queries, bound + 1), now)
        return count[0] > bound

    async def row_estimate(self, conn: asyncpg.Connection, now: float) -> int:
        """About how many rows the search table holds, asked again after ttl."""
        if self.rows is None or self.rows[1] <= now:
            self.rows = (await select_row_estimate(conn), now + self.ttl)
        return self.rows[0]

    def remember(self, key: Key, count: int, now: float) -> tuple[int, float]:
        """Keep a count until ttl from now, dropping the oldest ones beyond size."""
        self.counts.pop(key, None)
        while len(self.counts) >= self.size:
            del self.counts[next(iter(self.counts))]
        self.counts[key] = entry = (count, now + self.ttl)
        return entry
