"""Services and their categories."""

from typing import cast
from uuid import UUID

import asyncpg
import msgspec

from schemas.fields import Cost, Gender
from schemas.services import Service, ServiceCreate, ServiceFields, ServicePatch
from service.errors import InvalidInput
from service.queries.columns import SERVICE, insert_listing, update_listing
from service.queries.phones import insert_phones, replace_phones
from service.queries.schedules import insert_schedules, replace_schedules
from service.queries.service_areas import replace_areas

SELECT_SERVICE = "SELECT service_json(s)::text FROM services s WHERE s.id = $1 AND s.deleted_at IS NULL"


async def select_service(conn: asyncpg.Connection, service_id: UUID) -> Service | None:
    """One service with its categories, phones, hours and location ids."""
    raw = await conn.fetchval(SELECT_SERVICE, service_id)
    return None if raw is None else msgspec.json.decode(raw, type=Service)


SELECT_SERVICES = """
    SELECT s.name, s.id, service_json(s)::text AS document
      FROM services s
     WHERE ($1::uuid IS NULL OR s.organization_id = $1) AND s.deleted_at IS NULL
       AND ($2::text IS NULL OR (s.name, s.id) > ($2::text, $3::uuid))
     ORDER BY s.name, s.id
     LIMIT $4
"""


async def select_services(
    conn: asyncpg.Connection, organization_id: UUID | None, after: tuple[str, UUID] | None, limit: int
) -> list[tuple[str, UUID, Service]]:
    """A page of services by name, optionally of one organization."""
    name, last_id = after or (None, None)
    rows = await conn.fetch(SELECT_SERVICES, organization_id, name, last_id, limit)
    return [(row["name"], row["id"], msgspec.json.decode(row["document"], type=Service)) for row in rows]


INSERT_SERVICE = insert_listing(SERVICE)

# Both parts of one statement see the same snapshot, so the insert must skip what stays (the delete
# only removes what goes).
REPLACE_CATEGORIES = """
    WITH cleared AS (DELETE FROM service_categories WHERE service_id = $1 AND NOT category_slug = any($2::text[]))
    INSERT INTO service_categories (service_id, category_slug)
    SELECT $1, slug FROM unnest($2::text[]) AS slug
    ON CONFLICT DO NOTHING
"""

REPLACE_ATTRIBUTES = """
    WITH cleared AS (DELETE FROM service_attributes WHERE service_id = $1 AND NOT attribute_slug = any($2::text[]))
    INSERT INTO service_attributes (service_id, attribute_slug)
    SELECT $1, slug FROM unnest($2::text[]) AS slug
    ON CONFLICT DO NOTHING
"""


async def insert_service(
    conn: asyncpg.Connection, organization_id: UUID, new: ServiceFields, areas_field: str = "service_areas"
) -> UUID:
    """Store a service's own fields and categories; the caller holds the transaction."""
    try:
        service_id: UUID = await conn.fetchval(
            INSERT_SERVICE,
            organization_id,
            new.name.strip(),
            new.alternate_name,
            new.description,
            new.status,
            new.url,
            new.email,
            new.eligibility_description,
            new.fees_description,
            new.application_process,
            list(dict.fromkeys(new.languages)),
            new.assured_date,
            sorted(set(new.genders)),
            new.minimum_age,
            new.maximum_age,
            sorted(set(new.cost)),
        )
    except asyncpg.ForeignKeyViolationError:
        raise InvalidInput("organization_id", f"no organization has id {organization_id}", "body") from None
    await conn.execute(REPLACE_CATEGORIES, service_id, list(dict.fromkeys(new.categories)))
    if new.attributes:
        await conn.execute(REPLACE_ATTRIBUTES, service_id, list(dict.fromkeys(new.attributes)))
    if new.service_areas:
        await replace_areas(conn, service_id, new.service_areas, areas_field)
    return service_id


async def insert_full_service(conn: asyncpg.Connection, new: ServiceCreate) -> UUID:
    """Store a service with its phones and hours."""
    async with conn.transaction():
        service_id = await insert_service(conn, new.organization_id, new)
        await insert_phones(conn, "service", service_id, new.phones)
        await insert_schedules(conn, "service", service_id, new.schedules)
    return service_id


UPDATE_SERVICE = update_listing(SERVICE)


async def update_service(conn: asyncpg.Connection, service_id: UUID, patch: ServicePatch) -> bool:
    """Apply the fields a patch sets; False when there is no such service."""
    # Patch.changes() types every value as object (schemas/base.py); the casts name ServicePatch's field types.
    given, v = patch.changes()
    async with conn.transaction():
        try:
            found = await conn.fetchval(
                UPDATE_SERVICE,
                service_id,
                given,
                v["name"],
                v["alternate_name"],
                v["description"],
                v["status"],
                v["url"],
                v["email"],
                v["eligibility_description"],
                v["fees_description"],
                v["application_process"],
                list(dict.fromkeys(cast(list[str] | None, v["languages"]) or [])),
                v["assured_date"],
                sorted(set(cast(list[Gender] | None, v["genders"]) or [])),
                v["minimum_age"],
                v["maximum_age"],
                sorted(set(cast(list[Cost] | None, v["cost"]) or [])),
            )
        except asyncpg.CheckViolationError as error:
            if error.constraint_name != "services_age_range":
                raise
            raise InvalidInput("minimum_age", "would be above maximum_age", "body") from None
        if found is None:
            return False
        if patch.attributes is not msgspec.UNSET:
            await conn.execute(REPLACE_ATTRIBUTES, service_id, list(dict.fromkeys(patch.attributes)))
        if patch.service_areas is not msgspec.UNSET:
            await replace_areas(conn, service_id, patch.service_areas)
        if patch.categories is not msgspec.UNSET:
            await conn.execute(REPLACE_CATEGORIES, service_id, list(dict.fromkeys(patch.categories)))
        if patch.phones is not msgspec.UNSET:
            await replace_phones(conn, "service", service_id, patch.phones)
        if patch.schedules is not msgspec.UNSET:
            await replace_schedules(conn, "service", service_id, patch.schedules)
    return True


# Never a hard delete: the service turns defunct, leaves search, and keeps its id and history.
DELETE_SERVICE = """
    UPDATE services SET deleted_at = now(), status_before_delete = status, status = 'defunct'
     WHERE id = $1 AND deleted_at IS NULL
    RETURNING id
"""


async def delete_service(conn: asyncpg.Connection, service_id: UUID) -> bool:
    """Mark a service deleted (restorable)."""
    return await conn.fetchval(DELETE_SERVICE, service_id) is not None
