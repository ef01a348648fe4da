"""Weekly hours, owned by exactly one service, location or service at a location."""

from typing import Literal
from uuid import UUID

import asyncpg

from schemas.schedules import ScheduleCreate
from service.search.geo import check_timezone

Owner = Literal["service", "location", "service_at_location"]
OWNERS: tuple[Owner, ...] = ("service", "location", "service_at_location")

DELETE_SCHEDULES = """
    DELETE FROM schedules WHERE service_id = $1 OR location_id = $1 OR service_at_location_id = $1
"""

INSERT_SCHEDULES = """
    INSERT INTO schedules (service_id, location_id, service_at_location_id, weekday, opens_at, closes_at,
                           timezone, valid_from, valid_to, description, position)
    SELECT $1, $2, $3, s.weekday, s.opens_at::time, s.closes_at::time, s.timezone, s.valid_from, s.valid_to,
           s.description, s.position
      FROM unnest($4::smallint[], $5::text[], $6::text[], $7::text[], $8::date[], $9::date[], $10::text[])
           WITH ORDINALITY AS s(weekday, opens_at, closes_at, timezone, valid_from, valid_to, description, position)
"""


async def insert_schedules(
    conn: asyncpg.Connection, owner: Owner, owner_id: UUID, schedules: list[ScheduleCreate]
) -> None:
    """Attach weekly openings to an owner."""
    if not schedules:
        return
    for index, schedule in enumerate(schedules):
        check_timezone(schedule.timezone, f"schedules[{index}].timezone")
    owners = [owner_id if kind == owner else None for kind in OWNERS]
    await conn.execute(
        INSERT_SCHEDULES,
        *owners,
        [s.weekday for s in schedules],
        [s.opens_at for s in schedules],
        [s.closes_at for s in schedules],
        [s.timezone for s in schedules],
        [s.valid_from for s in schedules],
        [s.valid_to for s in schedules],
        [s.description for s in schedules],
    )


async def replace_schedules(
    conn: asyncpg.Connection, owner: Owner, owner_id: UUID, schedules: list[ScheduleCreate]
) -> None:
    """Make an owner's weekly openings exactly this list."""
    await conn.execute(DELETE_SCHEDULES, owner_id)
    await insert_schedules(conn, owner, owner_id, schedules)
