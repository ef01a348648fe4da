"""Stored answers to POST requests that carried an Idempotency-Key."""

import json

import asyncpg

# Claim the key; keys older than a day are forgotten first.
CLAIM_KEY = """
    WITH expired AS (DELETE FROM idempotency_keys WHERE created_at < now() - interval '24 hours')
    INSERT INTO idempotency_keys (key, method, path, request_hash) VALUES ($1, $2, $3, $4)
    ON CONFLICT DO NOTHING
    RETURNING 1
"""


async def claim_key(conn: asyncpg.Connection, key: str, method: str, path: str, request_hash: str) -> bool:
    """True when this request is the first with the key (and must run)."""
    return await conn.fetchval(CLAIM_KEY, key, method, path, request_hash) is not None


SELECT_KEY = """
    SELECT request_hash, status, headers::text AS headers, body FROM idempotency_keys
     WHERE key = $1 AND method = $2 AND path = $3
"""


async def select_key(conn: asyncpg.Connection, key: str, method: str, path: str) -> asyncpg.Record | None:
    """What was stored for a key."""
    return await conn.fetchrow(SELECT_KEY, key, method, path)


STORE_ANSWER = """
    UPDATE idempotency_keys SET status = $4, headers = $5::jsonb, body = $6
     WHERE key = $1 AND method = $2 AND path = $3
"""


async def store_answer(
    conn: asyncpg.Connection, key: str, method: str, path: str, status: int, headers: list[tuple[str, str]], body: bytes
) -> None:
    """Keep the first answer for replay."""
    await conn.execute(STORE_ANSWER, key, method, path, status, json.dumps(headers), body)


RELEASE_KEY = "DELETE FROM idempotency_keys WHERE key = $1 AND method = $2 AND path = $3"


async def release_key(conn: asyncpg.Connection, key: str, method: str, path: str) -> None:
    """Forget a key whose request failed on our side, so a retry runs again."""
    await conn.execute(RELEASE_KEY, key, method, path)
