"""Opaque page cursors: the sort key of the last item, bound to the query that produced it."""

import base64
import binascii
import hashlib
import types
from typing import Any
from uuid import UUID

import msgspec

from service.errors import InvalidInput

VERSION = 1


def fingerprint(*parts: object) -> str:
    """A short digest of the query a cursor belongs to, so it cannot be replayed on another one."""
    return hashlib.blake2s(msgspec.json.encode(parts), digest_size=6).hexdigest()


def encode_cursor(query: str, key: Any, item_id: UUID) -> str:
    """Pack the last item's sort key and id."""
    raw = msgspec.json.encode([VERSION, query, key, str(item_id)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(raw: str | None, query: str, key_type: type) -> tuple[Any, UUID] | None:
    """Unpack a cursor made by encode_cursor for the same query, or say why it cannot be used."""
    if raw is None:
        return None
    # tuple[int, str, key_type, UUID], spelled out because the key's type is the caller's, known only at run time.
    shape = types.GenericAlias(tuple, (int, str, key_type, UUID))
    try:
        version, owner, key, item_id = msgspec.json.decode(
            base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)), type=shape
        )
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise InvalidInput("cursor", "not a cursor this service issued; pass next_cursor back unchanged") from None
    if version != VERSION or owner != query:
        raise InvalidInput("cursor", "this cursor belongs to a different query; start again without cursor")
    return key, item_id


def paginate(rows: list[tuple[Any, UUID, Any]], limit: int, query: str) -> tuple[list[Any], str | None]:
    """Split limit + 1 fetched rows into a page and the cursor to the next one (None on the last page)."""
    if len(rows) <= limit:
        return [item for _, _, item in rows], None
    key, last_id, _ = rows[limit - 1]
    return [item for _, _, item in rows[:limit]], encode_cursor(query, key, last_id)
