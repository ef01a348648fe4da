"""Schedule exceptions of a service or a location: replace the list, read it."""

from uuid import UUID

import asyncpg
import msgspec

from schemas.exceptions import ScheduleException, ScheduleExceptionCreate

SELECT_OWNER = {
    "service": "SELECT EXISTS (SELECT 1 FROM services WHERE id = $1)",
    "location": "SELECT EXISTS (SELECT 1 FROM locations WHERE id = $1)",
}
DELETE_EXCEPTIONS = {
    "service": "DELETE FROM schedule_exceptions WHERE service_id = $1",
    "location": "DELETE FROM schedule_exceptions WHERE location_id = $1",
}
INSERT_EXCEPTIONS = {
    kind: f"""
        INSERT INTO schedule_exceptions ({kind}_id, day, opens_at, closes_at, description)
        SELECT $1, x.day, x.opens::time, x.closes::time, x.note
          FROM unnest($2::date[], $3::text[], $4::text[], $5::text[]) AS x(day, opens, closes, note)
    """
    for kind in ("service", "location")
}
SELECT_EXCEPTIONS = {
    kind: f"""
        SELECT id, day AS date, opens_at IS NULL AS closed, to_char(opens_at, 'HH24:MI') AS opens_at,
               to_char(closes_at, 'HH24:MI') AS closes_at, description
          FROM schedule_exceptions WHERE {kind}_id = $1 ORDER BY day, opens_at NULLS FIRST, id
    """
    for kind in ("service", "location")
}


async def owner_exists(conn: asyncpg.Connection, kind: str, owner_id: UUID) -> bool:
    """Whether the service or location exists."""
    exists: bool = await conn.fetchval(SELECT_OWNER[kind], owner_id)
    return exists


async def replace_exceptions(
    conn: asyncpg.Connection, kind: str, owner_id: UUID, exceptions: list[ScheduleExceptionCreate]
) -> None:
    """Make these the owner's exceptions, in one transaction."""
    async with conn.transaction():
        await conn.execute(DELETE_EXCEPTIONS[kind], owner_id)
        if exceptions:
            await conn.execute(
                INSERT_EXCEPTIONS[kind],
                owner_id,
                [e.date for e in exceptions],
                [e.opens_at for e in exceptions],
                [e.closes_at for e in exceptions],
                [e.description for e in exceptions],
            )


async def select_exceptions(conn: asyncpg.Connection, kind: str, owner_id: UUID) -> list[ScheduleException]:
    """The owner's exceptions by date."""
    rows = await conn.fetch(SELECT_EXCEPTIONS[kind], owner_id)
    return [msgspec.convert(dict(row), ScheduleException) for row in rows]
