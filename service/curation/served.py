"""How often each listing is shown, counted in memory per worker and added to the database now and then.

Counting in the request would add a write to every search; the counts only rank which listings to
re-verify first, so a minute's delay (or a crash losing the last minute) costs nothing that matters.
"""

import collections
import datetime as dt
from collections.abc import Sequence
from uuid import UUID

import asyncpg

from service.db import pooled
from service.queries.served import add_served

# Pages kept as they were shown before they are counted: hashing a page's 20 UUIDs costs a search
# about 20 us, counting them once a minute (or every FOLD pages) costs no request anything.
FOLD = 20_000


class ServedCounter:
    """Resource ids shown since the last flush."""

    def __init__(self) -> None:
        self.counts: collections.Counter[UUID] = collections.Counter()
        self.pending: list[Sequence[UUID]] = []

    def record(self, resource_ids: Sequence[UUID]) -> None:
        """Count one showing of each resource."""
        self.pending.append(resource_ids)
        if len(self.pending) >= FOLD:
            self.fold()

    def fold(self) -> None:
        """Count the pages recorded so far."""
        pending, self.pending = self.pending, []
        for ids in pending:
            self.counts.update(ids)

    async def flush(self, pool: asyncpg.Pool) -> None:
        """Add the counts to today's totals per service, and start again."""
        self.fold()
        if not self.counts:
            return
        counts, self.counts = self.counts, collections.Counter()
        ids, numbers = list(counts), list(counts.values())
        try:
            async with pooled(pool, 5) as conn:
                await add_served(conn, ids, numbers, dt.datetime.now(dt.UTC).date())
        except BaseException:
            self.counts.update(counts)  # keep them for the next flush
            raise
