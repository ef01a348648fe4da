"""Who is calling, what they may do, and how often.

Every request is resolved to a Caller once, by `admit`, which also counts it against the
caller's per-minute quota in PostgreSQL (one atomic upsert, so the limit is exact across worker
processes). Keys are accepted only as `Authorization: Bearer <key>`; the environment's admin key is
the bootstrap key that creates the others.
"""

import datetime as dt
import functools
import hashlib
import hmac
import ipaddress
import secrets
import urllib.parse
from collections.abc import Callable
from typing import Any
from uuid import UUID

import asyncpg
import msgspec
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Scope, Send

from schemas.problems import InvalidParam
from service.config import Settings
from service.curation.lifecycle import explain_missing
from service.db import BROKEN, pooled
from service.errors import Forbidden, InvalidInput, Unauthorized, send_problem
from service.http.access import SECRET_PARAMS
from service.queries import keys as queries
from service.queries.owners import select_owner
from service.state import app_state

BOOTSTRAP_ID = UUID(int=0)
WINDOW_S = 60
UNCOUNTED_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/", "/sw.js", "/manifest.webmanifest"})
# The field app's files come from memory and touch no database.
UNCOUNTED_PREFIX = "/app/"


class Caller(msgspec.Struct, frozen=True):
    """The key behind a request (or anonymous), with its scopes and the organizations it may change."""

    key_id: UUID | None
    name: str
    scopes: frozenset[str]
    organization_ids: frozenset[UUID] | None = None

    def has(self, scope: str) -> bool:
        """Whether the caller holds a scope; admin holds them all."""
        return scope in self.scopes or "admin" in self.scopes


ANONYMOUS = Caller(key_id=None, name="anonymous", scopes=frozenset())
BOOTSTRAP = Caller(
    key_id=BOOTSTRAP_ID,
    name="bootstrap (COMMONGROUND_ADMIN_KEY)",
    scopes=frozenset({"read", "suggest", "write", "admin", "confidential"}),
)


def new_secret() -> tuple[str, str, bytes]:
    """A fresh key: the secret, the prefix shown in listings, and the hash that is stored."""
    key = "cg_" + secrets.token_urlsafe(32)
    return key, key[:10], hash_secret(key)


def hash_secret(key: str) -> bytes:
    """What is stored and looked up for a key."""
    return hashlib.sha256(key.encode()).digest()


def caller_in(scope: Scope) -> Caller:
    """The caller admit resolved for this scope; anonymous where it has not run."""
    caller = scope.get("commonground.caller")
    return caller if isinstance(caller, Caller) else ANONYMOUS


def caller_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Caller:
    """The caller resolved for this request."""
    return caller_in(connection.scope)


