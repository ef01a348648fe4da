"""Read replicas: their pools, a checker of how far behind each one is, and the choice of one for a read.

Reads that may come from a replica take their connection from `provide_read_connection` (routes opt in
with `REPLICA_READS`); every other connection is the primary's. A replica serves a read only when it
is up, no more than `replica_max_lag_s` behind, and has replayed the write the caller must see: the
consistency token the caller sends back, or its own last write within `read_your_writes_s`.
"""

import asyncio
import contextlib
import itertools
import logging
import re
import time
import urllib.parse
from collections import deque
from collections.abc import AsyncIterator
from typing import Any, cast

import asyncpg
from litestar import Request
from litestar.di import Provide
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import Counter, Gauge

from service.config import Settings
from service.db import BROKEN, UNAVAILABLE, as_connection, create_pool, drop, pooled, request_connection, session_of
from service.errors import InvalidInput
from service.state import AppState, app_state

log = logging.getLogger("commonground.replicas")

# The consistency token: a write's answer carries the primary's WAL position after it; a read that sends
# it back is served by a replica only if that replica has replayed this far.
CONSISTENCY_HEADER = "CommonGround-Consistency"
# How workers (and hosts) sharing the primary tell each other which session just wrote, and where.
WRITES_CHANNEL = "commonground_writes"
# Scope keys: a read whose replica failed is answered again from the primary.
RETRY = "commonground.replica_failed"
PRIMARY_ONLY = "commonground.primary_only"
# Errors of a replica (as against the query) after which the read is answered from the primary:
# unreachable, or its query cancelled by a conflict with the WAL it replays.
REPLICA_FAILED = (*BROKEN, asyncpg.SerializationError)
_LSN = re.compile(r"^([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})$")
# Checks a replica must answer within, and most sessions remembered per worker.
CHECK_TIMEOUT_S = 2.0
MAX_SESSIONS = 100_000


def parse_lsn(text: str) -> int:
    """A pg_lsn ('16/B374D848') as a number; ValueError for anything else."""
    if not (match := _LSN.match(text.strip())):
        raise ValueError(text)
    return (int(match[1], 16) << 32) | int(match[2], 16)


def format_lsn(lsn: int) -> str:
    """A number as PostgreSQL writes a pg_lsn."""
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


def mask_url(url: str) -> str:
    """A database URL fit for logs and probes: host, port and database, never the user or password."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or urllib.parse.parse_qs(parts.query).get("host", ["local socket"])[0]
    port = f":{parts.port}" if parts.port else ""
    return f"{host}{port}{parts.path or '/'}"


class Replica:
    """One replica: its pool, and what the last check found."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.name = mask_url(url)
        self.pool: asyncpg.Pool | None = None
        # starting (not checked yet), up, lagging (behind by more than the limit), down (not answering).
        self.state = "starting"
        self.replay_lsn = 0
        self.lag_s: float | None = None
        self.lag_bytes: int | None = None
        self.problem: str | None = None


