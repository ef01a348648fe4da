"""Liveness and readiness probes."""

from typing import Literal

import asyncpg
import msgspec
from litestar import Response, get

from service.db import UNAVAILABLE
from service.errors import DatabaseUnavailable
from service.state import AppState


class ReplicaHealth(msgspec.Struct):
    """A read replica as this worker's checker last found it."""

    replica: str
    state: Literal["starting", "up", "lagging", "down"] = "starting"
    lag_s: float | None = None
    lag_bytes: int | None = None
    replay_lsn: str | None = None
    problem: str | None = None


class Health(msgspec.Struct, omit_defaults=True):
    """Probe answer; with DATABASE_REPLICA_URLS, each replica's state (host, port and database only)."""

    status: str
    replicas: list[ReplicaHealth] = msgspec.field(default_factory=list)


@get("/healthz", operation_id="getHealth", tags=["health"])
async def healthz() -> Health:
    """The process is up (does not touch the database)."""
    return Health(status="ok")


@get("/readyz", operation_id="getReadiness", tags=["health"])
async def readyz(state: AppState) -> Health:
    """The process can reach the primary PostgreSQL (503 otherwise); each read replica's state and lag, which
    never makes it unready: reads go to the primary meanwhile."""
    pool: asyncpg.Pool = state.pool
    try:
        async with pool.acquire(timeout=2) as conn:
            await conn.fetchval("SELECT 1", timeout=2)
    except UNAVAILABLE as error:
        raise DatabaseUnavailable(str(error) or type(error).__name__) from error
    replicas = [msgspec.convert(replica, ReplicaHealth) for replica in state.replicas.status()]
    return Health(status="ready", replicas=replicas)


@get("/metrics", operation_id="getMetrics", tags=["health"], media_type="text/plain; version=0.0.4; charset=utf-8")
async def metrics(state: AppState) -> Response[bytes]:
    """Prometheus metrics of every worker: requests by route and status, latency, 429s, webhook deliveries,
    read replicas' state and lag."""
    return Response(
        state.metrics.render(),
        media_type="text/plain; version=0.0.4; charset=utf-8",
        headers={"Cache-Control": "no-store"},
    )
