"""Meetings: search by place and start, read, create, change, delete."""

import datetime as dt
import re
from typing import Annotated, Any, get_args
from uuid import UUID

import asyncpg
import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import FromPath, JSONBody, Parameter, QueryParameter
from litestar.types import Scope

from schemas.imports import ImportReport
from schemas.meetings import (
    Meeting,
    MeetingCreate,
    MeetingPage,
    MeetingPatch,
    MeetingSource,
    MeetingSourceCreate,
    MeetingType,
)
from service.db import primary_connection
from service.errors import Conflict, InvalidInput, NotFound, UpstreamUnavailable
from service.http.auth import caller_in, check_organization, may_see_confidential, require_admin, require_write
from service.http.cursors import decode_cursor, fingerprint, paginate
from service.http.durations import parse_duration
from service.http.preconditions import require_match
from service.imports.meetings import FetchFailed, UnreadableFeed, import_feed
from service.queries import meetings as queries
from service.routes.params import Cursor, Limit, check_date_times
from service.routes.resources import At, LanguageParam, Near
from service.routes.shortcuts import Shortcut, boolean, instant, text, whole
from service.search import meetings as meeting_search
from service.search.geo import parse_near
from service.search.resources import LANGUAGE_CODE
from service.state import AppState

StartsWithin = Annotated[
    str | None,
    QueryParameter(
        max_length=20,
        description="Only meetings starting within this long of now (or `at`), and those in progress: 90m, 3h, 2d "
        "(at most 7d)",
        examples=[Example(value="3h")],
    ),
]
DayParam = Annotated[
    list[int] | None,
    QueryParameter(description="ISO weekday in the meeting's own time zone (1 = Monday ... 7 = Sunday), repeatable"),
]
TimeParam = Annotated[
    str | None,
    QueryParameter(
        max_length=5,
        description="Local start time HH:MM (time_from later than time_to spans midnight)",
        examples=[Example(value="18:00")],
    ),
]
TypesParam = Annotated[
    list[str] | None,
    QueryParameter(
        description="Meeting type, repeatable or comma-separated: results have all of them",
        examples=[Example(value=["open", "wheelchair"])],
    ),
]
OnlineParam = Annotated[
    bool | None,
    QueryParameter(description="true: only meetings one can join online; false: only in-person ones; absent: both"),
]
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
_TYPES = frozenset(get_args(MeetingType))


async def find_meeting(conn: asyncpg.Connection, meeting_id: UUID, exact: bool = False) -> Meeting:
    """The meeting with this id, else 404."""
    if (meeting := await queries.select_meeting(conn, meeting_id, exact)) is None:
        raise NotFound(f"no meeting has id {meeting_id}")
    return meeting


def _clock(raw: str | None, name: str) -> dt.time | None:
    if raw is None:
        return None
    if not _CLOCK.match(raw):
        raise InvalidInput(name, f"expected a local time HH:MM such as 18:30, not {raw!r}")
    return dt.time.fromisoformat(raw)


def _listed(values: list[str] | None) -> list[str]:
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


