"""A budget for answers that last as long as the client reads: NDJSON lists and the export zip.

A stream that reads from the database holds a pooled connection and a snapshot until its last line
is sent, so ten clients reading slowly (or not at all) would leave nothing for searches. Each worker
process lets at most `max_streams` streams run at once (never more than half its pool), and
`max_streams_per_client` for one key or address; past either, or when no connection comes free within
`stream_acquire_timeout_s`, the answer is 503 with Retry-After before any byte of the body. A stream
still running after `stream_deadline_s` is cut off, so a reader that stopped reading gives its
connection back.

`stream_middleware` marks each request in a context variable, so a handler opens a stream with
`open_stream()` without threading the request through, and closes whatever the request opened when
the answer ends, however it ends (finished, client gone, or deadline).
"""

import asyncio
import contextvars
import logging
from collections import Counter
from collections.abc import AsyncIterator

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from service.config import Settings
from service.db import UNAVAILABLE, as_connection
from service.errors import RETRY_AFTER_S, DomainError
from service.http.auth import caller_in, client_bucket
from service.state import app_state

log = logging.getLogger("commonground.streams")


class StreamsBusy(DomainError):
    status, title, kind = 503, "Too many streams", "tag:commonground,2026:streams-busy"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, {"Retry-After": str(RETRY_AFTER_S)})


class StreamBudget:
    """How many streams run in this worker process, in all and per client."""

    def __init__(self, settings: Settings) -> None:
        self.limit = max(1, min(settings.max_streams, settings.pool_size // 2))
        self.per_client = max(1, settings.max_streams_per_client)
        self.acquire_timeout_s = settings.stream_acquire_timeout_s
        self.deadline_s = settings.stream_deadline_s
        self.open: Counter[str] = Counter()

    def take(self, client: str) -> None:
        """Count one more stream for client, or refuse with 503."""
        if self.open[client] >= self.per_client:
            raise StreamsBusy(
                f"at most {self.per_client} streams at once per key or address; finish one or "
                f"retry in {RETRY_AFTER_S} s"
            )
        if self.open.total() >= self.limit:
            raise StreamsBusy(f"the server is sending as many streams as it can; retry in {RETRY_AFTER_S} s")
        self.open[client] += 1

    def give_back(self, client: str) -> None:
        """One stream of client ended."""
        self.open[client] -= 1
        if self.open[client] <= 0:
            del self.open[client]


class StreamSlot:
    """One request's stream: its slot in the budget, its connection, and the body reading from it."""

    def __init__(self, scope: Scope, deadline: asyncio.Timeout) -> None:
        self.scope, self.deadline = scope, deadline
        self.client: str | None = None
        self.conn: asyncpg.Connection | None = None
        self._pooled: PoolConnectionProxy | None = None
        self.body: AsyncIterator[bytes] | None = None

    @property
    def budget(self) -> StreamBudget:
        budget: StreamBudget = app_state(self.scope["app"]).streams
        return budget

    def start(self) -> None:
        """Take a slot (503 when none is free) and start the deadline."""
        caller = caller_in(self.scope)
        client = f"key:{caller.key_id}" if caller.key_id else "ip:" + client_bucket(self.scope)
        self.budget.take(client)
        self.client = client
        self.deadline.reschedule(asyncio.get_running_loop().time() + self.budget.deadline_s)

    async def connect(self) -> asyncpg.Connection:
        """A pooled connection for the whole stream, or 503 when none comes free in time."""
        pool: asyncpg.Pool = app_state(self.scope["app"]).pool
        try:
            self._pooled = await pool.acquire(timeout=self.budget.acquire_timeout_s)
            self.conn = as_connection(self._pooled)
        except UNAVAILABLE:
            raise StreamsBusy(
                f"no database connection came free for this stream in time; retry in {RETRY_AFTER_S} s"
            ) from None
        return self.conn

    def send(self, body: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """The body to answer with; closed with the request if the client stops reading it."""
        self.body = body
        return body

    async def close(self) -> None:
        """End the body (rolling back its snapshot), return the connection and the slot."""
        if self.body is not None:
            body, self.body = self.body, None
            try:
                await body.aclose()  # type: ignore[attr-defined]  # bodies are async generators, though routes declare AsyncIterator
            except Exception:
                log.warning("a stream did not close cleanly", exc_info=True)
        if self._pooled is not None:
            conn, self._pooled, self.conn = self._pooled, None, None
            try:
                await app_state(self.scope["app"]).pool.release(conn, timeout=5)
            except Exception:  # noqa: BLE001 - a connection in an unknown state must not go back
                conn.terminate()
        if self.client is not None:
            client, self.client = self.client, None
            self.budget.give_back(client)


_CURRENT: contextvars.ContextVar[StreamSlot] = contextvars.ContextVar("commonground_stream")


async def open_stream(connect: bool = True) -> StreamSlot:
    """Start a stream for the current request: a slot in the budget and, with connect, a connection."""
    stream = _CURRENT.get()
    stream.start()
    if connect:
        await stream.connect()
    return stream


def stream_middleware(app: ASGIApp) -> ASGIApp:
    """Wrap the app: give each request a place for a stream, cut it off at its deadline and close it."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        try:
            async with asyncio.timeout(None) as deadline:
                stream = StreamSlot(scope, deadline)
                token = _CURRENT.set(stream)
                try:
                    await app(scope, receive, send)
                finally:
                    _CURRENT.reset(token)
                    await stream.close()
        except TimeoutError:
            if not deadline.expired():
                raise
            # The answer has started, so all that is left is to end the connection without its last bytes.
            log.info("a stream ran past %s s and was cut off", stream.budget.deadline_s)

    return middleware
