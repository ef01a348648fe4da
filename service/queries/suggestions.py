"""The suggestion queue."""

import datetime as dt
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from schemas.suggestions import SuggestionCreate

COLUMNS = (
    "id, kind, service_id, status, created_at, decided_at, reason, result_id, changes::text AS changes, "
    "note, submitted_by"
)

INSERT_SUGGESTION = """
    INSERT INTO suggestions (kind, service_id, changes, note, submitted_by) VALUES ($1, $2, $3::jsonb, $4, $5)
    RETURNING id, status
"""


async def insert_suggestion(
    conn: asyncpg.Connection, new: SuggestionCreate, submitted_by: str | None
) -> asyncpg.Record:
    """Queue a suggestion."""
    row = await conn.fetchrow(
        INSERT_SUGGESTION, new.kind, new.service_id, msgspec.json.encode(new.changes).decode(), new.note, submitted_by
    )
    assert row is not None, "an INSERT ... VALUES returns the row it wrote"
    return row


def _row(row: asyncpg.Record) -> dict[str, Any]:
    found = dict(row)
    found["changes"] = msgspec.json.decode(row["changes"])
    return found


SELECT_SUGGESTION = f"SELECT {COLUMNS} FROM suggestions WHERE id = $1"
SELECT_SUGGESTION_FOR_UPDATE = SELECT_SUGGESTION + " FOR UPDATE"


async def select_suggestion(conn: asyncpg.Connection, suggestion_id: UUID, lock: bool = False) -> dict[str, Any] | None:
    """One suggestion as a dict; with lock, held until the transaction ends."""
    row = await conn.fetchrow(SELECT_SUGGESTION_FOR_UPDATE if lock else SELECT_SUGGESTION, suggestion_id)
    return None if row is None else _row(row)


SELECT_SUGGESTIONS = f"""
    SELECT {COLUMNS} FROM suggestions
     WHERE ($1::text IS NULL OR status = $1)
       AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3::uuid))
     ORDER BY created_at, id
     LIMIT $4
"""


async def select_suggestions(
    conn: asyncpg.Connection, status: str | None, after: tuple[Any, UUID] | None, limit: int
) -> list[dict[str, Any]]:
    """A page of the queue, oldest first."""
    created, last_id = after if after else (None, None)
    rows = await conn.fetch(
        SELECT_SUGGESTIONS, status, dt.datetime.fromisoformat(created) if created else None, last_id, limit
    )
    return [_row(row) for row in rows]


DECIDE = """
    UPDATE suggestions
       SET status = $2, decided_at = now(), decided_by = nullif(current_setting('commonground.actor', true), ''),
           reason = $3, result_id = $4
     WHERE id = $1
"""


async def decide(
    conn: asyncpg.Connection, suggestion_id: UUID, status: str, reason: str | None, result_id: UUID | None
) -> None:
    """Record an approval or a rejection."""
    await conn.execute(DECIDE, suggestion_id, status, reason, result_id)
