"""History, revert and restore of organizations, services and locations; meeting and event history; purge."""

from typing import Annotated, Any
from uuid import UUID

import asyncpg
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from schemas.history import HistoryPage, Purge, Revert
from schemas.locations import Location
from schemas.organizations import Organization
from schemas.services import Service
from service.errors import Conflict, InvalidInput, NotFound
from service.http.auth import (
    caller_of,
    check_organization,
    check_owner,
    may_see_confidential,
    require_admin,
    require_write,
)
from service.http.cursors import decode_cursor, fingerprint, paginate
from service.queries import history as queries
from service.queries import lifecycle
from service.routes.locations import check_may_reveal, find_location
from service.routes.organizations import find_organization
from service.routes.params import Cursor
from service.routes.services import find_service

HistoryLimit = Annotated[int, QueryParameter(ge=1, le=200, description="Entries per page, newest first")]


async def _history(
    request: Request[Any, Any, Any],
    conn: asyncpg.Connection,
    kind: str,
    listing_id: UUID,
    limit: int,
    cursor: str | None,
) -> HistoryPage:
    try:
        await check_owner(request, conn, kind, listing_id, deleted=True)
    except NotFound:
        # A purged listing's history (its purge record) stays readable by admins.
        if not (caller_of(request).has("admin") and await queries.history_exists(conn, kind, listing_id)):
            raise
    query = fingerprint("history", kind, str(listing_id))
    after = decode_cursor(cursor, query, int)
    rows = await queries.select_history(
        conn, kind, listing_id, after[0] if after else None, limit + 1, may_see_confidential(request)
    )
    items, next_cursor = paginate(rows, limit, query)
    return HistoryPage(items=items, next_cursor=next_cursor)


async def _revert(
    request: Request[Any, Any, Any], conn: asyncpg.Connection, kind: str, listing_id: UUID, version: int
) -> None:
    async with conn.transaction():
        await check_owner(request, conn, kind, listing_id, lock=True)
        snapshot = await queries.select_snapshot(conn, kind, listing_id, version)
        if snapshot is None:
            raise InvalidInput(
                "version",
                f"{kind} {listing_id} has no version {version} to go back to "
                "(see its history; purged data cannot come back)",
                "body",
            )
        if kind != "organization":
            check_organization(request, snapshot.get("organization_id"))
        if kind == "location" and not snapshot.get("confidential"):
            await check_may_reveal(request, conn, listing_id)
        await lifecycle.set_audit(conn, "revert", f"back to version {version}")
        await queries.revert(conn, kind, listing_id, snapshot)


async def _restore(request: Request[Any, Any, Any], conn: asyncpg.Connection, kind: str, listing_id: UUID) -> None:
    async with conn.transaction():
        await check_owner(request, conn, kind, listing_id, deleted=True)
        if (survivor := await lifecycle.select_redirect(conn, kind, listing_id)) is not None:
            raise Conflict(
                f"{kind} {listing_id} was merged into {survivor}; its links moved there, so it can't come back"
            )
        if not await lifecycle.restore(conn, kind, listing_id):
            raise Conflict(f"{kind} {listing_id} is not deleted")


class ServiceHistoryController(Controller):
    """A service's audit history, and going back: to an earlier version, or from a deletion."""

    path = "/v1/services/{service_id:uuid}"
    tags = ["services"]
    guards = [require_write]

    @get("/history", operation_id="getServiceHistory")
    async def history(
        self,
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
        service_id: FromPath[UUID],
        limit: HistoryLimit = 50,
        cursor: Cursor = None,
    ) -> HistoryPage:
        """Every write to the service: who, when, which request, each changed field before and after (write)."""
        return await _history(request, conn, "service", service_id, limit, cursor)

    @post("/revert", operation_id="revertService", status_code=200)
    async def revert(
        self,
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
        service_id: FromPath[UUID],
        data: JSONBody[Revert],
    ) -> Service:
        """Restore the service's own fields as they were after a version, as a new audited change (write)."""
        await _revert(request, conn, "service", service_id, data.version)
        return await find_service(conn, service_id)

    @post("/restore", operation_id="restoreService", status_code=200)
    async def restore(
        self, request: Request[Any, Any, Any], conn: NamedDependency[asyncpg.Connection], service_id: FromPath[UUID]
    ) -> Service:
        """Undo a deletion: back in search with the status it had (write)."""
        await _restore(request, conn, "service", service_id)
        return await find_service(conn, service_id)


