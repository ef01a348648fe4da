"""Locations, with their address and time zone."""

from typing import cast
from uuid import UUID

import asyncpg
import msgspec

from schemas.addresses import AddressInput
from schemas.locations import Location, LocationCreate, LocationFields, LocationPatch
from service.errors import InvalidInput
from service.queries.columns import ADDRESS, LOCATION, insert_listing, update_listing
from service.queries.phones import insert_phones, replace_phones
from service.queries.schedules import insert_schedules, replace_schedules
from service.search.geo import check_timezone, timezone_at

SELECT_LOCATION = "SELECT location_full_json(l, $2)::text FROM locations l WHERE l.id = $1 AND l.deleted_at IS NULL"


async def select_location(conn: asyncpg.Connection, location_id: UUID, exact: bool = False) -> Location | None:
    """One location with its address, phones, hours and service ids (exact: a confidential one's real place)."""
    raw = await conn.fetchval(SELECT_LOCATION, location_id, exact)
    return None if raw is None else msgspec.json.decode(raw, type=Location)


SELECT_LOCATIONS = """
    SELECT coalesce(l.name, '') AS name, l.id, location_full_json(l, $5)::text AS document
      FROM locations l
     WHERE ($1::uuid IS NULL OR l.organization_id = $1) AND l.deleted_at IS NULL
       AND ($2::text IS NULL OR (coalesce(l.name, ''), l.id) > ($2::text, $3::uuid))
     ORDER BY coalesce(l.name, ''), l.id
     LIMIT $4
"""


async def select_locations(
    conn: asyncpg.Connection,
    organization_id: UUID | None,
    after: tuple[str, UUID] | None,
    limit: int,
    exact: bool = False,
) -> list[tuple[str, UUID, Location]]:
    """A page of locations by name, optionally of one organization."""
    name, last_id = after or (None, None)
    rows = await conn.fetch(SELECT_LOCATIONS, organization_id, name, last_id, limit, exact)
    return [(row["name"], row["id"], msgspec.json.decode(row["document"], type=Location)) for row in rows]


def _address_columns(address: AddressInput | None) -> list[str | None]:
    if address is None:
        return [None] * 7
    return [
        address.address_1.strip(),
        address.address_2,
        address.city.strip(),
        address.region,
        address.state_province,
        address.postal_code,
        address.country,
    ]


INSERT_LOCATION = insert_listing(LOCATION)


async def insert_location(conn: asyncpg.Connection, organization_id: UUID | None, new: LocationFields) -> UUID:
    """Store a location's own fields, deriving its time zone from its coordinates when not given."""
    check_timezone(new.timezone, "timezone")
    timezone = new.timezone
    if timezone is None and new.latitude is not None and new.longitude is not None:
        timezone = timezone_at(new.latitude, new.longitude)
    try:
        location_id: UUID = await conn.fetchval(
            INSERT_LOCATION,
            organization_id,
            new.name,
            new.alternate_name,
            new.description,
            new.location_type,
            new.latitude,
            new.longitude,
            timezone,
            *_address_columns(new.address),
            new.transportation,
            new.url,
            False,  # approximate: given coordinates are the place's own
            new.confidential,
        )
    except asyncpg.ForeignKeyViolationError:
        raise InvalidInput("organization_id", f"no organization has id {organization_id}", "body") from None
    return location_id


async def insert_full_location(conn: asyncpg.Connection, new: LocationCreate) -> UUID:
    """Store a location with its phones and hours."""
    async with conn.transaction():
        location_id = await insert_location(conn, new.organization_id, new)
        await insert_phones(conn, "location", location_id, new.phones)
        await insert_schedules(conn, "location", location_id, new.schedules)
    return location_id


# A PATCH replaces the address as a whole, given as one nested object.
UPDATE_LOCATION = update_listing(LOCATION, given_as={column: "address" for column in ADDRESS})


async def update_location(conn: asyncpg.Connection, location_id: UUID, patch: LocationPatch) -> bool:
    """Apply the fields a patch sets; moving a location re-derives its time zone unless one is given."""
    # Patch.changes() types every value as object (schemas/base.py); the casts name LocationPatch's field types.
    given, v = patch.changes()
    if patch.timezone is not msgspec.UNSET:
        check_timezone(patch.timezone, "timezone")
    elif v["latitude"] is not None and v["longitude"] is not None:
        given.append("timezone")
        v["timezone"] = timezone_at(cast(float, v["latitude"]), cast(float, v["longitude"]))
    if "latitude" in given:
        given.append("approximate")  # coordinates given by a person replace a ZIP centroid
    async with conn.transaction():
        try:
            found = await conn.fetchval(
                UPDATE_LOCATION,
                location_id,
                given,
                v["organization_id"],
                v["name"],
                v["alternate_name"],
                v["description"],
                v["location_type"],
                v["latitude"],
                v["longitude"],
                v["timezone"],
                *_address_columns(cast(AddressInput | None, v["address"])),
                v["transportation"],
                v["url"],
                False,  # approximate
                bool(v["confidential"]),
            )
        except asyncpg.ForeignKeyViolationError:
            raise InvalidInput("organization_id", f"no organization has id {v['organization_id']}", "body") from None
        if found is None:
            return False
        if patch.phones is not msgspec.UNSET:
            await replace_phones(conn, "location", location_id, patch.phones)
        if patch.schedules is not msgspec.UNSET:
            await replace_schedules(conn, "location", location_id, patch.schedules)
    return True


# Never a hard delete: the location and the services there leave search; id and history remain.
SELECT_CONFIDENTIAL = "SELECT confidential FROM locations WHERE id = $1"


async def select_confidential(conn: asyncpg.Connection, location_id: UUID) -> bool:
    """Whether the location is confidential now."""
    return bool(await conn.fetchval(SELECT_CONFIDENTIAL, location_id))


DELETE_LOCATION = "UPDATE locations SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING id"


async def delete_location(conn: asyncpg.Connection, location_id: UUID) -> bool:
    """Mark a location deleted (restorable)."""
    return await conn.fetchval(DELETE_LOCATION, location_id) is not None
