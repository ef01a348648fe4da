"""Webhook subscriptions, the outbox of deliveries, and the attempt log."""

import datetime as dt
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from schemas.webhooks import Webhook, WebhookCreate, WebhookDelivery

WEBHOOK_COLUMNS = "w.id, w.key_id, w.url, w.events, w.description, w.created_at"

INSERT_WEBHOOK = f"""
    WITH w AS (
        INSERT INTO webhooks (id, key_id, url, events, description, secret_sealed, secret_key_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        RETURNING *
    )
    SELECT {WEBHOOK_COLUMNS} FROM w
"""


async def insert_webhook(
    conn: asyncpg.Connection,
    webhook_id: UUID,
    key_id: UUID,
    new: WebhookCreate,
    secret_sealed: bytes,
    secret_key_id: str,
) -> Webhook:
    """Store a subscription with its sealed secret."""
    row = await conn.fetchrow(
        INSERT_WEBHOOK,
        webhook_id,
        key_id,
        new.url,
        sorted(set(new.events)),
        new.description,
        secret_sealed,
        secret_key_id,
    )
    assert row is not None, "an INSERT ... VALUES returns the row it wrote"
    return msgspec.convert(dict(row), Webhook)


# Rows from before secrets were sealed (migration 0003_webhook_safety); SKIP LOCKED lets workers starting
# together share them.
SELECT_PLAIN_SECRETS = """
    SELECT id, secret FROM webhooks WHERE secret IS NOT NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
"""


