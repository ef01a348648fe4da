"""Liveness and readiness probes."""

import asyncpg
import msgspec
from litestar import Response, get

from service.db import UNAVAILABLE
from service.errors import DatabaseUnavailable
from service.state import AppState


class Health(msgspec.Struct):
    """Probe answer."""

    status: str


@get("/healthz", operation_id="getHealth", tags=["health"])
async def healthz() -> Health:
    """The process is up (does not touch the database)."""
    return Health(status="ok")


@get("/readyz", operation_id="getReadiness", tags=["health"])
async def readyz(state: AppState) -> Health:
    """The process can reach PostgreSQL; 503 otherwise."""
    pool: asyncpg.Pool = state.pool
    try:
        async with pool.acquire(timeout=2) as conn:
            await conn.fetchval("SELECT 1", timeout=2)
    except UNAVAILABLE as error:
        raise DatabaseUnavailable(str(error) or type(error).__name__) from error
    return Health(status="ready")


@get("/metrics", operation_id="getMetrics", tags=["health"], media_type="text/plain; version=0.0.4; charset=utf-8")
async def metrics(state: AppState) -> Response[bytes]:
    """Prometheus metrics of every worker: requests by route and status, latency, 429s, webhook deliveries."""
    return Response(
        state.metrics.render(),
        media_type="text/plain; version=0.0.4; charset=utf-8",
        headers={"Cache-Control": "no-store"},
    )
