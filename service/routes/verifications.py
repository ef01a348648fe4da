"""Verifying services, and the queue of those to re-check."""

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import FromPath, JSONBody, QueryParameter

from schemas.verifications import StalePage, Verification, VerificationCreate
from service.http.auth import check_owner, require_admin, require_write
from service.http.cursors import decode_cursor, fingerprint, paginate
from service.http.durations import parse_duration
from service.queries import verifications as queries
from service.queries.lifecycle import set_audit
from service.routes.params import Cursor, Limit

OlderThan = Annotated[
    str,
    QueryParameter(
        max_length=20,
        description="Only services whose last verification is at least this old (never verified ones "
        "always qualify): 90d, 180d",
        examples=[Example(value="180d")],
    ),
]
VerificationLimit = Annotated[int, QueryParameter(ge=1, le=200, description="How many, newest first")]


@post("/v1/services/{service_id:uuid}/verify", operation_id="verifyService", tags=["services"], guards=[require_write])
async def verify_service(
    request: Request[Any, Any, Any],
    conn: NamedDependency[asyncpg.Connection],
    service_id: FromPath[UUID],
    data: JSONBody[VerificationCreate],
) -> Verification:
    """Record that a person checked the listing; sets assured_date to today, which saves and imports keep (write)."""
    async with conn.transaction():
        await check_owner(request, conn, "service", service_id, lock=True)
        await set_audit(conn, "verify", data.method + (f": {data.note}" if data.note else ""))
        return await queries.insert_verification(conn, service_id, data)


@get(
    "/v1/services/{service_id:uuid}/verifications",
    operation_id="listServiceVerifications",
    tags=["services"],
    guards=[require_write],
)
async def list_verifications(
    request: Request[Any, Any, Any],
    conn: NamedDependency[asyncpg.Connection],
    service_id: FromPath[UUID],
    limit: VerificationLimit = 50,
) -> list[Verification]:
    """Who checked the service, how and when, newest first (write)."""
    await check_owner(request, conn, "service", service_id, deleted=True)
    return await queries.select_verifications(conn, service_id, limit)


@get("/v1/admin/stale", operation_id="listStaleServices", tags=["admin"], guards=[require_admin])
async def list_stale(
    conn: NamedDependency[asyncpg.Connection], older_than: OlderThan = "180d", limit: Limit = 20, cursor: Cursor = None
) -> StalePage:
    """Services to re-check, most urgent first: days since verification (never: 10,000) x (1 + ln(1 + times shown
    in the last 30 days)), so old listings people actually see come first (admin)."""
    days = parse_duration(older_than, "older_than").days
    query = fingerprint("stale", days)
    today = dt.datetime.now(dt.UTC).date()
    rows = await queries.select_stale(conn, today, days, decode_cursor(cursor, query, float), limit + 1)
    items, next_cursor = paginate(rows, limit, query)
    return StalePage(items=items, next_cursor=next_cursor)
