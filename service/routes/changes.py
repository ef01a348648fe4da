"""The change feed: poll with the cursor you were given to mirror the directory."""

import base64
import binascii
import re
from typing import Annotated

import asyncpg
import msgspec
from litestar import get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from schemas.changes import Change, ChangePage
from service.errors import InvalidInput
from service.queries import changes as queries
from service.replicas import REPLICA_READS

Since = Annotated[
    str | None,
    QueryParameter(
        max_length=100,
        description="next_cursor of the previous call; absent: from the beginning; latest: no changes, and "
        "the cursor of now (take it before a full download, then poll from it)",
    ),
]
ChangeLimit = Annotated[int, QueryParameter(ge=1, le=1000, description="Most changes to return")]
_CURSOR = re.compile(r"^(\d{1,20}):(\d{1,20})$")


def _decode(since: str | None) -> tuple[int, int]:
    if since is None:
        return 0, 0
    try:
        raw = base64.urlsafe_b64decode(since + "=" * (-len(since) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    if not (match := _CURSOR.match(raw)):
        raise InvalidInput("since", "not a cursor this feed gave out; pass next_cursor back unchanged")
    return int(match[1]), int(match[2])


def _encode(txid: int, seq: int) -> str:
    return base64.urlsafe_b64encode(f"{txid}:{seq}".encode()).decode().rstrip("=")


@get("/v1/changes", operation_id="listChanges", tags=["changes"], dependencies=REPLICA_READS)
async def list_changes(
    conn: NamedDependency[asyncpg.Connection], since: Since = None, limit: ChangeLimit = 100
) -> ChangePage:
    """Creations, updates and deletions of organizations, services, locations and capacity, in the order of the
    transactions that made them; replaying from the start reaches the current data, and no change is skipped or
    repeated even when writes commit out of order."""
    if since == "latest":
        end = await queries.select_last_change(conn)
        return ChangePage(items=[], next_cursor=_encode(*end) if end is not None else _encode(0, 0))
    txid, seq = _decode(since)
    rows = await queries.select_changes(conn, txid, seq, limit)
    if rows:
        txid, seq = int(rows[-1]["txid"]), rows[-1]["seq"]
    return ChangePage(items=[msgspec.convert(dict(row), Change) for row in rows], next_cursor=_encode(txid, seq))
