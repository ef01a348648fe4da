"""Deleted and merged listings: restore, purge, and what a missing id became."""

from uuid import UUID

import asyncpg

# What a listing id that answers nothing became: merged (a redirect) or deleted (and when).
SELECT_FATE = {
    kind: f"""
        SELECT (SELECT new_id FROM redirects WHERE entity = $1 AND old_id = $2) AS merged_into,
               (SELECT deleted_at FROM {table} WHERE id = $2) AS deleted_at
    """
    for kind, table in (
        ("organization", "organizations"),
        ("service", "services"),
        ("location", "locations"),
        ("meeting", "meetings"),
        ("event", "events"),
    )
}


async def select_fate(conn: asyncpg.Connection, kind: str, listing_id: UUID) -> asyncpg.Record:
    """merged_into and deleted_at of a listing (both null when it never existed or was purged)."""
    row = await conn.fetchrow(SELECT_FATE[kind], kind, listing_id)
    assert row is not None, "a SELECT without FROM returns one row"
    return row


SELECT_REDIRECT = "SELECT new_id FROM redirects WHERE entity = $1 AND old_id = $2"


async def select_redirect(conn: asyncpg.Connection, kind: str, old_id: UUID) -> UUID | None:
    """The id an id was merged into, if it was."""
    new_id: UUID | None = await conn.fetchval(SELECT_REDIRECT, kind, old_id)
    return new_id


RESTORE = {
    "organization": "UPDATE organizations SET deleted_at = NULL WHERE id = $1 AND deleted_at IS NOT NULL RETURNING id",
    "service": """
        UPDATE services SET deleted_at = NULL, status = coalesce(status_before_delete, 'active'),
                            status_before_delete = NULL
         WHERE id = $1 AND deleted_at IS NOT NULL
        RETURNING id
    """,
    "location": "UPDATE locations SET deleted_at = NULL WHERE id = $1 AND deleted_at IS NOT NULL RETURNING id",
}


async def restore(conn: asyncpg.Connection, kind: str, listing_id: UUID) -> bool:
    """Undo a deletion; False when the listing is not deleted."""
    return await conn.fetchval(RESTORE[kind], listing_id) is not None


# A purge keeps the fact (who, when, why) but not the data: earlier history records are blanked.
SCRUB_HISTORY = "UPDATE audit_log SET changes = NULL, snapshot = NULL WHERE entity = $1 AND entity_id = $2"
PURGE = {
    "organization": "DELETE FROM organizations WHERE id = $1 RETURNING id",
    "service": "DELETE FROM services WHERE id = $1 RETURNING id",
    "location": "DELETE FROM locations WHERE id = $1 RETURNING id",
}
FORGET_SOURCE = "DELETE FROM source_records WHERE id = $1"
FORGET_REDIRECTS = "DELETE FROM redirects WHERE old_id = $1 OR new_id = $1"
SET_NOTE = "SELECT set_config('commonground.audit_note', $1, true), set_config('commonground.audit_op', $2, true)"


async def set_audit(conn: asyncpg.Connection, op: str, note: str) -> None:
    """Name the operation and note of the writes that follow, in this transaction, for the audit log."""
    await conn.execute(SET_NOTE, note, op)


async def purge(conn: asyncpg.Connection, kind: str, listing_id: UUID) -> bool:
    """Delete a listing for good, with its children and its history's data; the caller holds the transaction."""
    await conn.execute(SCRUB_HISTORY, kind, listing_id)
    await conn.execute(FORGET_SOURCE, listing_id)
    await conn.execute(FORGET_REDIRECTS, listing_id)
    return await conn.fetchval(PURGE[kind], listing_id) is not None