class Replicas:
    """The replicas one worker reads from, checked every `replica_check_s` against the primary."""

    def __init__(self, settings: Settings, metrics_dir: str | None, registry: Any) -> None:
        self.settings = settings
        self.replicas = [Replica(url) for url in settings.replica_urls]
        self._turn = itertools.count()
        # (when, primary WAL position) for the last while: how long ago the primary was where a replica is.
        self._history: deque[tuple[float, int]] = deque()
        # session -> (its last write's WAL position, until when its reads must see it).
        self._writes: dict[str, tuple[int, float]] = {}
        self._listener: asyncpg.Connection | None = None
        owner = None if metrics_dir else registry
        self.up = Gauge(
            "commonground_replica_up",
            "1 while a replica serves reads, 0 while it is down or lagging",
            ["replica"],
            registry=owner,
            multiprocess_mode="livemin",
        )
        self.lag = Gauge(
            "commonground_replica_lag_seconds",
            "How long ago the primary was where the replica has replayed to",
            ["replica"],
            registry=owner,
            multiprocess_mode="livemax",
        )
        self.reads = Counter(
            "commonground_replica_reads",
            "Reads that could come from a replica, by where they went and why",
            ["target", "reason"],
            registry=owner,
        )

    def __bool__(self) -> bool:
        return bool(self.replicas)

    async def open(self) -> None:
        """Make each replica's pool; no connection is opened yet, so a replica that is down stops nothing."""
        for replica in self.replicas:
            replica.pool = await create_pool(self.settings, replica.url, min_size=0)

    async def close(self) -> None:
        """Close the pools and the listener."""
        if self._listener is not None:
            with contextlib.suppress(*UNAVAILABLE):
                await self._listener.close(timeout=2)
        for replica in self.replicas:
            if replica.pool is not None:
                replica.pool.terminate()

    # Read-your-writes without a token: each write is remembered by the session that made it.
    def note_write(self, session: str, written: str) -> None:
        """Remember that a session wrote up to a WAL position: its reads see that much for read_your_writes_s."""
        try:
            lsn = parse_lsn(written)
        except ValueError:
            return
        until = time.monotonic() + self.settings.read_your_writes_s
        if len(self._writes) >= MAX_SESSIONS:
            now = time.monotonic()
            self._writes = {key: value for key, value in self._writes.items() if value[1] > now}
        known = self._writes.get(session)
        self._writes[session] = (max(lsn, known[0]) if known else lsn, until)

    def _heard(self, _conn: object, _pid: int, _channel: str, payload: object) -> None:
        session, _, lsn = str(payload).rpartition(" ")
        self.note_write(session, lsn)

    def floor(self, session: str, token: int | None) -> tuple[int, str]:
        """The WAL position a read must see, and why: the token, the session's own recent write, or nothing."""
        floor, reason = (token, "token") if token else (0, "none")
        if (known := self._writes.get(session)) is not None:
            if known[1] < time.monotonic():
                self._writes.pop(session, None)
            elif known[0] > floor:
                floor, reason = known[0], "own write"
        return floor, reason

    def choose(self, floor: int) -> Replica | None:
        """A replica that serves reads and has replayed up to floor, in turn; None: read from the primary."""
        fit = [replica for replica in self.replicas if replica.state == "up" and replica.replay_lsn >= floor]
        return fit[next(self._turn) % len(fit)] if fit else None

    def failed(self, replica: Replica, error: BaseException) -> None:
        """A read found the replica broken: no more reads go to it until a check finds it well again."""
        if replica.state != "down":
            log.warning("replica %s failed a read (%s); reading from the primary", replica.name, type(error).__name__)
        replica.state, replica.problem = "down", type(error).__name__
        self.up.labels(replica.name).set(0)

    # The checker: every replica_check_s, the primary's WAL position against each replica's replay.
    async def run(self, primary: asyncpg.Pool, dsn: str) -> None:
        """Check the replicas until cancelled."""
        while True:
            try:
                await self.check(primary, dsn)
            except Exception:
                log.warning("checking the replicas failed; trying again", exc_info=True)
            await asyncio.sleep(self.settings.replica_check_s)

    async def check(self, primary: asyncpg.Pool, dsn: str) -> None:
        """Measure every replica once, and keep listening for the other workers' writes."""
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_S), pooled(primary) as conn:
                primary_lsn = parse_lsn(await conn.fetchval("SELECT pg_current_wal_lsn()::text"))
        except UNAVAILABLE:
            return  # with the primary away nothing can be compared; reads fail over to it anyway
        now = time.monotonic()
        self._history.append((now, primary_lsn))
        keep = max(self.settings.replica_max_lag_s * 2, 10.0)
        while self._history and self._history[0][0] < now - keep:
            self._history.popleft()
        await asyncio.gather(*(self._check(replica, primary_lsn, now) for replica in self.replicas))
        await self._listen(dsn)

    async def _check(self, replica: Replica, primary_lsn: int, now: float) -> None:
        assert replica.pool is not None, "open() makes the pools"
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_S), pooled(replica.pool) as conn:
                row = await conn.fetchrow(SELECT_REPLAY)
        except (*UNAVAILABLE, asyncpg.PostgresError) as error:
            if replica.state != "down":
                log.warning("replica %s is not answering (%s)", replica.name, type(error).__name__)
            replica.state, replica.problem, replica.lag_s, replica.lag_bytes = "down", type(error).__name__, None, None
            self.up.labels(replica.name).set(0)
            self.lag.labels(replica.name).set(float("inf"))
            return
        if row is None or not row["in_recovery"] or row["replay"] is None:
            replica.state, replica.problem = "down", "not a streaming replica (pg_is_in_recovery() is false)"
            self.up.labels(replica.name).set(0)
            return
        replay = parse_lsn(row["replay"])
        received = parse_lsn(row["received"]) if row["received"] else 0
        replica.replay_lsn = replay
        replica.lag_bytes = max(0, primary_lsn - replay)
        # By WAL positions, not replay timestamps: an idle primary commits nothing, so the last replayed
        # commit looks old while the replica is in fact current.
        caught_up = replay >= primary_lsn or (received >= primary_lsn and replay >= received)
        replica.lag_s = 0.0 if caught_up else self._behind_since(replay, now)
        serving = replica.lag_s is not None and replica.lag_s <= self.settings.replica_max_lag_s
        state = "up" if serving else "lagging"
        if state != replica.state:
            log.log(logging.INFO if serving else logging.WARNING, "replica %s is %s", replica.name, state)
        replica.state, replica.problem = state, None if serving else "replay is behind the primary"
        self.up.labels(replica.name).set(1 if serving else 0)
        self.lag.labels(replica.name).set(replica.lag_s if replica.lag_s is not None else float("inf"))

    def _behind_since(self, replay: int, now: float) -> float | None:
        """Seconds since the primary first passed the replica's replay position; None until known."""
        for index, (when, lsn) in enumerate(self._history):
            if lsn > replay:
                # The oldest sample past the replica: if even the first kept one is, the lag is only
                # known to be at least the history's span.
                return now - when if index > 0 or now - when > self.settings.replica_max_lag_s else None
        return 0.0

    async def _listen(self, dsn: str) -> None:
        """Keep one connection to the primary listening to WRITES_CHANNEL (opened again when it is lost)."""
        if self._listener is not None and not self._listener.is_closed():
            return
        try:
            self._listener = await asyncpg.connect(dsn, timeout=CHECK_TIMEOUT_S)
            await self._listener.add_listener(WRITES_CHANNEL, self._heard)
        except UNAVAILABLE:
            self._listener = None

    def status(self) -> list[dict[str, object]]:
        """What /readyz shows of each replica."""
        return [
            {
                "replica": replica.name,
                "state": replica.state,
                "lag_s": None if replica.lag_s is None else round(replica.lag_s, 3),
                "lag_bytes": replica.lag_bytes,
                "replay_lsn": format_lsn(replica.replay_lsn) if replica.replay_lsn else None,
                "problem": replica.problem,
            }
            for replica in self.replicas
        ]


