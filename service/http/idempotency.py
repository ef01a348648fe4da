"""Idempotency-Key on POST: a retried create returns the first answer; the same key with another
body is a 422. The first answer is kept for 24 hours (4xx included, 5xx not, so a retry after our
failure runs again). When PostgreSQL is gone as the request ends, its answer is stored (or its key
released) as soon as it is back. Uploads to /v1/imports, which can be large, are not covered.

An answer that carries a secret (a new API key, a webhook's signing secret) is kept without it: a
replay answers with the same object and status, the secret replaced by a notice that it was shown once.
"""

import asyncio
import hashlib
import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.types import (
    ASGIApp,
    HTTPResponseStartEvent,
    HTTPScope,
    Message,
    Receive,
    ReceiveMessage,
    Scope,
    Send,
)

from schemas.problems import InvalidParam
from service.db import BROKEN, pooled
from service.errors import BodyTimeout, send_problem
from service.http.auth import caller_in
from service.queries import idempotency as queries
from service.state import app_state

_KEY = re.compile(rb"^[\x21-\x7e]{1,200}$")
_REPLAYED_HEADERS = {b"content-type", b"location", b"etag"}
_MAX_BODY = 1_048_576 * 4
_SECRET_FIELDS = "commonground.secret_fields"
KEY_LIFETIME_S = 86_400
# How often a request's end (its answer, or the release of its key) is retried while PostgreSQL is down.
SETTLE_RETRY_S = 1.0
SHOWN_ONCE = (
    "withheld: a secret is shown only in the first answer and is not kept; this is a replay of it. "
    "If that answer was lost, rotate to get a new secret"
)


def withhold_on_replay(connection: ASGIConnection[Any, Any, Any, Any], *fields: str) -> None:
    """Mark top-level fields of this request's answer as secrets that a stored answer must not keep."""
    connection.scope[_SECRET_FIELDS] = fields  # type: ignore[literal-required]  # our own key in the ASGI scope


def _without_secrets(scope: Scope, headers: list[tuple[str, str]], body: bytes) -> tuple[list[tuple[str, str]], bytes]:
    """The answer as it may be stored: marked secrets replaced by a notice (and no ETag of the first body)."""
    fields = scope.get(_SECRET_FIELDS)
    if not isinstance(fields, tuple) or not fields:
        return headers, body
    document = json.loads(body)
    for field in fields:
        if isinstance(document, dict) and field in document:
            document[field] = SHOWN_ONCE
    return [(name, value) for name, value in headers if name.lower() != "etag"], json.dumps(document).encode()