async def meeting_page(
    conn: asyncpg.Connection,
    exact: bool,
    *,
    near: str | None = None,
    starts_within: str | None = None,
    day: list[int] | None = None,
    time_from: str | None = None,
    time_to: str | None = None,
    types: list[str] | None = None,
    online: bool | None = None,
    language: list[str] | None = None,
    at: dt.datetime | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> MeetingPage:
    """A page of the meeting search from its parameters as the route reads them (exact: confidential places shown)."""
    if at is not None and at.tzinfo is None:
        raise InvalidInput("at", "must carry a UTC offset, e.g. 2026-11-27T23:30:00-08:00 or ...Z")
    origin = parse_near(near) if near is not None else None
    within = parse_duration(starts_within, "starts_within") if starts_within is not None else None
    if within is not None and within > dt.timedelta(days=7):
        raise InvalidInput("starts_within", "must be at most 7d: every weekly meeting starts within a week")
    for weekday in day or []:
        if not 1 <= weekday <= 7:
            raise InvalidInput("day", f"{weekday} is not an ISO weekday 1 (Monday) ... 7 (Sunday)")
    wanted_types = sorted(set(_listed(types)))
    for code in wanted_types:
        if code not in _TYPES:
            raise InvalidInput("types", f"unknown meeting type {code!r}; known: {', '.join(sorted(_TYPES))}")
    languages = sorted(set(_listed(language)))
    for code in languages:
        if not LANGUAGE_CODE.match(code):
            raise InvalidInput("language", f"{code!r} is not an ISO 639 code such as es or zh")
    start_from, start_to = _clock(time_from, "time_from"), _clock(time_to, "time_to")
    if start_from is not None or start_to is not None:
        start_from, start_to = start_from or dt.time(0, 0), start_to or dt.time(23, 59)
    now = (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    # starts_within and at enter the cursor as given, so a page stays where it was while a person pages.
    query = fingerprint(
        "meetings",
        near,
        starts_within,
        sorted(set(day or [])),
        time_from,
        time_to,
        wanted_types,
        online,
        languages,
        at.isoformat() if at is not None else None,
    )
    after = decode_cursor(cursor, query, tuple[float, float])
    filters = queries.MeetingFilters(
        latitude=origin.latitude if origin is not None else None,
        longitude=origin.longitude if origin is not None else None,
        days=sorted(set(day)) if day else None,
        time_from=start_from,
        time_to=start_to,
        types=wanted_types or None,
        online=online,
        languages=languages or None,
    )
    rows = await meeting_search.search(
        conn,
        meeting_search.MeetingSearch(at=now, within=within, filters=filters, after=after, limit=limit + 1),
        exact,
    )
    items, next_cursor = paginate(rows, limit, query)
    return MeetingPage(items=items, next_cursor=next_cursor)


async def _plain_page(state: AppState, scope: Scope, arguments: dict[str, Any]) -> bytes:
    """A plain search's page, as search_meetings answers it."""
    async with primary_connection(state, "GET", scope) as conn:
        page = await meeting_page(conn, caller_in(scope).has("confidential"), **arguments)
    return msgspec.json.encode(page)


# The plain searches the shortcut answers (service/routes/shortcuts.py), read as the route reads them.
SHORTCUT = Shortcut(
    "/v1/meetings",
    {
        "near": ("near", text(100)),
        "starts_within": ("starts_within", text(20)),
        "time_from": ("time_from", text(5)),
        "time_to": ("time_to", text(5)),
        "online": ("online", boolean),
        "at": ("at", instant),
        "limit": ("limit", whole(1, 100)),
        "cursor": ("cursor", text(500)),
    },
    {"day": whole(1, 7), "types": str, "language": str},
    _plain_page,
)


class MeetingController(Controller):
    """Mutual-aid meetings: weekly, at a place and/or online."""

    path = "/v1/meetings"
    tags = ["meetings"]

    @get("/", operation_id="searchMeetings")
    async def search_meetings(
        self,
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
        near: Near = None,
        starts_within: StartsWithin = None,
        day: DayParam = None,
        time_from: TimeParam = None,
        time_to: TimeParam = None,
        types: TypesParam = None,
        online: OnlineParam = None,
        language: LanguageParam = None,
        at: At = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> MeetingPage:
        """Meetings with their next start in local time: nearest first from `near`, online-only ones after."""
        check_date_times(request)
        if at is not None and at.tzinfo is None:
            raise InvalidInput("at", "must carry a UTC offset, e.g. 2026-11-27T23:30:00-08:00 or ...Z")
        origin = parse_near(near) if near is not None else None
        within = parse_duration(starts_within, "starts_within") if starts_within is not None else None
        if within is not None and within > dt.timedelta(days=7):
            raise InvalidInput("starts_within", "must be at most 7d: every weekly meeting starts within a week")
        for weekday in day or []:
            if not 1 <= weekday <= 7:
                raise InvalidInput("day", f"{weekday} is not an ISO weekday 1 (Monday) ... 7 (Sunday)")
        wanted_types = sorted(set(_listed(types)))
        for code in wanted_types:
            if code not in _TYPES:
                raise InvalidInput("types", f"unknown meeting type {code!r}; known: {', '.join(sorted(_TYPES))}")
        languages = sorted(set(_listed(language)))
        for code in languages:
            if not LANGUAGE_CODE.match(code):
                raise InvalidInput("language", f"{code!r} is not an ISO 639 code such as es or zh")
        start_from, start_to = _clock(time_from, "time_from"), _clock(time_to, "time_to")
        if start_from is not None or start_to is not None:
            start_from, start_to = start_from or dt.time(0, 0), start_to or dt.time(23, 59)
        now = (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        # starts_within and at enter the cursor as given, so a page stays where it was while a person pages.
        query = fingerprint(
            "meetings",
            near,
            starts_within,
            sorted(set(day or [])),
            time_from,
            time_to,
            wanted_types,
            online,
            languages,
            at.isoformat() if at is not None else None,
        )
        after = decode_cursor(cursor, query, tuple[float, float])
        filters = queries.MeetingFilters(
            latitude=origin.latitude if origin is not None else None,
            longitude=origin.longitude if origin is not None else None,
            days=sorted(set(day)) if day else None,
            time_from=start_from,
            time_to=start_to,
            types=wanted_types or None,
            online=online,
            languages=languages or None,
        )
        rows = await meeting_search.search(
            conn,
            meeting_search.MeetingSearch(at=now, within=within, filters=filters, after=after, limit=limit + 1),
            may_see_confidential(request),
        )
        items, next_cursor = paginate(rows, limit, query)
        return MeetingPage(items=items, next_cursor=next_cursor)

    @get("/{meeting_id:uuid}", operation_id="getMeeting")
    async def get_meeting(
        self, request: Request[Any, Any, Any], conn: NamedDependency[asyncpg.Connection], meeting_id: FromPath[UUID]
    ) -> Meeting:
        """Fetch one meeting; at a confidential location, its address and exact point only to admin calls."""
        return await find_meeting(conn, meeting_id, may_see_confidential(request))

    @post("/", operation_id="createMeeting", guards=[require_write])
    async def create_meeting(
        self, request: Request[Any, Any, Any], conn: NamedDependency[asyncpg.Connection], data: JSONBody[MeetingCreate]
    ) -> Response[Meeting]:
        """Create a meeting; its time zone comes from its location or coordinates when not given (write)."""
        check_organization(request, None)
        meeting_id = await queries.insert_meeting(conn, data)
        return Response(
            await find_meeting(conn, meeting_id, may_see_confidential(request)),
            status_code=201,
            headers={"Location": f"/v1/meetings/{meeting_id}"},
        )

    @patch("/{meeting_id:uuid}", operation_id="updateMeeting", guards=[require_write])
    async def update_meeting(
        self,
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
        meeting_id: FromPath[UUID],
        data: JSONBody[MeetingPatch],
    ) -> Meeting:
        """Change some fields of a meeting; needs If-Match with its ETag (write)."""
        check_organization(request, None)
        exact = may_see_confidential(request)
        async with conn.transaction():
            await queries.lock_meeting(conn, meeting_id)
            require_match(request, await find_meeting(conn, meeting_id, exact), "meeting")
            stored = await find_meeting(conn, meeting_id, exact=True)
            await queries.update_meeting(conn, meeting_id, queries.patched(stored, data), stored.source)
        return await find_meeting(conn, meeting_id, exact)

    @delete("/{meeting_id:uuid}", operation_id="deleteMeeting", guards=[require_write])
    async def delete_meeting(
        self, request: Request[Any, Any, Any], conn: NamedDependency[asyncpg.Connection], meeting_id: FromPath[UUID]
    ) -> None:
        """Delete a meeting; needs If-Match (write)."""
        check_organization(request, None)
        async with conn.transaction():
            await queries.lock_meeting(conn, meeting_id)
            require_match(request, await find_meeting(conn, meeting_id, may_see_confidential(request)), "meeting")
            await queries.delete_meeting(conn, meeting_id)


SourceName = Annotated[
    str, Parameter(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$", description="The source's name, as imports name it")
]


async def find_source(conn: asyncpg.Connection, name: str) -> MeetingSource:
    """The registered source of this name, else 404."""
    found = await queries.select_sources(conn, name)
    if not found:
        raise NotFound(f"no meeting source is named {name!r}; register it with PUT /v1/meeting-sources/{name}")
    return found[0]


class MeetingSourceController(Controller):
    """Where meetings come from: Meeting Guide feeds an admin registers (admin)."""

    path = "/v1/meeting-sources"
    tags = ["meetings"]
    guards = [require_admin]

    @get("/", operation_id="listMeetingSources")
    async def list_sources(self, conn: NamedDependency[asyncpg.Connection]) -> list[MeetingSource]:
        """Every registered source of meetings, by name (admin)."""
        return await queries.select_sources(conn)

    @put("/{name:str}", operation_id="putMeetingSource")
    async def put_source(
        self, conn: NamedDependency[asyncpg.Connection], name: FromPath[SourceName], data: JSONBody[MeetingSourceCreate]
    ) -> MeetingSource:
        """Register a source of meetings and the feed URL it publishes, or change that URL (admin)."""
        return await queries.upsert_source(conn, name, data.feed_url)

    @post("/{name:str}/fetch", operation_id="fetchMeetingSource", status_code=200)
    async def fetch_source(
        self,
        conn: NamedDependency[asyncpg.Connection],
        state: AppState,
        name: FromPath[SourceName],
        dry_run: Annotated[bool, QueryParameter(description="Check and report only; nothing is written")] = False,
        strict: Annotated[bool, QueryParameter(description="Write nothing if any meeting is rejected")] = False,
    ) -> ImportReport:
        """Fetch the source's feed and import it as its whole list of meetings (admin; 409 while fetching is off)."""
        source = await find_source(conn, name)
        if source.feed_url is None:
            raise Conflict(f"the source {name!r} has no feed_url; set one with PUT /v1/meeting-sources/{name}")
        if state.meeting_feeds is None:
            raise Conflict(
                "fetching feeds is off on this server (COMMONGROUND_MEETING_FEEDS is not set); import the feed file "
                f"instead: POST /v1/imports?source={name}&format=meeting-guide"
            )
        try:
            raw = await state.meeting_feeds(source.feed_url)
        except FetchFailed as error:
            raise UpstreamUnavailable(f"the feed of {name!r} could not be fetched: {error}") from None
        try:
            report, failure = await import_feed(conn, raw, source.feed_url, name, dry_run=dry_run, strict=strict)
        except UnreadableFeed as error:
            raise InvalidInput("feed", str(error), "body") from None
        if failure is not None:
            raise InvalidInput("feed", failure, "body")
        return report
