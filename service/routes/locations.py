"""Locations: list, read, create, change, delete."""

from typing import Any
from uuid import UUID

import asyncpg
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from msgspec import UNSET

from schemas.locations import Location, LocationCreate, LocationPage, LocationPatch
from service.curation.audit import record_lists
from service.curation.lifecycle import explain_missing
from service.errors import Forbidden
from service.http.auth import check_organization, check_owner, may_see_confidential, require_write
from service.http.cursors import decode_cursor, fingerprint, paginate
from service.http.preconditions import require_match
from service.queries import locations as queries
from service.replicas import REPLICA_READS
from service.routes.params import Cursor, Limit


async def find_location(conn: asyncpg.Connection, location_id: UUID, exact: bool = True) -> Location:
    """The location with this id, else 308 for a merged id or 404 (exact: a confidential one's real place)."""
    if (location := await queries.select_location(conn, location_id, exact)) is None:
        await explain_missing(conn, "location", location_id)
    return location


async def check_may_reveal(request: Request[Any, Any, Any], conn: asyncpg.Connection, location_id: UUID) -> None:
    """403 when a write would make a confidential location public and the key lacks the confidential scope:
    clearing the flag would be a way to read the real place."""
    if not may_see_confidential(request) and await queries.select_confidential(conn, location_id):
        raise Forbidden("only a key with the 'confidential' scope may make a confidential location public")


class LocationController(Controller):
    """Places where services happen."""

    path = "/v1/locations"
    tags = ["locations"]

    @get("/", operation_id="listLocations", dependencies=REPLICA_READS)
    async def list_locations(
        self,
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
        organization_id: FromQuery[UUID | None] = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> LocationPage:
        """List locations by name, optionally of one organization (confidential ones approximate unless admin)."""
        query = fingerprint("locations", organization_id)
        after = decode_cursor(cursor, query, str)
        rows = await queries.select_locations(conn, organization_id, after, limit + 1, may_see_confidential(request))
        items, next_cursor = paginate(rows, limit, query)
        return LocationPage(items=items, next_cursor=next_cursor)

    @get("/{location_id:uuid}", operation_id="getLocation", dependencies=REPLICA_READS)
    async def get_location(
        self, request: Request[Any, Any, Any], conn: NamedDependency[asyncpg.Connection], location_id: FromPath[UUID]
    ) -> Location:
        """Fetch one location by id; a confidential one shows its street and exact point only to admin calls."""
        return await find_location(conn, location_id, may_see_confidential(request))

    @post("/", operation_id="createLocation", guards=[require_write])
    async def create_location(
        self,
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
        data: JSONBody[LocationCreate],
    ) -> Response[Location]:
        """Create a location; its time zone is derived from its coordinates when not given (write)."""
        check_organization(request, data.organization_id)
        location_id = await queries.insert_full_location(conn, data)
        return Response(
            await find_location(conn, location_id),
            status_code=201,
            headers={"Location": f"/v1/locations/{location_id}"},
        )

    @patch("/{location_id:uuid}", operation_id="updateLocation", guards=[require_write])
    async def update_location(
        self,
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
        location_id: FromPath[UUID],
        data: JSONBody[LocationPatch],
    ) -> Location:
        """Change some fields of a location; needs If-Match with its ETag (write)."""
        exact = may_see_confidential(request)
        async with conn.transaction():
            await check_owner(request, conn, "location", location_id, lock=True)
            if data.organization_id is not UNSET:
                check_organization(request, data.organization_id)
            if data.confidential is False:
                await check_may_reveal(request, conn, location_id)
            before = await find_location(conn, location_id, exact)
            require_match(request, before, "location")
            await queries.update_location(conn, location_id, data)
            after = await find_location(conn, location_id, exact)
            await record_lists(conn, "location", location_id, before, after)
        return after

    @delete("/{location_id:uuid}", operation_id="deleteLocation", guards=[require_write])
    async def delete_location(
        self, request: Request[Any, Any, Any], conn: NamedDependency[asyncpg.Connection], location_id: FromPath[UUID]
    ) -> None:
        """Delete a location with its links, phones and hours; needs If-Match (write)."""
        async with conn.transaction():
            await check_owner(request, conn, "location", location_id, lock=True)
            require_match(request, await find_location(conn, location_id, may_see_confidential(request)), "location")
            await queries.delete_location(conn, location_id)
