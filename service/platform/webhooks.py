"""Webhook delivery: signed POSTs from the outbox, retried with exponential backoff.

Each event is signed with the subscription's secret: the header
`CommonGround-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. Receivers recompute
it, compare in constant time, and refuse timestamps older than a few minutes (replays). The body's
`id` is the same on every retry of one event, so receivers can drop duplicates. Each attempt connects to
the address it has just checked is public (DNS pinning), under one deadline, beside the other attempts.
"""

import asyncio
import collections
import datetime as dt
import hashlib
import hmac
import ipaddress
import logging
import random
import socket
import ssl
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from uuid import UUID

import asyncpg
import httpcore
import httpx
import msgspec

from schemas.webhooks import EventData, WebhookEvent
from service.config import Settings
from service.db import BROKEN, pooled
from service.errors import InvalidInput
from service.http.metrics import Metrics
from service.platform.sealing import ServerKey, Unsealable
from service.queries import webhooks as queries

log = logging.getLogger("commonground.webhooks")
# Attempts in flight per worker, and per webhook within them.
CONCURRENCY = 20
PER_WEBHOOK = 4
POLL_S = 1.0
MAX_BACKOFF_S = 6 * 3600
RESOLVE_TIMEOUT_S = 5.0
# Only the status matters; a receiver answering more than this is cut off.
MAX_RESPONSE_BYTES = 64 * 1024
HEADERS = {"User-Agent": "CommonGround-Webhooks/1"}
SEND_ERRORS = (
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.TimeoutException,
    httpcore.UnsupportedProtocol,
    ssl.SSLError,
    OSError,
)


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
    """Seal the secrets stored in plain text before migration 0003_webhook_safety; how many there were."""
    sealed = 0
    while True:
        async with conn.transaction():
            rows = await queries.select_plain_secrets(conn, 100)
            for row in rows:
                await queries.update_secret(conn, row["id"], seal_secret(key, row["id"], row["secret"]), key.id)
        sealed += len(rows)
        if not rows:
            return sealed