async def select_plain_secrets(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    """Subscriptions whose secret is still in plain text, locked for sealing."""
    return await conn.fetch(SELECT_PLAIN_SECRETS, limit)


UPDATE_SECRET = """
    UPDATE webhooks SET secret = NULL, secret_sealed = $2, secret_key_id = $3 WHERE id = $1
"""


async def update_secret(conn: asyncpg.Connection, webhook_id: UUID, secret_sealed: bytes, secret_key_id: str) -> None:
    """Replace a subscription's secret (plain or sealed) with a newly sealed one."""
    await conn.execute(UPDATE_SECRET, webhook_id, secret_sealed, secret_key_id)


# $2 null: an admin, who sees every subscription; otherwise only the key's own.
SELECT_WEBHOOK = f"""
    SELECT {WEBHOOK_COLUMNS} FROM webhooks w
     WHERE w.id = $1 AND w.deleted_at IS NULL AND ($2::uuid IS NULL OR w.key_id = $2)
"""
SELECT_WEBHOOK_FOR_UPDATE = SELECT_WEBHOOK + " FOR UPDATE"


async def select_webhook(
    conn: asyncpg.Connection, webhook_id: UUID, key_id: UUID | None, lock: bool = False
) -> Webhook | None:
    """One subscription the caller may see."""
    row = await conn.fetchrow(SELECT_WEBHOOK_FOR_UPDATE if lock else SELECT_WEBHOOK, webhook_id, key_id)
    return None if row is None else msgspec.convert(dict(row), Webhook)


SELECT_WEBHOOKS = f"""
    SELECT {WEBHOOK_COLUMNS} FROM webhooks w
     WHERE w.deleted_at IS NULL AND ($1::uuid IS NULL OR w.key_id = $1)
       AND ($2::timestamptz IS NULL OR (w.created_at, w.id) < ($2, $3))
     ORDER BY w.created_at DESC, w.id DESC
     LIMIT $4
"""


async def select_webhooks(
    conn: asyncpg.Connection, key_id: UUID | None, after: tuple[Any, UUID] | None, limit: int
) -> list[tuple[str, UUID, Webhook]]:
    """A page of subscriptions as (sort key, id, webhook) rows."""
    created, last_id = after if after else (None, None)
    rows = await conn.fetch(
        SELECT_WEBHOOKS, key_id, dt.datetime.fromisoformat(created) if created else None, last_id, limit
    )
    return [(row["created_at"].isoformat(), row["id"], msgspec.convert(dict(row), Webhook)) for row in rows]


# Deliveries still pending are cancelled with the subscription, in the same statement; clearing the lease owner
# keeps an attempt in flight from setting them pending again. The log stays.
DELETE_WEBHOOK = """
    WITH w AS (UPDATE webhooks SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING id)
    UPDATE webhook_deliveries d SET status = 'cancelled', locked_until = NULL, lease_owner = NULL
      FROM w WHERE d.webhook_id = w.id AND d.status = 'pending'
"""


async def delete_webhook(conn: asyncpg.Connection, webhook_id: UUID) -> None:
    """End a subscription and cancel its pending deliveries."""
    await conn.execute(DELETE_WEBHOOK, webhook_id)


DELIVERY_COLUMNS = """
    d.id, d.event_type, d.entity, d.entity_id, d.op, d.at, d.status, d.attempts,
    CASE WHEN d.status = 'pending' THEN d.next_attempt_at END AS next_attempt_at, d.delivered_at,
    a.status_code AS last_status_code, a.error AS last_error
"""

SELECT_DELIVERIES = f"""
    SELECT d.seq, {DELIVERY_COLUMNS} FROM webhook_deliveries d
      LEFT JOIN LATERAL (SELECT status_code, error FROM webhook_attempts
                          WHERE delivery_id = d.id ORDER BY attempt DESC LIMIT 1) a ON true
     WHERE d.webhook_id = $1 AND ($2::text IS NULL OR d.status = $2) AND ($3::bigint IS NULL OR d.seq < $3)
     ORDER BY d.seq DESC
     LIMIT $4
"""


async def select_deliveries(
    conn: asyncpg.Connection, webhook_id: UUID, status: str | None, after: tuple[Any, UUID] | None, limit: int
) -> list[tuple[int, UUID, WebhookDelivery]]:
    """A page of one subscription's deliveries, newest first."""
    rows = await conn.fetch(SELECT_DELIVERIES, webhook_id, status, after[0] if after else None, limit)
    return [(row["seq"], row["id"], msgspec.convert(dict(row), WebhookDelivery)) for row in rows]


INSERT_PING = """
    INSERT INTO webhook_deliveries (webhook_id, event_type, entity, entity_id, op, at)
    VALUES ($1, 'ping', 'webhook', $1, 'ping', now())
    RETURNING id
"""


async def insert_ping(conn: asyncpg.Connection, webhook_id: UUID) -> UUID:
    """Queue a test event for a subscription."""
    delivery_id: UUID = await conn.fetchval(INSERT_PING, webhook_id)
    return delivery_id


REDELIVER = """
    UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(), locked_until = NULL
     WHERE id = $1 AND webhook_id = $2 AND status = 'failed'
    RETURNING id
"""


async def redeliver(conn: asyncpg.Connection, webhook_id: UUID, delivery_id: UUID) -> bool:
    """Queue a failed delivery again; False when there is no such failed delivery."""
    return await conn.fetchval(REDELIVER, delivery_id, webhook_id) is not None


# Due deliveries of live subscriptions; SKIP LOCKED lets every worker claim a different batch, and the
# lease makes a delivery whose worker died due again. Each claim gets a fresh lease owner. At most $4 per
# webhook, none for the webhooks in $3 (those this worker is busy with), so one webhook with a long queue
# or a slow receiver cannot take every slot.
CLAIM_DUE = """
    WITH candidates AS (
        SELECT d.id, d.webhook_id, d.next_attempt_at, d.seq FROM webhook_deliveries d
         WHERE d.status = 'pending' AND d.next_attempt_at <= now()
           AND (d.locked_until IS NULL OR d.locked_until < now())
           AND d.webhook_id <> ALL ($3::uuid[])
         ORDER BY d.next_attempt_at, d.seq
         LIMIT $1 * 4
         FOR UPDATE SKIP LOCKED
    ), due AS (
        SELECT id FROM (SELECT id, next_attempt_at, seq,
                               row_number() OVER (PARTITION BY webhook_id ORDER BY next_attempt_at, seq) AS nth
                          FROM candidates) ranked
         WHERE nth <= $4
         ORDER BY next_attempt_at, seq
         LIMIT $1
    )
    UPDATE webhook_deliveries d
       SET locked_until = now() + make_interval(secs => $2), attempts = d.attempts + 1,
           lease_owner = gen_random_uuid()
      FROM due, webhooks w
     WHERE d.id = due.id AND w.id = d.webhook_id AND w.deleted_at IS NULL
    RETURNING d.id, d.lease_owner, d.webhook_id, d.attempts, d.event_type, d.entity, d.entity_id, d.op, d.at, w.url,
              w.secret_sealed, w.secret_key_id
"""


async def claim_due(
    conn: asyncpg.Connection, limit: int, lease_s: float, busy: list[UUID], per_webhook: int
) -> list[asyncpg.Record]:
    """Take up to `limit` due deliveries for this worker, at most `per_webhook` each, none of `busy` webhooks."""
    return await conn.fetch(CLAIM_DUE, limit, lease_s, busy, per_webhook)


# Only while the claim's lease owner still holds it: after a lease ran out and another worker claimed the
# delivery, or the webhook was deleted, the late attempt changes nothing.
FINISH_ATTEMPT = """
    WITH finished AS (
        UPDATE webhook_deliveries
           SET status = $7, locked_until = NULL, lease_owner = NULL, next_attempt_at = coalesce($8, next_attempt_at),
               delivered_at = CASE WHEN $7 = 'delivered' THEN now() END
         WHERE id = $1 AND lease_owner = $2 AND status = 'pending'
        RETURNING id
    )
    INSERT INTO webhook_attempts (delivery_id, attempt, status_code, error, duration_ms)
    SELECT id, $3, $4, $5, $6 FROM finished
    RETURNING delivery_id
"""


async def finish_attempt(
    conn: asyncpg.Connection,
    delivery_id: UUID,
    lease_owner: UUID,
    attempt: int,
    status_code: int | None,
    error: str | None,
    duration_ms: int,
    status: str,
    next_attempt_at: dt.datetime | None,
) -> bool:
    """Log an attempt and set what happens next (delivered, pending until next_attempt_at, or failed);
    False when the lease was lost and nothing was written."""
    return (
        await conn.fetchval(
            FINISH_ATTEMPT, delivery_id, lease_owner, attempt, status_code, error, duration_ms, status, next_attempt_at
        )
        is not None
    )


# Leases a shutdown gave back, each only while its owner still holds it: due again now, the cut attempt
# not counted.
RELEASE_LEASES = """
    UPDATE webhook_deliveries d
       SET locked_until = NULL, lease_owner = NULL, attempts = d.attempts - 1
      FROM unnest($1::uuid[], $2::uuid[]) AS l(id, owner)
     WHERE d.id = l.id AND d.lease_owner = l.owner AND d.status = 'pending'
    RETURNING d.id
"""


async def release_leases(conn: asyncpg.Connection, delivery_ids: list[UUID], owners: list[UUID]) -> int:
    """Give back claimed deliveries that were not finished; how many were still held."""
    return len(await conn.fetch(RELEASE_LEASES, delivery_ids, owners))
