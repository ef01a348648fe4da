"""Webhook delivery: signed POSTs from the outbox, retried with exponential backoff.

Each event is signed with the subscription's secret: the header
`CommonGround-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. Receivers recompute
it, compare in constant time, and refuse timestamps older than a few minutes (replays). The body's
`id` is the same on every retry of one event, so receivers can drop duplicates.
"""

import asyncio
import datetime as dt
import hashlib
import hmac
import ipaddress
import logging
import random
import socket
import time
import urllib.parse
from uuid import UUID

import asyncpg
import httpx
import msgspec

from schemas.webhooks import EventData, WebhookEvent
from service.config import Settings
from service.errors import InvalidInput
from service.metrics import Metrics
from service.queries import webhooks as queries
from service.sealing import ServerKey, Unsealable

log = logging.getLogger("commonground.webhooks")
BATCH = 20
POLL_S = 1.0
MAX_BACKOFF_S = 6 * 3600


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value for one delivery attempt."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def seal_secret(key: ServerKey, webhook_id: UUID, secret: str) -> bytes:
    """A signing secret as stored: sealed, and bound to its webhook so it cannot be moved to another row."""
    return key.seal(secret, webhook_id.bytes)


def open_secret(key: ServerKey, webhook_id: UUID, sealed: bytes, key_id: str) -> str:
    """The signing secret of a webhook, to sign with."""
    return key.open(sealed, webhook_id.bytes, key_id)


async def seal_plain_secrets(conn: asyncpg.Connection, key: ServerKey) -> int:
    """Seal the secrets stored in plain text before migration 0018; how many there were."""
    sealed = 0
    while True:
        async with conn.transaction():
            rows = await queries.select_plain_secrets(conn, 100)
            for row in rows:
                await queries.update_secret(conn, row["id"], seal_secret(key, row["id"], row["secret"]), key.id)
        sealed += len(rows)
        if not rows:
            return sealed


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return not ip.is_global or ip.is_multicast


def check_url(url: str, settings: Settings) -> None:
    """Registration check: https, a host name or a public address (unless insecure URLs are allowed)."""
    parts = urllib.parse.urlsplit(url)
    if settings.webhook_allow_insecure:
        return
    if parts.scheme != "https":
        raise InvalidInput("url", "must be an https:// URL", "body")
    host = (parts.hostname or "").rstrip(".").lower()
    try:
        literal = _private(host)
    except ValueError:
        literal = host == "localhost" or host.endswith(".localhost") or host.endswith(".internal")
    if literal:
        raise InvalidInput("url", "must not point at a private, loopback or link-local address", "body")


async def _refuse_private(url: str) -> str | None:
    """At delivery time, the name must still resolve only to public addresses (no SSRF via DNS)."""
    parts = urllib.parse.urlsplit(url)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(parts.hostname, parts.port or 443,
                                                             type=socket.SOCK_STREAM)
    except OSError as error:
        return f"cannot resolve {parts.hostname}: {error}"
    if any(_private(info[4][0]) for info in infos):
        return f"{parts.hostname} resolves to a private address; refused"
    return None


def backoff(attempt: int, base_s: float) -> float:
    """Seconds before the next try after `attempt` failed: base * 2^(attempt-1), capped, ±20% jitter."""
    return min(base_s * 2 ** (attempt - 1), MAX_BACKOFF_S) * random.uniform(0.8, 1.2)


class Deliverer:
    """Drains the outbox; every worker runs one."""

    def __init__(self, pool: asyncpg.Pool, settings: Settings, metrics: Metrics, key: ServerKey) -> None:
        self.pool, self.settings, self.metrics, self.key = pool, settings, metrics, key
        self.client = httpx.AsyncClient(timeout=settings.webhook_timeout_s, follow_redirects=False,
                                        headers={"User-Agent": "CommonGround-Webhooks/1"})

    async def run(self) -> None:
        """Claim and deliver due events until cancelled."""
        try:
            while True:
                try:
                    done = await self.deliver_due()
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
                    log.warning("webhook delivery round failed; retrying", exc_info=True)
                    done = 0
                if done < BATCH:
                    await asyncio.sleep(POLL_S)
        finally:
            await self.client.aclose()

    async def deliver_due(self) -> int:
        """One round: claim up to BATCH due deliveries and send them concurrently."""
        async with self.pool.acquire(timeout=5) as conn:
            claimed = await queries.claim_due(conn, BATCH, self.settings.webhook_timeout_s * 3 + 30)
        await asyncio.gather(*(self._deliver(row) for row in claimed))
        return len(claimed)

    async def _deliver(self, row: asyncpg.Record) -> None:
        body = msgspec.json.encode(WebhookEvent(id=row["id"], type=row["event_type"], data=EventData(
            entity=row["entity"], id=row["entity_id"], op=row["op"], at=row["at"])))
        started = time.perf_counter()
        status_code, error = None, None
        refused = None if self.settings.webhook_allow_insecure else await _refuse_private(row["url"])
        if refused:
            error = refused
        else:
            timestamp = int(time.time())
            try:
                secret = open_secret(self.key, row["webhook_id"], row["secret_sealed"], row["secret_key_id"])
                response = await self.client.post(row["url"], content=body, headers={
                    "Content-Type": "application/json", "CommonGround-Event": row["event_type"],
                    "CommonGround-Delivery": str(row["id"]), "CommonGround-Attempt": str(row["attempts"]),
                    "CommonGround-Signature": sign(secret, timestamp, body)})
                status_code = response.status_code
                if not 200 <= status_code < 300:
                    error = f"answered {status_code}"
            except (httpx.HTTPError, Unsealable) as failure:
                error = f"{type(failure).__name__}: {failure}"[:500]
        duration_ms = int((time.perf_counter() - started) * 1000)
        if error is None:
            outcome, next_at = "delivered", None
        elif refused or row["attempts"] >= self.settings.webhook_max_attempts:
            outcome, next_at = "failed", None
        else:
            outcome = "pending"
            next_at = dt.datetime.now(dt.timezone.utc) + dt.timedelta(
                seconds=backoff(row["attempts"], self.settings.webhook_retry_base_s))
        self.metrics.deliveries.labels("delivered" if error is None else "error").inc()
        async with self.pool.acquire(timeout=5) as conn:
            await queries.finish_attempt(conn, row["id"], row["attempts"], status_code, error, duration_ms, outcome,
                                         next_at)
