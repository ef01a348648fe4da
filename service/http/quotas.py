"""Quota windows counted in leases: a worker reserves a few requests of a window from PostgreSQL at
once and hands them out itself, instead of one upsert (a commit, on one hot row) per request.

The reservation is an atomic upsert, so across every worker no more requests are admitted in a
window than its limit. A lease is a fraction of what the window has left (a quarter, split among
the workers), so it shrinks to a single request near the limit: there every decision is made by
PostgreSQL again, and what other workers hold unused is at most a quarter of what was left when
they took it. A window that reached its limit refuses locally for the rest of the minute (its count
only grows).
"""

import asyncio
import datetime as dt
from dataclasses import dataclass, field

import asyncpg

from service.db import pooled
from service.queries import keys as queries

LARGEST_LEASE = 64


@dataclass
class Lease:
    """This worker's part of one bucket's window: requests reserved and not yet handed out, and the
    window's total in PostgreSQL when last reserved."""

    left: int = 0
    total: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class QuotaLedger:
    """The leases of one worker process, for the current window of each bucket."""

    def __init__(self, workers: int) -> None:
        self.workers = max(workers, 1)
        self.window: dt.datetime | None = None
        self.leases: dict[str, Lease] = {}

    def lease_size(self, limit: int, total: int) -> int:
        """How many requests to reserve: a quarter of what is left, split among the workers."""
        return max(1, min(LARGEST_LEASE, (limit - total) // (4 * self.workers)))

    async def count(self, pool: asyncpg.Pool, bucket: str, window: dt.datetime, limit: int) -> int:
        """Count a request against a bucket's window: the requests counted in it so far, this one
        included (above limit when it is refused)."""
        if window != self.window:
            self.window, self.leases = window, {}
        lease = self.leases.get(bucket)
        if lease is None:
            lease = self.leases[bucket] = Lease()
        async with lease.lock:  # one reservation at a time per bucket; the others then find tokens
            if lease.left == 0 and lease.total < limit:
                want = self.lease_size(limit, lease.total)
                async with pooled(pool, 5) as conn:
                    total = await queries.count_requests(conn, bucket, window, want)
                # The part of the reservation within the limit (other workers may have taken the rest);
                # what lies beyond it was never admitted, so the window is full.
                lease.left = max(0, min(want, limit - (total - want)))
                lease.total = min(total, limit)
            if lease.left == 0:
                return limit + 1
            lease.left -= 1
            return lease.total - lease.left
