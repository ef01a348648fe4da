"""Live capacity of a service: record a count, read the latest, read the history."""

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from litestar import Controller, Request, get, put
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import FromPath, JSONBody, QueryParameter

from schemas.capacity import CapacityCreate, CapacityRecord, CapacityReport
from service.errors import NotFound
from service.http.auth import check_owner, require_write
from service.http.durations import parse_duration
from service.queries import capacity as queries

MaxAge = Annotated[
    str,
    QueryParameter(
        max_length=20,
        description="Counts older than this are shown with available null (90m, 24h, 7d)",
        examples=[Example(value="24h")],
    ),
]
UnitParam = Annotated[str | None, QueryParameter(max_length=64, description="Only this unit")]
HistoryLimit = Annotated[int, QueryParameter(ge=1, le=1000, description="How many counts, newest first")]


class CapacityController(Controller):
    """Beds, kits and appointments available now, with history."""

    path = "/v1/services/{service_id:uuid}/capacity"
    tags = ["services"]

    @put("/", operation_id="recordServiceCapacity", guards=[require_write])
    async def record_capacity(
        self,
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
        service_id: FromPath[UUID],
        data: JSONBody[CapacityCreate],
    ) -> list[CapacityReport]:
        """Record a new count of one unit (the previous ones stay in the history); answers the latest counts (write)."""
        await check_owner(request, conn, "service", service_id)
        if not await queries.insert_capacity(conn, service_id, data):
            raise NotFound(f"no service has id {service_id}")
        return await queries.select_current(conn, service_id, dt.datetime.now(dt.UTC), dt.timedelta(hours=24))

    @get("/", operation_id="getServiceCapacity")
    async def get_capacity(
        self, conn: NamedDependency[asyncpg.Connection], service_id: FromPath[UUID], capacity_max_age: MaxAge = "24h"
    ) -> list[CapacityReport]:
        """The latest count of each unit and whether it is still current."""
        max_age = parse_duration(capacity_max_age, "capacity_max_age")
        if not await queries.service_exists(conn, service_id):
            raise NotFound(f"no service has id {service_id}")
        return await queries.select_current(conn, service_id, dt.datetime.now(dt.UTC), max_age)

    @get("/history", operation_id="getServiceCapacityHistory")
    async def get_history(
        self,
        conn: NamedDependency[asyncpg.Connection],
        service_id: FromPath[UUID],
        unit: UnitParam = None,
        limit: HistoryLimit = 100,
    ) -> list[CapacityRecord]:
        """Every count reported for this service, newest first."""
        if not await queries.service_exists(conn, service_id):
            raise NotFound(f"no service has id {service_id}")
        return await queries.select_history(conn, service_id, unit, limit)
