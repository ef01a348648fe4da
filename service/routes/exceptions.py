"""Holidays and one-off hours of a service or a location."""

from typing import Any
from uuid import UUID

import asyncpg
from litestar import Request, get, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from schemas.exceptions import ScheduleException, ScheduleExceptions
from service.curation.audit import record_lists
from service.errors import NotFound
from service.http.auth import check_owner, require_write
from service.queries import exceptions as queries


async def _replace(
    conn: asyncpg.Connection, kind: str, owner_id: UUID, data: ScheduleExceptions
) -> list[ScheduleException]:
    if not await queries.owner_exists(conn, kind, owner_id):
        raise NotFound(f"no {kind} has id {owner_id}")
    async with conn.transaction():
        before = await queries.select_exceptions(conn, kind, owner_id)
        await queries.replace_exceptions(conn, kind, owner_id, data)
        after = await queries.select_exceptions(conn, kind, owner_id)
        await record_lists(conn, kind, owner_id, before, after, ("exceptions",))
    return after


async def _read(conn: asyncpg.Connection, kind: str, owner_id: UUID) -> list[ScheduleException]:
    if not await queries.owner_exists(conn, kind, owner_id):
        raise NotFound(f"no {kind} has id {owner_id}")
    return await queries.select_exceptions(conn, kind, owner_id)


@put(
    "/v1/services/{service_id:uuid}/exceptions",
    operation_id="replaceServiceExceptions",
    tags=["services"],
    guards=[require_write],
)
async def replace_service_exceptions(
    request: Request[Any, Any, Any],
    conn: NamedDependency[asyncpg.Connection],
    service_id: FromPath[UUID],
    data: JSONBody[ScheduleExceptions],
) -> list[ScheduleException]:
    """Replace the service's holidays and one-off hours (write)."""
    await check_owner(request, conn, "service", service_id)
    return await _replace(conn, "service", service_id, data)


@get("/v1/services/{service_id:uuid}/exceptions", operation_id="listServiceExceptions", tags=["services"])
async def list_service_exceptions(
    conn: NamedDependency[asyncpg.Connection], service_id: FromPath[UUID]
) -> list[ScheduleException]:
    """The service's holidays and one-off hours."""
    return await _read(conn, "service", service_id)


@put(
    "/v1/locations/{location_id:uuid}/exceptions",
    operation_id="replaceLocationExceptions",
    tags=["locations"],
    guards=[require_write],
)
async def replace_location_exceptions(
    request: Request[Any, Any, Any],
    conn: NamedDependency[asyncpg.Connection],
    location_id: FromPath[UUID],
    data: JSONBody[ScheduleExceptions],
) -> list[ScheduleException]:
    """Replace the location's holidays and one-off hours; they apply to every service there (write)."""
    await check_owner(request, conn, "location", location_id)
    return await _replace(conn, "location", location_id, data)


@get("/v1/locations/{location_id:uuid}/exceptions", operation_id="listLocationExceptions", tags=["locations"])
async def list_location_exceptions(
    conn: NamedDependency[asyncpg.Connection], location_id: FromPath[UUID]
) -> list[ScheduleException]:
    """The location's holidays and one-off hours."""
    return await _read(conn, "location", location_id)