def may_see_confidential(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """Whether answers may show the exact place of confidential locations."""
    return caller_of(connection).has("confidential")


def require(scope: str) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]:
    """A guard: the caller's key must hold `scope` (admin holds every scope)."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        caller = caller_of(connection)
        if caller.has(scope):
            return
        if caller.key_id is not None:
            raise Forbidden(f"this key lacks the '{scope}' scope that this route needs")
        settings: Settings = app_state(connection.app).settings
        if not settings.admin_key:
            raise Forbidden(
                f"this route needs a key with the '{scope}' scope, and no admin key is configured to create "
                "one: set COMMONGROUND_ADMIN_KEY to a long random secret, restart, and send it as "
                "'Authorization: Bearer <key>' (POST /v1/keys then makes narrower keys)"
            )
        raise Unauthorized(f"this route needs 'Authorization: Bearer <key>' with the '{scope}' scope")

    guard.__name__ = f"require_{scope}"
    return guard


require_admin = require("admin")
require_write = require("write")


def check_organization(connection: ASGIConnection[Any, Any, Any, Any], organization_id: UUID | None) -> None:
    """Per-object check: a key limited to organizations may touch only their listings (403 otherwise)."""
    allowed = caller_of(connection).organization_ids
    if allowed is not None and organization_id not in allowed:
        raise Forbidden("this key may change only the listings of its own organizations")


def _window(now: dt.datetime) -> dt.datetime:
    return now.replace(second=now.second - now.second % WINDOW_S, microsecond=0)


def client_bucket(scope: Scope) -> str:
    """Who an anonymous caller is for quotas: the address, IPv6 by /64 (one subscriber's whole
    prefix), an IPv4-mapped address as the IPv4 address."""
    client = scope.get("client")
    return _bucket(client[0] if client else "unknown")


@functools.lru_cache(maxsize=4096)  # parsing an address costs more than the rest of counting a request
def _bucket(host: str) -> str:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


async def admit(scope: Scope, send: Send, authorization: bytes | None) -> list[tuple[bytes, bytes]] | None:
    """Resolve the caller and count the request: the quota headers its answer carries, or None when
    this has already answered (400, 401, 429 or 503)."""
    path = scope.get("path", "")
    query = scope.get("query_string", b"").decode("latin-1")
    if query and (given := SECRET_PARAMS & _parameter_names(query)):
        name = sorted(given)[0]
        await send_problem(
            send,
            path,
            400,
            "Credentials in the URL",
            "keys are accepted only in the Authorization header ('Authorization: Bearer <key>'); "
            "a key sent in a URL ends up in logs and histories, so revoke it and make a new one",
            "tag:commonground,2026:unauthorized",
            [InvalidParam(name=name, reason="credentials belong in the Authorization header", location="query")],
        )
        return None
    state = app_state(scope["app"])
    settings: Settings = state.settings
    caller, limit, hits = ANONYMOUS, settings.rate_limit_anonymous, 0
    now = dt.datetime.now(dt.UTC)
    window = _window(now)
    counted = path not in UNCOUNTED_PATHS and not path.startswith(UNCOUNTED_PREFIX) and scope.get("method") != "OPTIONS"
    try:
        if authorization is not None:
            scheme, _, token = authorization.decode("latin-1").partition(" ")
            token = token.strip()
            if scheme.lower() != "bearer" or not token:
                await _refuse(scope, send, path, window, now, "send the key as 'Authorization: Bearer <key>'")
                return None
            if settings.admin_key and hmac.compare_digest(token.encode(), settings.admin_key.encode()):
                caller, limit = BOOTSTRAP, settings.rate_limit_key
                if counted and limit:
                    hits = await state.quotas.count(state.pool, "key:bootstrap", window, limit)
                    async with pooled(state.pool, 5) as conn:
                        await queries.count_usage(conn, BOOTSTRAP_ID, window.date(), hits > limit)
            else:
                async with pooled(state.pool, 5) as conn:
                    # The lookup is by hash, so timing reveals nothing about stored secrets.
                    row = await queries.count_key_request(conn, hash_secret(token), window, settings.rate_limit_key)
                if row is None:
                    await _refuse(
                        scope,
                        send,
                        path,
                        window,
                        now,
                        "the bearer key is not valid (unknown, expired or revoked)"
                        + (
                            "; no COMMONGROUND_ADMIN_KEY is configured on this server, so only keys "
                            "made with POST /v1/keys work"
                            if not settings.admin_key
                            else ""
                        ),
                    )
                    return None
                caller = Caller(
                    key_id=row["id"],
                    name=row["name"],
                    scopes=frozenset(row["scopes"]),
                    organization_ids=None if row["organization_ids"] is None else frozenset(row["organization_ids"]),
                )
                limit, hits = row["rate_limit"] or 0, row["hits"]
        elif counted and limit:
            hits = await state.quotas.count(state.pool, "ip:" + client_bucket(scope), window, limit)
    except BROKEN:
        await send_problem(
            send,
            path,
            503,
            "Database unavailable",
            "the database is not reachable right now; try again shortly",
            headers=[(b"retry-after", b"5")],
        )
        return None
    scope["commonground.caller"] = caller  # type: ignore[typeddict-unknown-key]  # our own key in the ASGI scope
    if not (counted and limit):
        return []
    reset = WINDOW_S - int((now - window).total_seconds())
    quota = _quota_headers(limit, hits, reset)
    if hits > limit:
        await _throttle(scope, send, path, caller, limit, quota, reset)
        return None
    return quota


def _parameter_names(query: str) -> set[str]:
    """The query's parameter names, lower-cased, as urllib.parse.parse_qsl would decode them."""
    if "%" in query or "+" in query:
        return {name.lower() for name, _ in urllib.parse.parse_qsl(query, keep_blank_values=True)}
    # Nothing to decode: the same names without parse_qsl's cost on every request.
    return {part.partition("=")[0].lower() for part in query.split("&") if part}


