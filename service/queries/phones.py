"""Phone lists, owned by exactly one organization, service, location or service at a location."""

from typing import Literal
from uuid import UUID

import asyncpg

from schemas.phones import PhoneCreate

Owner = Literal["organization", "service", "location", "service_at_location"]
OWNERS: tuple[Owner, ...] = ("organization", "service", "location", "service_at_location")

DELETE_PHONES = """
    DELETE FROM phones
     WHERE organization_id = $1 OR service_id = $1 OR location_id = $1 OR service_at_location_id = $1
"""

INSERT_PHONES = """
    INSERT INTO phones (organization_id, service_id, location_id, service_at_location_id,
                        number, extension, type, description, position)
    SELECT $1, $2, $3, $4, p.number, p.extension, p.type, p.description, p.position
      FROM unnest($5::text[], $6::text[], $7::text[], $8::text[])
           WITH ORDINALITY AS p(number, extension, type, description, position)
"""


async def insert_phones(conn: asyncpg.Connection, owner: Owner, owner_id: UUID, phones: list[PhoneCreate]) -> None:
    """Attach phones to an owner, keeping their order."""
    if not phones:
        return
    owners = [owner_id if kind == owner else None for kind in OWNERS]
    await conn.execute(
        INSERT_PHONES,
        *owners,
        [p.number.strip() for p in phones],
        [p.extension for p in phones],
        [p.type for p in phones],
        [p.description for p in phones],
    )


async def replace_phones(conn: asyncpg.Connection, owner: Owner, owner_id: UUID, phones: list[PhoneCreate]) -> None:
    """Make an owner's phones exactly this list."""
    await conn.execute(DELETE_PHONES, owner_id)
    await insert_phones(conn, owner, owner_id, phones)
