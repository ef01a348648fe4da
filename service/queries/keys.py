"""API keys, quota windows and usage."""

import datetime as dt
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from schemas.keys import Key, KeyCreate, KeyUsage

KEY_COLUMNS = """
    k.id, k.name, k.prefix, k.scopes, k.organization_ids, k.rate_limit, k.created_at, k.expires_at,
    k.revoked_at, k.rotated_from,
    (SELECT max(u.last_used) FROM key_usage u WHERE u.key_id = k.id) AS last_used
"""

INSERT_KEY = f"""
    WITH k AS (
        INSERT INTO api_keys (name, prefix, secret_hash, scopes, organization_ids, rate_limit, expires_at,
                              rotated_from)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        RETURNING *
    )
    SELECT {KEY_COLUMNS} FROM k
"""


async def insert_key(
    conn: asyncpg.Connection, new: KeyCreate, prefix: str, secret_hash: bytes, rotated_from: UUID | None = None
) -> Key:
    """Store a key's hash and settings."""
    row = await conn.fetchrow(
        INSERT_KEY,
        new.name,
        prefix,
        secret_hash,
        sorted(set(new.scopes)),
        sorted(set(new.organization_ids)) if new.organization_ids is not None else None,
        new.rate_limit,
        new.expires_at,
        rotated_from,
    )
    assert row is not None, "an INSERT ... VALUES returns the row it wrote"
    return msgspec.convert(dict(row), Key)


SELECT_KEY = f"SELECT {KEY_COLUMNS} FROM api_keys k WHERE k.id = $1"
SELECT_KEY_FOR_UPDATE = SELECT_KEY + " FOR UPDATE OF k"


async def select_key(conn: asyncpg.Connection, key_id: UUID, lock: bool = False) -> Key | None:
    """One key by id; with lock, held until the transaction ends."""
    row = await conn.fetchrow(SELECT_KEY_FOR_UPDATE if lock else SELECT_KEY, key_id)
    return None if row is None else msgspec.convert(dict(row), Key)


# Newest first; a cursor is (created_at, id) of the last key shown.
SELECT_KEYS = f"""
    SELECT k.created_at, k.id, {KEY_COLUMNS} FROM api_keys k
     WHERE ($1::timestamptz IS NULL OR (k.created_at, k.id) < ($1, $2))
       AND ($3 OR k.revoked_at IS NULL OR k.revoked_at > now())
     ORDER BY k.created_at DESC, k.id DESC
     LIMIT $4
"""


async def select_keys(
    conn: asyncpg.Connection, after: tuple[Any, UUID] | None, include_revoked: bool, limit: int
) -> list[tuple[str, UUID, Key]]:
    """A page of keys as (sort key, id, key) rows."""
    created, last_id = after if after else (None, None)
    rows = await conn.fetch(
        SELECT_KEYS, dt.datetime.fromisoformat(created) if created else None, last_id, include_revoked, limit
    )
    return [(row["created_at"].isoformat(), row["id"], msgspec.convert(dict(row), Key)) for row in rows]


# A revoked key stays listed (with revoked_at) so its usage can still be read.
REVOKE_KEY = """
    UPDATE api_keys SET revoked_at = least(coalesce(revoked_at, 'infinity'), now() + make_interval(secs => $2))
     WHERE id = $1
    RETURNING id
"""


async def revoke_key(conn: asyncpg.Connection, key_id: UUID, grace_seconds: int = 0) -> bool:
    """Stop a key working (after the grace period); False when there is no such key."""
    return await conn.fetchval(REVOKE_KEY, key_id, grace_seconds) is not None


SELECT_USAGE = """
    SELECT day, requests, throttled, last_used FROM key_usage
     WHERE key_id = $1 AND day >= $2 ORDER BY day DESC
"""


