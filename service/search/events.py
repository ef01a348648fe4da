"""The event search: occurrences in a window, read from the stored occurrences (extended first when short)."""

import datetime as dt
from typing import Any
from uuid import UUID

import asyncpg

from schemas.events import Occurrence
from service.queries import events as queries
from service.queries.events import OccurrenceFilters

# A page's sort key: (start, chord: 0 without an origin, PLACELESS_KEY for events with no place).
Key = tuple[dt.datetime, float]


async def search(
    conn: asyncpg.Connection,
    filters: OccurrenceFilters,
    by_distance: bool,
    after: tuple[Key, UUID] | None,
    limit: int,
    exact: bool = False,
    extend: bool = True,
) -> list[tuple[Key, UUID, Occurrence]]:
    """Up to limit occurrences after the cursor, in page order, each with its event (extend: store more
    occurrences first when the window passes the stored horizon; a read replica cannot)."""
    if extend:
        await queries.extend_horizon(conn, filters.until)
    cursor = None if after is None else (after[0][0], after[0][1], after[1])
    rows = await queries.select_occurrences(conn, filters, by_distance, cursor, limit)
    found = await queries.select_found(conn, rows, filters, exact)
    keyed: list[tuple[Key, UUID, Any]] = []
    by_event = {(row["event_id"], row["starts_at"]): row for row in rows}
    for item in found:
        row = by_event[(item.event.id, item.starts_at)]
        keyed.append(((row["starts_at"], row["chord"]), item.event.id, item))
    return keyed
