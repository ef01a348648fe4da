"""What a client is told about a listing id that answers nothing: merged (308), deleted, or unknown."""

from typing import NoReturn
from uuid import UUID

import asyncpg

from service.errors import Moved, NotFound
from service.queries.lifecycle import select_fate


async def explain_missing(conn: asyncpg.Connection, kind: str, listing_id: UUID) -> NoReturn:
    """Raise the answer for an id with no live listing: 308 to the survivor of a merge, else 404."""
    fate = await select_fate(conn, kind, listing_id)
    if fate["merged_into"] is not None:
        raise Moved(listing_id, fate["merged_into"], kind)
    if fate["deleted_at"] is not None:
        raise NotFound(
            f"{kind} {listing_id} was deleted on {fate['deleted_at']:%Y-%m-%d}; an admin can restore "
            f"it (POST .../{listing_id}/restore)"
        )
    raise NotFound(f"no {kind} has id {listing_id}")