class Refused(Exception):
    """A webhook URL whose host is, or resolves to, an address webhooks must never reach."""


Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver answers for host, in its order."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except UnicodeError as error:  # a name IDNA cannot encode (a label over 63 characters, ...)
        raise OSError(f"not a valid host name: {error}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def forbidden(address: str) -> bool:
    """Whether webhooks must not reach this address: anything but a public unicast one."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4 address carried inside IPv6 reaches that IPv4 host.
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is not None and forbidden(str(inner)):
            return True
    return (
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


async def addresses_for(host: str, port: int, resolve: Resolver, allow_private: bool) -> list[str]:
    """The addresses to connect to for host (a literal as it is), every one checked."""
    try:
        found = [str(ipaddress.ip_address(host))]
    except ValueError:
        if not allow_private and (host == "localhost" or host.endswith((".localhost", ".internal"))):
            raise Refused(f"{host} is a local name; refused") from None
        found = await resolve(host, port)
    if not found:
        raise OSError(f"{host} has no address")
    if not allow_private and (bad := [address for address in found if forbidden(address)]):
        raise Refused(f"{host} resolves to {bad[0]}, a private, loopback, link-local or reserved address; refused")
    return found


def _host_port(url: str) -> tuple[str, int]:
    parts = urllib.parse.urlsplit(url)
    return (parts.hostname or "").rstrip(".").lower(), parts.port or (443 if parts.scheme == "https" else 80)


async def check_url(url: str, settings: Settings, resolve: Resolver) -> None:
    """Registration check: https, and a host resolving only to public addresses (unless insecure URLs are allowed)."""
    if settings.webhook_allow_insecure:
        return
    if urllib.parse.urlsplit(url).scheme != "https":
        raise InvalidInput("url", "must be an https:// URL", "body")
    host, port = _host_port(url)
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT_S):
            await addresses_for(host, port, resolve, allow_private=False)
    except Refused as refusal:
        raise InvalidInput(
            "url", f"must not point at a private, loopback or link-local address ({refusal})", "body"
        ) from None
    except OSError as failure:  # TimeoutError included
        raise InvalidInput("url", f"the host {host} cannot be resolved ({failure or 'timed out'})", "body") from None


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Connects to the addresses checked for this attempt instead of looking the host up again.

    The URL keeps its host name, so the Host header, TLS SNI and certificate checks all use it; only the
    TCP connection goes to the checked address (a rebinding DNS server gets no second question).
    """

    def __init__(self, addresses: list[str]) -> None:
        self.addresses, self.inner = addresses, httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's network backend interface passes it by this name
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        failure: Exception | None = None
        for address in self.addresses:
            try:
                return await self.inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as error:
                failure = error
        raise failure or httpcore.ConnectError(f"{host} has no address")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def backoff(attempt: int, base_s: float) -> float:
    """Seconds before the next try after `attempt` failed: base * 2^(attempt-1), capped, ±20% jitter."""
    return min(base_s * 2.0 ** (attempt - 1), MAX_BACKOFF_S) * random.uniform(0.8, 1.2)


class Deliverer:
    """Drains the outbox; every worker runs one."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        settings: Settings,
        metrics: Metrics,
        key: ServerKey,
        resolve: Resolver = system_resolve,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.pool, self.settings, self.metrics, self.key, self.resolve = pool, settings, metrics, key, resolve
        self.ssl_context = ssl_context or httpx.create_ssl_context()

    async def run(self) -> None:
        """Claim and deliver due events until cancelled, each attempt a task of its own so none waits for another."""
        sending: dict[asyncio.Task[None], asyncpg.Record] = {}
        try:
            while True:
                free, claimed = CONCURRENCY - len(sending), []
                if free > 0:
                    counts = collections.Counter(row["webhook_id"] for row in sending.values())
                    busy = [webhook for webhook, n in counts.items() if n >= PER_WEBHOOK]
                    try:
                        claimed = await self._claim(free, busy)
                    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                        log.warning("claiming webhook deliveries failed; retrying", exc_info=True)
                for row in claimed:
                    sending[asyncio.create_task(self._deliver(row))] = row
                if sending:
                    # Every slot taken: wait for one. Otherwise poll again soon, or as soon as one frees up.
                    full = len(sending) >= CONCURRENCY
                    done, _ = await asyncio.wait(
                        sending, timeout=None if full else POLL_S, return_when=asyncio.FIRST_COMPLETED
                    )
                    for task in done:
                        del sending[task]
                        if (failure := task.exception()) is not None:
                            log.warning(
                                "a webhook attempt could not be recorded; its lease will lapse and it "
                                "will be sent again",
                                exc_info=failure,
                            )
                else:
                    await asyncio.sleep(POLL_S)
        finally:
            for task in sending:
                task.cancel()
            await asyncio.gather(*sending, return_exceptions=True)
            await self._release([row for task, row in sending.items() if task.cancelled()])

    async def _release(self, rows: list[asyncpg.Record]) -> None:
        """Give back the leases of attempts a shutdown cut short, so another worker sends them at once
        rather than after the lease (minutes); the cut attempt does not count as one."""
        if not rows:
            return
        try:
            async with asyncio.timeout(5), pooled(self.pool, 5) as conn:
                released = await queries.release_leases(
                    conn, [row["id"] for row in rows], [row["lease_owner"] for row in rows]
                )
            log.info("released %d webhook deliveries cut short by shutdown", released)
        except (asyncpg.PostgresError, *BROKEN):
            log.warning("could not release %d webhook leases; they lapse on their own", len(rows), exc_info=True)

    async def deliver_due(self) -> int:
        """One round: claim up to CONCURRENCY due deliveries, send them concurrently, wait for all of them."""
        claimed = await self._claim(CONCURRENCY, [])
        await asyncio.gather(*(self._deliver(row) for row in claimed))
        return len(claimed)

    async def _claim(self, limit: int, busy: list[UUID]) -> list[asyncpg.Record]:
        # The lease outlasts the attempt's whole deadline, so it only runs out when this worker stalls or dies.
        async with pooled(self.pool, 5) as conn:
            return await queries.claim_due(conn, limit, self.settings.webhook_timeout_s * 3 + 30, busy, PER_WEBHOOK)

    async def _send(self, url: str, headers: dict[str, str], body: bytes) -> int:
        """POST body to url at an address checked now; the answer's status."""
        host, port = _host_port(url)
        addresses = await addresses_for(host, port, self.resolve, self.settings.webhook_allow_insecure)
        backend = PinnedBackend(addresses)
        async with (
            httpcore.AsyncConnectionPool(
                ssl_context=self.ssl_context, network_backend=backend, max_connections=1, keepalive_expiry=0
            ) as pool,
            pool.stream("POST", url, headers=list({**HEADERS, **headers}.items()), content=body) as response,
        ):
            read = 0
            async for chunk in response.aiter_stream():
                read += len(chunk)
                if read >= MAX_RESPONSE_BYTES:
                    break
            return response.status

    async def _deliver(self, row: asyncpg.Record) -> None:
        body = msgspec.json.encode(
            WebhookEvent(
                id=row["id"],
                type=row["event_type"],
                data=EventData(entity=row["entity"], id=row["entity_id"], op=row["op"], at=row["at"]),
            )
        )
        started = time.perf_counter()
        status_code, error, final = None, None, False
        try:
            secret = open_secret(self.key, row["webhook_id"], row["secret_sealed"], row["secret_key_id"])
            async with asyncio.timeout(self.settings.webhook_timeout_s):
                status_code = await self._send(
                    row["url"],
                    {
                        "Content-Type": "application/json",
                        "CommonGround-Event": row["event_type"],
                        "CommonGround-Delivery": str(row["id"]),
                        "CommonGround-Attempt": str(row["attempts"]),
                        "CommonGround-Signature": sign(secret, int(time.time()), body),
                    },
                    body,
                )
            if not 200 <= status_code < 300:
                error = f"answered {status_code}"
        except Refused as refusal:
            error, final = str(refusal), True
        except TimeoutError:
            error = f"timed out: no complete answer within {self.settings.webhook_timeout_s:g} s"
        except Unsealable as unsealable:
            error = f"cannot sign: the secret is {unsealable}"
        except SEND_ERRORS as failure:
            error = f"{type(failure).__name__}: {failure}"[:500]
        duration_ms = int((time.perf_counter() - started) * 1000)
        if error is None:
            outcome, next_at = "delivered", None
        elif final or row["attempts"] >= self.settings.webhook_max_attempts:
            outcome, next_at = "failed", None
        else:
            outcome = "pending"
            next_at = dt.datetime.now(dt.UTC) + dt.timedelta(
                seconds=backoff(row["attempts"], self.settings.webhook_retry_base_s)
            )
        async with pooled(self.pool, 5) as conn:
            owned = await queries.finish_attempt(
                conn,
                row["id"],
                row["lease_owner"],
                row["attempts"],
                status_code,
                error,
                duration_ms,
                outcome,
                next_at,
            )
        if not owned:
            log.warning(
                "webhook delivery %s attempt %d ended after its lease passed to another worker or the "
                "webhook was deleted; its outcome (%s) was dropped",
                row["id"],
                row["attempts"],
                error or "delivered",
            )
            return
        self.metrics.deliveries.labels("delivered" if error is None else "error").inc()
