"""The one ASGI pass around the whole app, outside the router so that unmatched paths and errors
are covered too: request id, caller and quota, the stream budget, Allow, HEAD, a bound on slow bodies,
metrics and the access line.

Each part is its module's (access, auth, streams, contract, idempotency); here they share one scan
of the request headers and one wrapper of `send`, instead of a layer each.
"""

import asyncio
import time
from collections.abc import Callable

from litestar import Litestar
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

from service.db import WRITTEN_LSN
from service.errors import BodyTimeout
from service.http.access import log_answer, request_id
from service.http.auth import admit
from service.http.contract import Allow
from service.http.idempotency import idempotency_middleware
from service.http.streams import stream_middleware
from service.replicas import retry_on_primary
from service.state import app_state


def edge_middleware(app: Litestar, reads_first: Callable[[ASGIApp], ASGIApp] | None = None) -> ASGIApp:
    """Wrap the app (its router and everything inside) in the per-request work every answer shares;
    reads_first wraps what reads go to (a route's own shortcut past the router)."""
    inner = app.asgi_handler
    allow = Allow(app)
    plain = stream_middleware(retry_on_primary(inner))
    if reads_first is not None:
        plain = reads_first(plain)
    # Replays and idempotency problems are answers of their own, without Allow: only the app's are edited.
    posted = stream_middleware(idempotency_middleware(allow.middleware(inner)))

    body_timeout_s = app_state(app).settings.body_timeout_s

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await inner(scope, receive, send)
            return
        receive = patient(receive, body_timeout_s)
        given = authorization = None
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                given = value if given is None else given
            elif name == b"authorization":
                authorization = value if authorization is None else authorization
        answer_id = request_id(given)
        scope.setdefault("state", {})["request_id"] = answer_id.decode()
        started = time.perf_counter()
        post = scope.get("method") == "POST"
        quota: list[tuple[bytes, bytes]] = []
        admitted = False

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                if admitted and not post:
                    headers = allow.headers(scope, message["status"], headers)
                if isinstance(written := scope.get(WRITTEN_LSN), bytes):
                    headers = [*headers, (b"commonground-consistency", written)]
                message = {**message, "headers": [*headers, *quota, (b"x-request-id", answer_id)]}
                log_answer(scope, message["status"], started, answer_id)
            await send(message)

        admission = await admit(scope, wrapped, authorization)
        if admission is None:
            return
        quota, admitted = admission, True
        if scope.get("method") == "HEAD":
            await plain({**scope, "method": "GET"}, receive, headless(wrapped))
            return
        await (posted if post else plain)(scope, receive, wrapped)

    return middleware


def headless(send: Send) -> Send:
    """Send a GET's answer as a HEAD's (RFC 9110 9.3.2): the same status and headers, no body."""
    ended = False

    async def wrapped(message: Message) -> None:
        nonlocal ended
        if message["type"] != "http.response.body":
            await send(message)
        elif not ended:
            ended = True
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    return wrapped


def patient(receive: Receive, seconds: float) -> Receive:
    """Receive, waiting at most seconds for each part of the request body: a client that stops sending
    it gets 408 (BodyTimeout) instead of holding its request open. Once the body is complete, waits
    are not bounded (a streamed answer waits for the disconnect)."""
    complete = False

    async def wrapped() -> ReceiveMessage:
        nonlocal complete
        if complete:
            return await receive()
        try:
            async with asyncio.timeout(seconds):
                message = await receive()
        except TimeoutError:
            raise BodyTimeout(seconds) from None
        if message["type"] != "http.request" or not message.get("more_body", False):
            complete = True
        return message

    return wrapped