def _quota_headers(limit: int, hits: int, reset: int) -> list[tuple[bytes, bytes]]:
    return [
        (b"ratelimit-limit", str(limit).encode()),
        (b"ratelimit-remaining", str(max(limit - hits, 0)).encode()),
        (b"ratelimit-reset", str(reset).encode()),
        (b"ratelimit-policy", f"{limit};w={WINDOW_S}".encode()),
    ]


async def _throttle(
    scope: Scope, send: Send, path: str, caller: Caller, limit: int, quota: list[tuple[bytes, bytes]], reset: int
) -> None:
    app_state(scope["app"]).metrics.throttled.labels("key" if caller.key_id else "anonymous").inc()
    who = "this key" if caller.key_id else "this address without a key (a key gets more)"
    await send_problem(
        send,
        path,
        429,
        "Too many requests",
        f"{who} may make {limit} requests a minute; retry in {reset} s",
        "tag:commonground,2026:rate-limited",
        headers=[(b"retry-after", str(reset).encode()), *quota],
    )


async def _refuse(scope: Scope, send: Send, path: str, window: dt.datetime, now: dt.datetime, detail: str) -> None:
    """A 401 for a key that does not work, counted against the address's anonymous quota so that guessing
    keys is throttled like any anonymous traffic (429 once the quota is spent)."""
    state = app_state(scope["app"])
    limit = state.settings.rate_limit_anonymous
    if limit:
        hits = await state.quotas.count(state.pool, "ip:" + client_bucket(scope), window, limit)
        if hits > limit:
            reset = WINDOW_S - int((now - window).total_seconds())
            await _throttle(scope, send, path, ANONYMOUS, limit, _quota_headers(limit, hits, reset), reset)
            return
    await _unauthorized(send, path, detail)


async def _unauthorized(send: Send, path: str, detail: str) -> None:
    await send_problem(
        send,
        path,
        401,
        "Unauthorized",
        detail,
        "tag:commonground,2026:unauthorized",
        [InvalidParam(name="Authorization", reason=detail, location="header")],
        [(b"www-authenticate", b'Bearer realm="commonground"')],
    )


async def delete_old_windows(pool: asyncpg.Pool) -> None:
    """Forget quota windows that have ended, the hourly ones of suggestions included (run by every worker)."""
    async with pooled(pool, 5) as conn:
        await queries.delete_old_windows(conn, dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))


async def check_owner(
    connection: ASGIConnection[Any, Any, Any, Any],
    conn: asyncpg.Connection,
    kind: str,
    listing_id: UUID,
    lock: bool = False,
    field: str | None = None,
    deleted: bool = False,
) -> None:
    """404 (or 308 for a merged id) for a missing listing, 422 naming `field` when the id comes from the
    body; 403 when the key may not change it. With lock, the row stays locked until the transaction ends;
    with deleted, deleted listings count too."""
    row = await select_owner(conn, kind, listing_id, lock, deleted)
    if row is None:
        if field is not None:
            raise InvalidInput(field, f"no {kind} has id {listing_id}", "body")
        await explain_missing(conn, kind, listing_id)
    check_organization(connection, row["organization_id"])
