"""How often each listing is shown, counted in memory per worker and added to the database now and then.

Counting in the request would add a write to every search; the counts only rank which listings to
re-verify first, so a minute's delay (or a crash losing the last minute) costs nothing that matters.
"""

import collections
import datetime as dt
from collections.abc import Iterable
from uuid import UUID

import asyncpg

from service.db import pooled
from service.queries.served import add_served


class ServedCounter:
    """Resource ids shown since the last flush."""

    def __init__(self) -> None:
        self.counts: collections.Counter[UUID] = collections.Counter()

    def record(self, resource_ids: Iterable[UUID]) -> None:
        """Count one showing of each resource."""
        self.counts.update(resource_ids)

    async def flush(self, pool: asyncpg.Pool) -> None:
        """Add the counts to today's totals per service, and start again."""
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
