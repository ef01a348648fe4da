"""Capacity counts: record one, read the latest per unit, read the history."""

import datetime as dt
from uuid import UUID

import asyncpg
import msgspec

from schemas.capacity import CapacityCreate, CapacityRecord, CapacityReport
from service.errors import InvalidInput

INSERT_CAPACITY = """
    INSERT INTO service_capacity (service_id, unit, available, maximum) VALUES ($1, $2, $3, $4)
    RETURNING id
"""


async def insert_capacity(conn: asyncpg.Connection, service_id: UUID, new: CapacityCreate) -> bool:
    """Record a count; False when there is no such service."""
    try:
        await conn.execute(INSERT_CAPACITY, service_id, new.unit, new.available, new.maximum)
    except asyncpg.ForeignKeyViolationError:
        return False
    except asyncpg.CheckViolationError as error:
        raise InvalidInput("available", f"not a valid count ({error.constraint_name})", "body") from None
    return True


SELECT_CURRENT = """
    SELECT capacity_json(coalesce(jsonb_agg(jsonb_build_object(
               'unit', unit, 'available', available, 'maximum', maximum, 'updated_at', updated_at)
               ORDER BY unit), '[]'::jsonb), $2, $3)
      FROM (SELECT DISTINCT ON (unit) * FROM service_capacity WHERE service_id = $1
             ORDER BY unit, updated_at DESC, id DESC) AS latest
"""


async def select_current(
    conn: asyncpg.Connection, service_id: UUID, at: dt.datetime, max_age: dt.timedelta
) -> list[CapacityReport]:
    """The latest count of each unit, judged current or not at an instant."""
    return msgspec.json.decode(await conn.fetchval(SELECT_CURRENT, service_id, at, max_age), type=list[CapacityReport])


SELECT_HISTORY = """
    SELECT unit, available, maximum, updated_at FROM service_capacity
     WHERE service_id = $1 AND ($2::text IS NULL OR unit = $2)
     ORDER BY updated_at DESC, id DESC
     LIMIT $3
"""


async def select_history(
    conn: asyncpg.Connection, service_id: UUID, unit: str | None, limit: int
) -> list[CapacityRecord]:
    """Counts as reported, newest first."""
    return [
        msgspec.convert(dict(row), CapacityRecord) for row in await conn.fetch(SELECT_HISTORY, service_id, unit, limit)
    ]


SELECT_SERVICE_EXISTS = "SELECT EXISTS (SELECT 1 FROM services WHERE id = $1)"


async def service_exists(conn: asyncpg.Connection, service_id: UUID) -> bool:
    """Whether the service exists."""
    exists: bool = await conn.fetchval(SELECT_SERVICE_EXISTS, service_id)
    return exists
