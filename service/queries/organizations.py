"""Organizations."""

from uuid import UUID

import asyncpg
import msgspec

from schemas.organizations import Organization, OrganizationCreate, OrganizationPatch
from service.errors import Conflict
from service.queries.columns import ORGANIZATION, insert_listing, update_listing
from service.queries.phones import insert_phones, replace_phones

SELECT_ORGANIZATION = "SELECT organization_json(o)::text FROM organizations o WHERE o.id = $1 AND o.deleted_at IS NULL"


async def select_organization(conn: asyncpg.Connection, organization_id: UUID) -> Organization | None:
    """One organization with its phones."""
    raw = await conn.fetchval(SELECT_ORGANIZATION, organization_id)
    return None if raw is None else msgspec.json.decode(raw, type=Organization)


SELECT_ORGANIZATIONS = """
    SELECT o.name, o.id, organization_json(o)::text AS document
      FROM organizations o
     WHERE ($1::text IS NULL OR (o.name, o.id) > ($1::text, $2::uuid)) AND o.deleted_at IS NULL
     ORDER BY o.name, o.id
     LIMIT $3
"""


async def select_organizations(
    conn: asyncpg.Connection, after: tuple[str, UUID] | None, limit: int
) -> list[tuple[str, UUID, Organization]]:
    """A page of organizations by name, after a (name, id) key."""
    name, last_id = after or (None, None)
    rows = await conn.fetch(SELECT_ORGANIZATIONS, name, last_id, limit)
    return [(row["name"], row["id"], msgspec.json.decode(row["document"], type=Organization)) for row in rows]


INSERT_ORGANIZATION = insert_listing(ORGANIZATION)


async def insert_organization(conn: asyncpg.Connection, new: OrganizationCreate) -> UUID:
    """Store a new organization and its phones; return its id."""
    async with conn.transaction():
        organization_id: UUID = await conn.fetchval(
            INSERT_ORGANIZATION, new.name.strip(), new.alternate_name, new.description, new.email, new.website
        )
        await insert_phones(conn, "organization", organization_id, new.phones)
    return organization_id


UPDATE_ORGANIZATION = update_listing(ORGANIZATION)


async def update_organization(conn: asyncpg.Connection, organization_id: UUID, patch: OrganizationPatch) -> bool:
    """Apply the fields a patch sets; False when there is no such organization."""
    given, values = patch.changes()
    async with conn.transaction():
        found = await conn.fetchval(
            UPDATE_ORGANIZATION,
            organization_id,
            given,
            values["name"],
            values["alternate_name"],
            values["description"],
            values["email"],
            values["website"],
        )
        if found is None:
            return False
        if patch.phones is not msgspec.UNSET:
            await replace_phones(conn, "organization", organization_id, patch.phones)
    return True


# Never a hard delete, and only once its services and locations are deleted or moved.
DELETE_ORGANIZATION = """
    UPDATE organizations o SET deleted_at = now()
     WHERE o.id = $1 AND o.deleted_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM services s WHERE s.organization_id = o.id AND s.deleted_at IS NULL)
       AND NOT EXISTS (SELECT 1 FROM locations l WHERE l.organization_id = o.id AND l.deleted_at IS NULL)
    RETURNING id
"""


async def delete_organization(conn: asyncpg.Connection, organization_id: UUID) -> None:
    """Mark an organization deleted (restorable) once it has no live services or locations."""
    if await conn.fetchval(DELETE_ORGANIZATION, organization_id) is None:
        raise Conflict(
            f"organization {organization_id} still has services or locations; "
            "delete them or move them to another organization first"
        )


SELECT_MISSING_ORGANIZATIONS = """
    SELECT given.id FROM unnest($1::uuid[]) AS given(id)
     WHERE NOT EXISTS (SELECT 1 FROM organizations o WHERE o.id = given.id)
"""


async def select_missing_organizations(conn: asyncpg.Connection, organization_ids: list[UUID]) -> list[UUID]:
    """Those of the ids that name no organization."""
    return [row["id"] for row in await conn.fetch(SELECT_MISSING_ORGANIZATIONS, organization_ids)]
