"""Organizations: list, read, create, change, delete."""

from typing import Any
from uuid import UUID

import asyncpg
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from schemas.organizations import Organization, OrganizationCreate, OrganizationPage, OrganizationPatch
from service.curation.audit import record_lists
from service.curation.lifecycle import explain_missing
from service.http.auth import check_organization, check_owner, require_write
from service.http.cursors import decode_cursor, paginate
from service.http.preconditions import require_match
from service.queries import organizations as queries
from service.replicas import REPLICA_READS
from service.routes.params import Cursor, Limit


async def find_organization(conn: asyncpg.Connection, organization_id: UUID) -> Organization:
    """The organization with this id, else 308 for a merged id or 404."""
    if (organization := await queries.select_organization(conn, organization_id)) is None:
        await explain_missing(conn, "organization", organization_id)
    return organization


class OrganizationController(Controller):
    """Organizations that provide services."""

    path = "/v1/organizations"
    tags = ["organizations"]

    @get("/", operation_id="listOrganizations", dependencies=REPLICA_READS)
    async def list_organizations(
        self, conn: NamedDependency[asyncpg.Connection], limit: Limit = 20, cursor: Cursor = None
    ) -> OrganizationPage:
        """List organizations by name, one page at a time."""
        after = decode_cursor(cursor, "organizations", str)
        rows = await queries.select_organizations(conn, after, limit + 1)
        items, next_cursor = paginate(rows, limit, "organizations")
        return OrganizationPage(items=items, next_cursor=next_cursor)

    @get("/{organization_id:uuid}", operation_id="getOrganization", dependencies=REPLICA_READS)
    async def get_organization(
        self, conn: NamedDependency[asyncpg.Connection], organization_id: FromPath[UUID]
    ) -> Organization:
        """Fetch one organization by id."""
        return await find_organization(conn, organization_id)

    @post("/", operation_id="createOrganization", guards=[require_write])
    async def create_organization(
        self,
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
        data: JSONBody[OrganizationCreate],
    ) -> Response[Organization]:
        """Create an organization (write; not with a key limited to organizations)."""
        check_organization(request, None)
        organization_id = await queries.insert_organization(conn, data)
        return Response(
            await find_organization(conn, organization_id),
            status_code=201,
            headers={"Location": f"/v1/organizations/{organization_id}"},
        )

    @patch("/{organization_id:uuid}", operation_id="updateOrganization", guards=[require_write])
    async def update_organization(
        self,
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
        organization_id: FromPath[UUID],
        data: JSONBody[OrganizationPatch],
    ) -> Organization:
        """Change some fields of an organization; needs If-Match with its ETag (write)."""
        async with conn.transaction():
            await check_owner(request, conn, "organization", organization_id, lock=True)
            before = await find_organization(conn, organization_id)
            require_match(request, before, "organization")
            await queries.update_organization(conn, organization_id, data)
            after = await find_organization(conn, organization_id)
            await record_lists(conn, "organization", organization_id, before, after)
        return after

    @delete("/{organization_id:uuid}", operation_id="deleteOrganization", guards=[require_write])
    async def delete_organization(
        self,
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
        organization_id: FromPath[UUID],
    ) -> None:
        """Delete an organization that has no services or locations left; needs If-Match (write)."""
        async with conn.transaction():
            await check_owner(request, conn, "organization", organization_id, lock=True)
            require_match(request, await find_organization(conn, organization_id), "organization")
            await queries.delete_organization(conn, organization_id)
