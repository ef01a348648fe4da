"""Bulk export of the whole directory as an HSDS 3.0 tabular datapackage (or its 3.1 profile, with capacity)."""

import email.utils
from typing import Annotated, Any, Literal

import asyncpg
from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter
from litestar.response import Stream

from schemas.meetings import MeetingGuideRecord
from schemas.problems import Problem
from service.db import UNAVAILABLE
from service.errors import PROBLEM_MEDIA_TYPE, DatabaseUnavailable
from service.http.etags import matches_any
from service.http.streams import open_stream
from service.imports.exports import BuiltExport
from service.imports.meetings import write_feed
from service.state import AppState

Profile = Annotated[
    Literal["3.0", "3.1"],
    QueryParameter(
        description="HSDS 3.0 (default), or 3.1: also each service's latest count per unit, as "
        "service_capacity.csv and units.csv"
    ),
]


def _not_modified(request: Request[Any, Any, Any], built: BuiltExport) -> bool:
    """RFC 9110 13.2.2: If-None-Match decides when present, else If-Modified-Since."""
    if (wanted := request.headers.get("if-none-match")) is not None:
        return matches_any(wanted, built.etag)
    if (since := request.headers.get("if-modified-since")) is not None:
        try:
            return built.modified_at <= email.utils.parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


def _validators(built: BuiltExport) -> dict[str, str]:
    return {
        "ETag": built.etag,
        "Last-Modified": email.utils.format_datetime(built.modified_at, usegmt=True),
        "Cache-Control": "no-cache",
    }


def _unchanged(built: BuiltExport) -> Stream:
    return Response(  # type: ignore[return-value]  # a 304 has no body; Stream documents the 200
        b"", status_code=304, headers=_validators(built)
    )


@get(
    "/v1/exports/hsds.zip",
    operation_id="exportHsdsZip",
    tags=["exports"],
    media_type="application/zip",
    # Here rather than in the docstring: it is longer than a line, and a wrapped docstring publishes the break.
    description="The whole directory as an HSDS 3.0 tabular datapackage (zip) from one snapshot, built again only "
    "when its data changed; profile=3.1 adds live capacity (HSDS 3.1 service_capacity and unit).",
    response_description="A zip: datapackage.json and one CSV per HSDS table",
    responses={
        304: ResponseSpec(
            data_container=None,
            description=(
                "Not modified: If-None-Match names the current ETag, or nothing changed since If-Modified-Since"
            ),
        ),
        503: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_MEDIA_TYPE,
            generate_examples=False,
            description="The database is unreachable, or too many downloads and streams are running "
            "(for this key or address, or in all); retry after Retry-After",
        ),
    },
)
async def export_hsds_zip(request: Request[Any, Any, Any], state: AppState, profile: Profile = "3.0") -> Stream:
    """The whole directory as an HSDS zip from one snapshot, rebuilt only when its data changed."""
    cache, timeout = state.exports, state.streams.acquire_timeout_s
    try:
        if (built := await cache.fresh(state.pool, timeout, profile)) is not None and _not_modified(request, built):
            return _unchanged(built)
        stream = await open_stream(connect=False)
        if built is None:
            built = await cache.build(state.pool, timeout, profile)
    except UNAVAILABLE as error:
        raise DatabaseUnavailable(str(error) or type(error).__name__) from error
    if _not_modified(request, built):
        return _unchanged(built)
    return Stream(
        stream.send(built.chunks()),
        media_type="application/zip",
        headers={
            **_validators(built),
            "Content-Length": str(built.size),
            "Content-Disposition": 'attachment; filename="commonground-hsds.zip"'
            if profile == "3.0"
            else 'attachment; filename="commonground-hsds-3.1.zip"',
        },
    )


@get(
    "/v1/exports/meetings.json",
    operation_id="exportMeetings",
    tags=["exports", "meetings"],
    media_type="application/json",
)
async def export_meetings(conn: NamedDependency[asyncpg.Connection]) -> Response[list[MeetingGuideRecord]]:
    """Every meeting as a Meeting Guide JSON feed (github.com/code4recovery/spec); no street of a confidential place."""
    return Response(
        await write_feed(conn),  # type: ignore[arg-type]  # pre-encoded feed
        media_type="application/json",
        headers={"Content-Disposition": 'inline; filename="meetings.json"'},
    )
