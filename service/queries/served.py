"""Per-day counts of how often each service was shown."""

import datetime as dt
from uuid import UUID

import asyncpg

# Resource ids (service at a location) are counted for their service.
ADD_SERVED = """
    INSERT INTO service_views AS v (service_id, day, served)
    SELECT sal.service_id, $3, sum(c.n)
      FROM unnest($1::uuid[], $2::bigint[]) AS c (id, n)
      JOIN service_at_location sal ON sal.id = c.id
     GROUP BY sal.service_id
     ORDER BY sal.service_id
    ON CONFLICT (service_id, day) DO UPDATE SET served = v.served + excluded.served
"""


async def add_served(conn: asyncpg.Connection, resource_ids: list[UUID], counts: list[int], day: dt.date) -> None:
    """Add showings to a day's totals."""
    await conn.execute(ADD_SERVED, resource_ids, counts, day)
