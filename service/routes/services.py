"""Services: list, read, create, change, delete."""

from typing import Any
from uuid import UUID

import asyncpg
import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from schemas.services import Service, ServiceCreate, ServicePage, ServicePatch
from service.curation.audit import record_lists
from service.curation.lifecycle import explain_missing
from service.http.auth import check_organization, check_owner, require_write
from service.http.cursors import decode_cursor, fingerprint, paginate
from service.http.preconditions import require_match
from service.queries import services as queries
from service.replicas import REPLICA_READS
from service.routes.params import Cursor, Limit
from service.state import AppState


async def find_service(conn: asyncpg.Connection, service_id: UUID) -> Service:
    """The service with this id, else 308 for a merged id or 404."""
    if (service := await queries.select_service(conn, service_id)) is None:
        await explain_missing(conn, "service", service_id)
    return service


class ServiceController(Controller):
    """Services that organizations offer."""

    path = "/v1/services"
    tags = ["services"]

    @get("/", operation_id="listServices", dependencies=REPLICA_READS)
    async def list_services(
        self,
        conn: NamedDependency[asyncpg.Connection],
        organization_id: FromQuery[UUID | None] = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> ServicePage:
        """List services by name, optionally of one organization."""
        query = fingerprint("services", organization_id)
        after = decode_cursor(cursor, query, str)
        rows = await queries.select_services(conn, organization_id, after, limit + 1)
        items, next_cursor = paginate(rows, limit, query)
        return ServicePage(items=items, next_cursor=next_cursor)

    @get("/{service_id:uuid}", operation_id="getService", dependencies=REPLICA_READS)
    async def get_service(self, conn: NamedDependency[asyncpg.Connection], service_id: FromPath[UUID]) -> Service:
        """Fetch one service by id."""
        return await find_service(conn, service_id)

    @post("/", operation_id="createService", guards=[require_write])
    async def create_service(
        self,
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
        state: AppState,
        data: JSONBody[ServiceCreate],
    ) -> Response[Service]:
        """Create a service of an existing organization (write)."""
        check_organization(request, data.organization_id)
        state.taxonomy.check(data.categories, "categories", "body")
        state.attributes.check(data.attributes, "attributes", "body")
        service_id = await queries.insert_full_service(conn, data)
        return Response(
            await find_service(conn, service_id), status_code=201, headers={"Location": f"/v1/services/{service_id}"}
        )

    @patch("/{service_id:uuid}", operation_id="updateService", guards=[require_write])
    async def update_service(
        self,
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
        state: AppState,
        service_id: FromPath[UUID],
        data: JSONBody[ServicePatch],
    ) -> Service:
        """Change some fields of a service; needs If-Match with its ETag (write)."""
        if data.categories is not msgspec.UNSET:
            state.taxonomy.check(data.categories, "categories", "body")
        if data.attributes is not msgspec.UNSET:
            state.attributes.check(data.attributes, "attributes", "body")
        async with conn.transaction():
            await check_owner(request, conn, "service", service_id, lock=True)
            before = await find_service(conn, service_id)
            require_match(request, before, "service")
            await queries.update_service(conn, service_id, data)
            after = await find_service(conn, service_id)
            await record_lists(conn, "service", service_id, before, after)
        return after

    @delete("/{service_id:uuid}", operation_id="deleteService", guards=[require_write])
    async def delete_service(
        self, request: Request[Any, Any, Any], conn: NamedDependency[asyncpg.Connection], service_id: FromPath[UUID]
    ) -> None:
        """Delete a service with its links, phones and hours; needs If-Match (write)."""
        async with conn.transaction():
            await check_owner(request, conn, "service", service_id, lock=True)
            require_match(request, await find_service(conn, service_id), "service")
            await queries.delete_service(conn, service_id)
