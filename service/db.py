"""The connection pool and the per-request connection."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, cast

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from litestar import Request
from litestar.types import Scope

from service.config import Settings
from service.errors import DatabaseUnavailable
from service.state import AppState

log = logging.getLogger("commonground.db")

# Errors that mean "PostgreSQL is not reachable right now", as opposed to a bad query.
UNAVAILABLE = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.CannotConnectNowError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.TooManyConnectionsError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
)
# Errors after which a connection cannot be trusted with another request.
BROKEN = (*UNAVAILABLE, asyncpg.InternalClientError)


def drop(conn: PoolConnectionProxy) -> None:
    """Close a connection that cannot be trusted any more, unless the pool already took it back."""
    with contextlib.suppress(asyncpg.InterfaceError):
        conn.terminate()


def as_connection(conn: PoolConnectionProxy) -> asyncpg.Connection:
    """A pooled connection typed as the asyncpg.Connection that service.queries takes; the same object."""
    # At run time the proxy forwards every method and passes isinstance(conn, Connection); only the stubs
    # model it as a class of its own.
    return cast(asyncpg.Connection, conn)


@asynccontextmanager
async def pooled(pool: asyncpg.Pool, acquire_timeout_s: float | None = None) -> AsyncIterator[asyncpg.Connection]:
    """A connection from the pool for one block, typed as the asyncpg.Connection that service.queries takes."""
    async with pool.acquire(timeout=acquire_timeout_s) as conn:
        try:
            yield as_connection(conn)
        except BROKEN:
            drop(conn)  # as in provide_connection: never hand a half-dead connection on
            raise


async def reset_connection(conn: asyncpg.Connection) -> None:
    """Return a connection to the pool: only roll back a transaction a request left open.

    asyncpg's default reset sends RESET ALL, UNLISTEN and friends on every release, one extra
    round trip per request; the only session state set here (who is writing, for the audit log) is
    cleared by provide_connection itself.
    """
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


async def create_pool(settings: Settings, dsn: str, min_size: int = 1) -> asyncpg.Pool:
    """Open the pool; connections are made lazily so a later outage heals by itself."""
    return await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=settings.pool_size,
        reset=reset_connection,
        max_inactive_connection_lifetime=300,
        command_timeout=settings.statement_timeout_ms / 1000 + 5,
        server_settings={
            "application_name": "commonground",
            "statement_timeout": str(settings.statement_timeout_ms),
            # A request is one short statement among many at once: starting parallel workers costs
            # more (5 ms and more) than it saves, and takes the cores other requests need.
            "max_parallel_workers_per_gather": "0",
        },
    )


async def connect_with_retry(dsn: str, attempts: int = 30) -> asyncpg.Connection:
    """One connection for start-up work, waiting up to ~15 s for PostgreSQL to come up."""
    for attempt in range(attempts):
        try:
            return await asyncpg.connect(dsn, timeout=5)
        except UNAVAILABLE as error:
            if attempt == attempts - 1:
                raise
            log.warning("database not reachable yet (%s); retrying", error)
            await asyncio.sleep(0.5)
    raise AssertionError("unreachable")


# Who is writing, for the audit triggers; cleared before the connection goes back to the pool.
SET_ACTOR = """
    SELECT set_config('commonground.actor', $1, false), set_config('commonground.request_id', $2, false),
           set_config('commonground.audit_op', '', false), set_config('commonground.audit_note', '', false)
"""
# After a write: clear who wrote, and read where the WAL now ends, the consistency token of the answer
# (the insert position, never behind the commit just made even with synchronous_commit off).
CLEAR_ACTOR = """
    SELECT set_config('commonground.actor', '', false), set_config('commonground.request_id', '', false),
           set_config('commonground.audit_op', '', false), set_config('commonground.audit_note', '', false),
           pg_current_wal_insert_lsn()::text
"""
# The same, also telling every worker and host reading from replicas which session wrote up to where.
CLEAR_ACTOR_TELLING = """
    SELECT set_config('commonground.actor', '', false), set_config('commonground.request_id', '', false),
           set_config('commonground.audit_op', '', false), set_config('commonground.audit_note', '', false),
           pg_current_wal_insert_lsn()::text,
           pg_notify('commonground_writes', $1 || ' ' || pg_current_wal_insert_lsn()::text)
"""
READS = frozenset({"GET", "HEAD", "OPTIONS"})
# Where a write's consistency token waits in the ASGI scope for the answer's headers.
WRITTEN_LSN = "commonground.written_lsn"


def session_of(scope: Scope) -> str:
    """Whose writes a read must see: the key's, or for calls without a key, the client address's."""
    caller = scope.get("commonground.caller")
    if (key_id := getattr(caller, "key_id", None)) is not None:
        return f"key:{key_id}"
    client = scope.get("client")
    return f"ip:{client[0] if client else 'unknown'}"


async def provide_connection(state: AppState, request: Request[Any, Any, Any]) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection of the primary for one request; an unreachable database becomes a 503."""
    async with request_connection(state, request) as conn:
        yield conn


def request_connection(
    state: AppState, request: Request[Any, Any, Any]
) -> AbstractAsyncContextManager[asyncpg.Connection]:
    """A pooled connection of the primary for one request (see primary_connection)."""
    return primary_connection(state, request.method, request.scope)


@asynccontextmanager
async def primary_connection(state: AppState, method: str, scope: Scope) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection of the primary for one request, by its method and ASGI scope; writes carry
    who made them, and leave the consistency token of their answer in the scope."""
    pool: asyncpg.Pool = state.pool
    try:
        # A timeout block rather than acquire(timeout=): asyncpg would run the wait in a task of its own.
        async with asyncio.timeout(5):
            conn = await pool.acquire()
    except UNAVAILABLE as error:
        raise DatabaseUnavailable(str(error) or type(error).__name__) from error
    writes = method not in READS
    try:
        if writes:
            caller = scope.get("commonground.caller")
            try:
                await conn.execute(
                    SET_ACTOR,
                    str(getattr(caller, "key_id", None) or "anonymous"),
                    scope.get("state", {}).get("request_id", ""),
                )
            except BROKEN as error:
                drop(conn)
                raise DatabaseUnavailable(str(error) or type(error).__name__) from error
        yield as_connection(conn)
    except BROKEN:
        # The server went away mid-request: asyncpg may not have seen the socket close yet, and a
        # connection handed back now fails the next request that gets it ("another operation is in
        # progress"). Close it here; the pool opens a new one.
        drop(conn)
        raise
    finally:
        try:
            if writes and not conn.is_closed():
                if conn.is_in_transaction():
                    await conn.execute("ROLLBACK")
                await _after_write(state, scope, conn)
            await pool.release(conn)
        except UNAVAILABLE:
            log.warning("dropping a broken connection")


async def _after_write(state: AppState, scope: Scope, conn: PoolConnectionProxy) -> None:
    """Clear who wrote, and keep the token of what was written for the answer (and the replicas)."""
    replicas = state.replicas
    if replicas:
        session = session_of(scope)
        row = await conn.fetchrow(CLEAR_ACTOR_TELLING, session)
    else:
        row = await conn.fetchrow(CLEAR_ACTOR)
    assert row is not None, "SELECT without FROM returns one row"
    lsn: str = row["pg_current_wal_insert_lsn"]
    scope[WRITTEN_LSN] = lsn.encode()  # type: ignore[literal-required]  # our own key in the ASGI scope
    if replicas:
        replicas.note_write(session, lsn)