class OrganizationHistoryController(Controller):
    """An organization's audit history, and going back: to an earlier version, or from a deletion."""

    path = "/v1/organizations/{organization_id:uuid}"
    tags = ["organizations"]
    guards = [require_write]

    @get("/history", operation_id="getOrganizationHistory")
    async def history(
        self,
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
        organization_id: FromPath[UUID],
        limit: HistoryLimit = 50,
        cursor: Cursor = None,
    ) -> HistoryPage:
        """Every write to the organization: who, when, which request, each changed field (write)."""
        return await _history(request, conn, "organization", organization_id, limit, cursor)

    @post("/revert", operation_id="revertOrganization", status_code=200)
    async def revert(
        self,
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
        organization_id: FromPath[UUID],
        data: JSONBody[Revert],
    ) -> Organization:
        """Restore the organization's own fields as they were after a version, audited (write)."""
        await _revert(request, conn, "organization", organization_id, data.version)
        return await find_organization(conn, organization_id)

    @post("/restore", operation_id="restoreOrganization", status_code=200)
    async def restore(
        self,
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
        organization_id: FromPath[UUID],
    ) -> Organization:
        """Undo a deletion (write)."""
        await _restore(request, conn, "organization", organization_id)
        return await find_organization(conn, organization_id)


class LocationHistoryController(Controller):
    """A location's audit history, and going back: to an earlier version, or from a deletion."""

    path = "/v1/locations/{location_id:uuid}"
    tags = ["locations"]
    guards = [require_write]

    @get("/history", operation_id="getLocationHistory")
    async def history(
        self,
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
        location_id: FromPath[UUID],
        limit: HistoryLimit = 50,
        cursor: Cursor = None,
    ) -> HistoryPage:
        """Every write to the location: who, when, which request, each changed field (write; exact places)."""
        return await _history(request, conn, "location", location_id, limit, cursor)

    @post("/revert", operation_id="revertLocation", status_code=200)
    async def revert(
        self,
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
        location_id: FromPath[UUID],
        data: JSONBody[Revert],
    ) -> Location:
        """Restore the location's own fields as they were after a version, audited (write)."""
        await _revert(request, conn, "location", location_id, data.version)
        return await find_location(conn, location_id, may_see_confidential(request))

    @post("/restore", operation_id="restoreLocation", status_code=200)
    async def restore(
        self, request: Request[Any, Any, Any], conn: NamedDependency[asyncpg.Connection], location_id: FromPath[UUID]
    ) -> Location:
        """Undo a deletion: the services there come back into search (write)."""
        await _restore(request, conn, "location", location_id)
        return await find_location(conn, location_id, may_see_confidential(request))


class MeetingHistoryController(Controller):
    """A meeting's audit history (meetings are changed through their own routes, or their source's feed)."""

    path = "/v1/meetings/{meeting_id:uuid}"
    tags = ["meetings"]
    guards = [require_write]

    @get("/history", operation_id="getMeetingHistory")
    async def history(
        self,
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
        meeting_id: FromPath[UUID],
        limit: HistoryLimit = 50,
        cursor: Cursor = None,
    ) -> HistoryPage:
        """Every write to the meeting: who, when, which request, each changed field (write; contacts by first name)."""
        return await _history(request, conn, "meeting", meeting_id, limit, cursor)


class EventHistoryController(Controller):
    """An event's audit history; only admins change events, so only admins read it."""

    path = "/v1/events/{event_id:uuid}"
    tags = ["events"]
    guards = [require_admin]

    @get("/history", operation_id="getEventHistory")
    async def history(
        self,
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
        event_id: FromPath[UUID],
        limit: HistoryLimit = 50,
        cursor: Cursor = None,
    ) -> HistoryPage:
        """Every write to the event: who, when, which request, each changed field (admin)."""
        return await _history(request, conn, "event", event_id, limit, cursor)


@post("/v1/admin/purge", operation_id="purgeListing", guards=[require_admin], tags=["admin"], status_code=204)
async def purge_listing(conn: NamedDependency[asyncpg.Connection], data: JSONBody[Purge]) -> None:
    """Remove a listing for good, with its links, phones, hours and its history's data; only for data that must
    go (a confidential address published by mistake). The purge itself is recorded with its reason (admin)."""
    async with conn.transaction():
        await lifecycle.set_audit(conn, "purge", data.reason)
        if not await lifecycle.purge(conn, data.entity, data.id):
            raise NotFound(f"no {data.entity} has id {data.id}")
