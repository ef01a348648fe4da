"""Which organization a listing belongs to: checked for keys limited to organizations."""

from uuid import UUID

import asyncpg

# One row when the listing exists; a location's organization may be null, and meetings and events
# belong to no organization (only keys not limited to organizations may change them).
SELECT_OWNER = {
    "organization": "SELECT id AS organization_id FROM organizations WHERE id = $1 AND deleted_at IS NULL",
    "service": "SELECT organization_id FROM services WHERE id = $1 AND deleted_at IS NULL",
    "location": "SELECT organization_id FROM locations WHERE id = $1 AND deleted_at IS NULL",
    "meeting": "SELECT NULL::uuid AS organization_id FROM meetings WHERE id = $1 AND deleted_at IS NULL",
    "event": "SELECT NULL::uuid AS organization_id FROM events WHERE id = $1 AND deleted_at IS NULL",
}
# Held until the transaction ends, so a precondition checked next stays true until the change is written.
LOCK_OWNER = {kind: sql + " FOR UPDATE" for kind, sql in SELECT_OWNER.items()}
# Deleted listings too (for restore, history and purge).
SELECT_ANY_OWNER = {kind: sql.replace(" AND deleted_at IS NULL", "") for kind, sql in SELECT_OWNER.items()}


async def select_owner(
    conn: asyncpg.Connection, kind: str, listing_id: UUID, lock: bool = False, deleted: bool = False
) -> asyncpg.Record | None:
    """The listing's organization_id, or None when there is no such (live, unless deleted) listing."""
    statements = SELECT_ANY_OWNER if deleted else LOCK_OWNER if lock else SELECT_OWNER
    return await conn.fetchrow(statements[kind], listing_id)