async def _send_problem(
    send: Send, path: str, status: int, title: str, detail: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    params = (
        [InvalidParam(name="Idempotency-Key", reason=detail, location="header")]
        if status < 500 and status != 409
        else None
    )
    await send_problem(send, path, status, title, detail, "tag:commonground,2026:idempotency", params, headers)


def idempotency_middleware(app: ASGIApp) -> ASGIApp:
    """Wrap the app: POSTs with an Idempotency-Key run once per key."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        raw_key = headers.get(b"idempotency-key")
        path = scope.get("path", "")
        if raw_key is None or scope.get("method") != "POST" or path.startswith("/v1/imports"):
            await app(scope, receive, send)
            return
        if not _KEY.match(raw_key):
            await _send_problem(send, path, 422, "Invalid input", "must be 1 to 200 visible ASCII characters")
            return
        chunks, size = [], 0
        while True:
            try:
                message = await receive()
            except BodyTimeout as error:
                await send_problem(send, path, error.status, error.title, error.detail, error.kind)
                return
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > _MAX_BODY:
                await _send_problem(send, path, 413, "Request body too large", "the body is too large to replay")
                return
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        # The answer is kept as sent, so it is sent uncompressed: a replay needs no Content-Encoding.
        uncompressed: HTTPScope = {
            **scope,
            "headers": [(name, value) for name, value in scope.get("headers", []) if name != b"accept-encoding"],
        }
        scope = uncompressed
        # A key with an API key behind it is that caller's: nobody else can answer, or spoil, it. A key sent
        # without one belongs to its body instead of the client's address: a phone that lost the answer
        # to a report retries from another network, and must get that answer, not file a second report.
        # Only one who sends the same random key with the same body is answered (with what they sent).
        resolved = caller_in(scope)
        digest = hashlib.sha256(body).hexdigest()
        who = f"key:{resolved.key_id}" if resolved.key_id is not None else f"body:{digest}"
        caller = hashlib.sha256(who.encode()).hexdigest()[:32]
        key = f"{caller}:{raw_key.decode()}"
        pool: asyncpg.Pool = app_state(scope["app"]).pool
        try:
            async with pooled(pool, 5) as conn:
                first = await queries.claim_key(conn, key, "POST", path, digest)
                stored = None if first else await queries.select_key(conn, key, "POST", path)
        except BROKEN:
            await _send_problem(
                send, path, 503, "Service unavailable", "the database is unreachable", [(b"retry-after", b"5")]
            )
            return
        if stored is not None:
            if stored["request_hash"] != digest:
                await _send_problem(
                    send, path, 422, "Invalid input", "this Idempotency-Key was used with a different body"
                )
            elif stored["status"] is None:
                await _send_problem(
                    send,
                    path,
                    409,
                    "Conflict",
                    "a request with this Idempotency-Key is still running; retry shortly",
                    [(b"retry-after", b"1")],
                )
            else:
                replay = [
                    (name.encode("latin-1"), value.encode("latin-1")) for name, value in json.loads(stored["headers"])
                ]
                await send(
                    {
                        "type": "http.response.start",
                        "status": stored["status"],
                        "headers": [
                            *replay,
                            (b"content-length", str(len(stored["body"])).encode()),
                            (b"idempotent-replayed", b"true"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": stored["body"], "more_body": False})
            return
        if stored is None and not first:  # claimed and answered, then expired between the two queries
            await app(scope, _replay_receive(body, receive), send)
            return

        start: HTTPResponseStartEvent | None = None
        parts: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))
            await send(message)

        try:
            await app(scope, _replay_receive(body, receive), capture)
        finally:
            status = start["status"] if start else 500
            if status >= 500:

                async def settle(conn: asyncpg.Connection) -> None:
                    await queries.release_key(conn, key, "POST", path)

            else:
                kept = [
                    (name.decode("latin-1"), value.decode("latin-1"))
                    for name, value in (start.get("headers", []) if start else [])
                    if name.lower() in _REPLAYED_HEADERS
                ]
                kept, answer = _without_secrets(scope, kept, b"".join(parts))

                async def settle(conn: asyncpg.Connection) -> None:
                    await queries.store_answer(conn, key, "POST", path, status, kept, answer)

            try:
                async with pooled(pool, 5) as conn:
                    await settle(conn)
            except BROKEN:
                jobs = app_state(scope["app"]).jobs
                task = asyncio.create_task(_settle_later(pool, settle))
                jobs.add(task)
                task.add_done_callback(jobs.discard)

    return middleware


async def _settle_later(pool: asyncpg.Pool, settle: Callable[[asyncpg.Connection], Awaitable[None]]) -> None:
    """Store the answer, or release the key, once PostgreSQL answers again: until then a retry is told
    to wait (409, Retry-After 1) instead of being refused for the day the key lives."""
    deadline = time.monotonic() + KEY_LIFETIME_S
    while time.monotonic() < deadline:
        await asyncio.sleep(SETTLE_RETRY_S)
        try:
            async with pooled(pool, 5) as conn:
                await settle(conn)
            return
        except BROKEN:
            continue


def _replay_receive(body: bytes, original: Receive) -> Receive:
    """The body already read, then whatever the client sends next (its disconnect)."""
    sent = False

    async def receive() -> ReceiveMessage:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await original()

    return receive