async def select_usage(conn: asyncpg.Connection, key_id: UUID, since: dt.date) -> list[KeyUsage]:
    """Requests per day since a date, newest first."""
    return [msgspec.convert(dict(row), KeyUsage) for row in await conn.fetch(SELECT_USAGE, key_id, since)]


# Resolve the key and count the request in one round trip. The window upsert is atomic, so the count
# is exact across every worker process. $4 is the default limit for keys without their own (0: none).
COUNT_KEY_REQUEST = """
    WITH k AS (
        SELECT id, name, scopes, organization_ids, coalesce(rate_limit, nullif($4, 0)) AS rate_limit FROM api_keys
         WHERE secret_hash = $1 AND (revoked_at IS NULL OR revoked_at > now())
           AND (expires_at IS NULL OR expires_at > now())
    ), hit AS (
        INSERT INTO rate_windows AS w (bucket, window_start, hits)
        SELECT 'key:' || k.id, $2, 1 FROM k
        ON CONFLICT (bucket, window_start) DO UPDATE SET hits = w.hits + 1
        RETURNING hits
    ), used AS (
        INSERT INTO key_usage AS u (key_id, day, requests, throttled)
        SELECT k.id, $3, 1, coalesce(((SELECT hits FROM hit) > k.rate_limit)::int, 0) FROM k
        ON CONFLICT (key_id, day) DO UPDATE
           SET requests = u.requests + 1, throttled = u.throttled + excluded.throttled, last_used = now()
    )
    SELECT k.id, k.name, k.scopes, k.organization_ids, k.rate_limit, (SELECT hits FROM hit) AS hits FROM k
"""


async def count_key_request(
    conn: asyncpg.Connection, secret_hash: bytes, window: dt.datetime, default_limit: int
) -> asyncpg.Record | None:
    """The key's settings and this minute's request count; None for an unknown, expired or revoked key."""
    return await conn.fetchrow(COUNT_KEY_REQUEST, secret_hash, window, window.date(), default_limit)


COUNT_REQUEST = """
    INSERT INTO rate_windows AS w (bucket, window_start, hits) VALUES ($1, $2, 1)
    ON CONFLICT (bucket, window_start) DO UPDATE SET hits = w.hits + 1
    RETURNING hits
"""


async def count_request(conn: asyncpg.Connection, bucket: str, window: dt.datetime) -> int:
    """Count a request against a bucket (an anonymous address, or the bootstrap key); this window's total."""
    hits: int = await conn.fetchval(COUNT_REQUEST, bucket, window)
    return hits


COUNT_REQUESTS = """
    INSERT INTO rate_windows AS w (bucket, window_start, hits) VALUES ($1, $2, $3)
    ON CONFLICT (bucket, window_start) DO UPDATE SET hits = w.hits + excluded.hits
    RETURNING hits
"""


async def count_requests(conn: asyncpg.Connection, bucket: str, window: dt.datetime, requests: int) -> int:
    """Reserve a number of requests of a bucket's window; the window's new total."""
    hits: int = await conn.fetchval(COUNT_REQUESTS, bucket, window, requests)
    return hits


COUNT_USAGE = """
    INSERT INTO key_usage AS u (key_id, day, requests, throttled) VALUES ($1, $2, 1, $3::int)
    ON CONFLICT (key_id, day) DO UPDATE
       SET requests = u.requests + 1, throttled = u.throttled + excluded.throttled, last_used = now()
"""


async def count_usage(conn: asyncpg.Connection, key_id: UUID, day: dt.date, throttled: bool) -> None:
    """Record one request of a key that has no row (the bootstrap key)."""
    await conn.execute(COUNT_USAGE, key_id, day, throttled)


DELETE_OLD_WINDOWS = "DELETE FROM rate_windows WHERE window_start < $1"


async def delete_old_windows(conn: asyncpg.Connection, before: dt.datetime) -> None:
    """Forget finished windows."""
    await conn.execute(DELETE_OLD_WINDOWS, before)