SELECT_REPLAY = """
    SELECT pg_is_in_recovery() AS in_recovery, pg_last_wal_replay_lsn()::text AS replay,
           pg_last_wal_receive_lsn()::text AS received
"""


def _token(request: Request[Any, Any, Any]) -> int | None:
    given = request.headers.get(CONSISTENCY_HEADER)
    if given is None:
        return None
    try:
        return parse_lsn(given)
    except ValueError:
        raise InvalidInput(
            CONSISTENCY_HEADER, "not a token this API gave out (like 16/B374D848); send it back unchanged", "header"
        ) from None


async def provide_read_connection(
    state: AppState, request: Request[Any, Any, Any]
) -> AsyncIterator[asyncpg.Connection]:
    """A connection for a read that may come from a replica: one that has replayed what the caller must
    see, else the primary's. If the replica fails, the request is answered again from the primary."""
    replicas: Replicas = state.replicas
    token = _token(request)
    replica = None
    if replicas and not request.scope.get(PRIMARY_ONLY):
        floor, reason = replicas.floor(session_of(request.scope), token)
        replica = replicas.choose(floor)
        if replica is None:
            replicas.reads.labels("primary", reason if floor else "no replica").inc()
    pooled_conn = None
    if replica is not None and replica.pool is not None:
        try:
            async with asyncio.timeout(2):
                pooled_conn = await replica.pool.acquire()
        except UNAVAILABLE as error:
            replicas.failed(replica, error)
            replicas.reads.labels("primary", "replica failed").inc()
    if replica is None or replica.pool is None or pooled_conn is None:
        async with request_connection(state, request) as conn:
            yield conn
        return
    replicas.reads.labels("replica", "ok").inc()
    try:
        yield as_connection(pooled_conn)
    except REPLICA_FAILED as error:
        drop(pooled_conn)
        if isinstance(error, BROKEN):
            replicas.failed(replica, error)
        replicas.reads.labels("primary", "replica failed").inc()
        request.scope[RETRY] = True  # type: ignore[literal-required]  # our own key in the ASGI scope
        raise  # the same error (a new one would reach the handlers as a group): its answer is never sent
    finally:
        with contextlib.suppress(*UNAVAILABLE):
            await replica.pool.release(pooled_conn)


# Routes whose reads may come from a replica declare this (on the handler or the controller).
REPLICA_READS = {"conn": Provide(provide_read_connection)}


def retry_on_primary(app: ASGIApp) -> ASGIApp:
    """Answer a GET again from the primary when its replica failed before the answer started, so that
    reads never fail because a replica did."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") != "GET" or not app_state(scope["app"]).replicas:
            await app(scope, receive, send)  # nothing to retry: every read is the primary's already
            return
        again = cast(Scope, {**scope, "state": dict(scope.get("state", {})), PRIMARY_ONLY: True})

        async def holding(message: Message) -> None:
            if not scope.get(RETRY):
                await send(message)

        await app(scope, receive, holding)
        if scope.get(RETRY):
            await app(again, receive, send)

    return middleware
