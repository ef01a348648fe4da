"""The audit log: reading a listing's (or a meeting's or event's) history and restoring an earlier version."""

from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from schemas.history import HistoryEntry
from service.curation.anonymity import first_name_and_initial
from service.queries.columns import ADDRESS, LISTINGS, lines

# A creation's changes are every field it set, from nothing: its snapshot, derived (audit_snapshot).
SELECT_HISTORY = """
    SELECT a.id AS version, a.op, a.changes::text AS changes, a.actor, k.name AS actor_name, a.request_id, a.note,
           a.at, CASE WHEN a.changes IS NULL AND a.op <> 'baseline'
                      THEN audit_snapshot(a.entity, a.entity_id, a.id)::text END AS created
      FROM audit_log a
      LEFT JOIN api_keys k ON k.id::text = a.actor
     WHERE a.entity = $1 AND a.entity_id = $2 AND ($3::bigint IS NULL OR a.id < $3)
     ORDER BY a.id DESC
     LIMIT $4
"""


# A location that is, or ever was, confidential: its history holds the real place.
SELECT_EVER_CONFIDENTIAL = """
    SELECT EXISTS (SELECT 1 FROM locations WHERE id = $1 AND confidential)
        OR EXISTS (SELECT 1 FROM audit_log
                    WHERE entity = 'location' AND entity_id = $1
                      AND (snapshot->>'confidential' = 'true' OR changes->'confidential' @> 'true'))
"""
# What a caller without the confidential scope may not read of such a location, as in public answers:
# no address at all, and coordinates rounded to the public cell.
HIDDEN_ADDRESS = ADDRESS
ROUNDED = ("latitude", "longitude")


def _withhold(changes: dict[str, list[Any]] | None) -> dict[str, list[Any]] | None:
    """Changes with the exact place taken out: addresses blanked, coordinates rounded."""
    if changes is None:
        return None
    kept = {}
    for field, values in changes.items():
        if field in HIDDEN_ADDRESS:
            values = [None for _ in values]
        elif field in ROUNDED:
            values = [round(value, 2) if isinstance(value, (int, float)) else value for value in values]
        kept[field] = values
    return kept


def _anonymous(changes: dict[str, list[Any]] | None) -> dict[str, list[Any]] | None:
    """Changes with each meeting contact's name cut to a first name and an initial, as stored."""
    if changes is None or "contacts" not in changes:
        return changes
    cut = [
        [{**c, "name": first_name_and_initial(c.get("name"))} if isinstance(c, dict) else c for c in value]
        if isinstance(value, list)
        else value
        for value in changes["contacts"]
    ]
    return {**changes, "contacts": cut}


async def select_history(
    conn: asyncpg.Connection, kind: str, listing_id: UUID, before: int | None, limit: int, exact: bool
) -> list[tuple[int, UUID, HistoryEntry]]:
    """A page of a listing's history, newest first, as (version, id, entry) rows (exact: a confidential
    location's real place, for the confidential scope)."""
    rows = await conn.fetch(SELECT_HISTORY, kind, listing_id, before, limit)
    withhold = kind == "location" and not exact and await conn.fetchval(SELECT_EVER_CONFIDENTIAL, listing_id)
    entries = []
    for row in rows:
        entry = dict(row)
        entry["changes"] = msgspec.json.decode(row["changes"]) if row["changes"] else None
        if (created := entry.pop("created")) is not None:
            entry["changes"] = {
                field: [None, value] for field, value in msgspec.json.decode(created).items() if value is not None
            }
        if row["actor"] == "00000000-0000-0000-0000-000000000000":
            entry["actor_name"] = "bootstrap (COMMONGROUND_ADMIN_KEY)"
        if kind == "meeting":
            # Names are cut before they are stored; history is held to that even for rows written otherwise.
            entry["changes"] = _anonymous(entry["changes"])
        if withhold:
            entry["changes"] = _withhold(entry["changes"])
            entry["withheld"] = True
        entries.append((row["version"], listing_id, msgspec.convert(entry, HistoryEntry)))
    return entries


SELECT_HISTORY_EXISTS = "SELECT EXISTS (SELECT 1 FROM audit_log WHERE entity = $1 AND entity_id = $2)"


async def history_exists(conn: asyncpg.Connection, kind: str, listing_id: UUID) -> bool:
    """Whether anything was ever recorded for the listing (a purged one keeps its purge record)."""
    exists: bool = await conn.fetchval(SELECT_HISTORY_EXISTS, kind, listing_id)
    return exists


SELECT_SNAPSHOT = "SELECT audit_snapshot($1, $2, $3)::text"


async def select_snapshot(conn: asyncpg.Connection, kind: str, listing_id: UUID, version: int) -> dict[str, Any] | None:
    """The listing's own fields right after a version; None when there is no such version (or it was purged)."""
    raw = await conn.fetchval(SELECT_SNAPSHOT, kind, listing_id, version)
    return None if raw is None else msgspec.json.decode(raw)


# The fields a revert restores: the listing's own content. Ids, timestamps, the deletion state and
# derived columns stay as they are; phones, hours and other lists are not part of the snapshot.
RESTORABLE = {kind: (entity.table, entity.names("content")) for kind, entity in LISTINGS.items()}
# Built from the constants above, never from input.
REVERT = {
    kind: f"""
        UPDATE {table} t
           SET ({lines(columns, 16)})
             = ({lines(["r." + column for column in columns], 16)})
          FROM jsonb_populate_record(NULL::{table}, $2::jsonb) r
         WHERE t.id = $1
        RETURNING t.id
    """
    for kind, (table, columns) in RESTORABLE.items()
}


async def revert(conn: asyncpg.Connection, kind: str, listing_id: UUID, snapshot: dict[str, Any]) -> None:
    """Write a snapshot's restorable fields back; the caller holds the transaction and the row lock."""
    await conn.execute(REVERT[kind], listing_id, msgspec.json.encode(snapshot).decode())


# Lists (phones, hours, categories...) live in their own tables, so the API adds their changes to the
# entry the row trigger wrote in this transaction, or writes one when only lists changed; that entry
# carries the row's latest snapshot so it can be reverted to like any other.
ADD_LIST_CHANGES = """
    WITH merged AS (
        UPDATE audit_log SET changes = coalesce(changes, '{}'::jsonb) || $3::jsonb
         WHERE id = (SELECT max(id) FROM audit_log
                      WHERE entity = $1 AND entity_id = $2 AND txid = pg_current_xact_id())
        RETURNING id
    )
    INSERT INTO audit_log (entity, entity_id, op, changes, snapshot, actor, request_id, note)
    SELECT $1, $2, coalesce(nullif(current_setting('commonground.audit_op', true), ''), 'update'), $3::jsonb,
           audit_snapshot($1, $2, (SELECT max(id) FROM audit_log WHERE entity = $1 AND entity_id = $2)),
           nullif(current_setting('commonground.actor', true), ''),
           nullif(current_setting('commonground.request_id', true), ''),
           nullif(current_setting('commonground.audit_note', true), '')
     WHERE NOT EXISTS (SELECT 1 FROM merged)
"""


async def add_list_changes(
    conn: asyncpg.Connection, kind: str, listing_id: UUID, changes: dict[str, list[Any]]
) -> None:
    """Record changed lists ([before, after] each) with this transaction's history entry of the listing."""
    if changes:
        await conn.execute(ADD_LIST_CHANGES, kind, listing_id, msgspec.json.encode(changes).decode())
