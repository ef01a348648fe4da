"""Events: search occurrences by window and place, read, create, change, delete."""

import datetime as dt
import re
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import FromPath, JSONBody, QueryParameter

from schemas.events import Event, EventCreate, EventOrder, EventPatch, OccurrencePage
from service.errors import InvalidInput, NotFound
from service.http.auth import may_see_confidential, require_admin
from service.http.cursors import decode_cursor, fingerprint, paginate
from service.http.preconditions import require_match
from service.queries import events as queries
from service.routes.params import Cursor, Limit
from service.routes.resources import LanguageParam, Near, Radius, Unit
from service.search import events as event_search
from service.search.geo import parse_near
from service.search.resources import LANGUAGE_CODE

Instant = Annotated[
    str | None,
    QueryParameter(
        max_length=40, description="An RFC 3339 instant with offset", examples=[Example(value="2027-05-14T00:00:00Z")]
    ),
]
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})$")
_CATEGORY = re.compile(r"^[a-z][a-z0-9-]{0,63}$")
METRES = {"mi": 1609.344, "km": 1000.0}
DEFAULT_WINDOW = dt.timedelta(days=30)
# The longest window one search expands: a year and a month.
MAX_WINDOW = dt.timedelta(days=400)
# How far ahead a search may look at all: occurrences are stored to a horizon, extended on demand.
MAX_AHEAD = dt.timedelta(days=5 * 366)


async def find_event(conn: asyncpg.Connection, event_id: UUID, exact: bool = False) -> Event:
    """The event with this id, else 404."""
    if (event := await queries.select_event(conn, event_id, exact)) is None:
        raise NotFound(f"no event has id {event_id}")
    return event


def _instant(raw: str | None, name: str) -> dt.datetime | None:
    if raw is None:
        return None
    if not _RFC3339.match(raw.strip()):
        raise InvalidInput(name, "must be an RFC 3339 date-time with offset, e.g. 2027-05-14T18:00:00-07:00")
    try:
        return dt.datetime.fromisoformat(raw.strip().replace("z", "Z")).astimezone(dt.UTC)
    except (ValueError, OverflowError):
        raise InvalidInput(name, f"{raw!r} is not a real date and time") from None


class EventController(Controller):
    """Dated events: once, on dates, or recurring, at a service, a location, a place or online."""

    path = "/v1/events"
    tags = ["events"]

    @get("/", operation_id="searchEvents")
    async def search_events(
        self,
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
        near: Near = None,
        from_: Annotated[
            str | None,
            QueryParameter(name="from", max_length=40, description="Window start, RFC 3339 with offset (default: now)"),
        ] = None,
        to: Annotated[
            str | None,
            QueryParameter(
                max_length=40, description="Window end, RFC 3339 (default: from + 30 days; at most 400 days)"
            ),
        ] = None,
        order: Annotated[
            EventOrder,
            QueryParameter(description="start: by start, then distance; distance: nearest first (needs near)"),
        ] = "start",
        radius: Radius = None,
        unit: Unit = "mi",
        category: Annotated[
            str | None, QueryParameter(max_length=64, description="Only events of a service in this category (slug)")
        ] = None,
        language: LanguageParam = None,
        online: Annotated[
            bool | None, QueryParameter(description="true: only events one can join online; false: only others")
        ] = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> OccurrencePage:
        """Occurrences starting in a window, each with its event, local start and end, and distance from `near`."""
        origin = parse_near(near) if near is not None else None
        now = dt.datetime.now(dt.UTC)
        since = _instant(from_, "from") or now
        if since > now + MAX_AHEAD:
            raise InvalidInput("from", "at most five years from now")
        until = _instant(to, "to") or since + DEFAULT_WINDOW
        if until <= since:
            raise InvalidInput("to", "must be after from")
        if until - since > MAX_WINDOW:
            raise InvalidInput("to", "the window from from to to is at most 400 days")
        if until > now + MAX_AHEAD:
            raise InvalidInput("to", "at most five years from now")
        if order == "distance" and origin is None:
            raise InvalidInput("order", "distance needs near=LAT,LON")
        if radius is not None and (origin is None or not 0 < radius <= 500):
            raise InvalidInput("radius", "needs near, and is more than 0 and at most 500 (in unit)")
        if category is not None and not _CATEGORY.match(category):
            raise InvalidInput("category", f"{category!r} is not a category slug such as naloxone")
        languages = sorted({part.strip() for value in language or [] for part in value.split(",") if part.strip()})
        for code in languages:
            if not LANGUAGE_CODE.match(code):
                raise InvalidInput("language", f"{code!r} is not an ISO 639 code such as es or zh")
        # from and to enter the cursor as resolved, so a page stays where it was while a person pages.
        query = fingerprint(
            "events", near, since.isoformat(), until.isoformat(), order, radius, unit, category, languages, online
        )
        after = decode_cursor(cursor, query, tuple[dt.datetime, float])
        filters = queries.OccurrenceFilters(
            latitude=origin.latitude if origin is not None else None,
            longitude=origin.longitude if origin is not None else None,
            since=since,
            until=until,
            radius_m=radius * METRES[unit] if radius is not None else None,
            category=category,
            languages=languages or None,
            online=online,
        )
        rows = await event_search.search(
            conn, filters, order == "distance", after, limit + 1, may_see_confidential(request)
        )
        items, next_cursor = paginate(rows, limit, query)
        return OccurrencePage(items=items, next_cursor=next_cursor)

    @get("/{event_id:uuid}", operation_id="getEvent")
    async def get_event(
        self, request: Request[Any, Any, Any], conn: NamedDependency[asyncpg.Connection], event_id: FromPath[UUID]
    ) -> Event:
        """Fetch one event; at a confidential location, its address and exact point only to admin calls."""
        return await find_event(conn, event_id, may_see_confidential(request))

    @post("/", operation_id="createEvent", guards=[require_admin])
    async def create_event(
        self, request: Request[Any, Any, Any], conn: NamedDependency[asyncpg.Connection], data: JSONBody[EventCreate]
    ) -> Response[Event]:
        """Create an event; its time zone comes from its location or coordinates when not given (admin)."""
        event_id = await queries.insert_event(conn, data)
        return Response(
            await find_event(conn, event_id, may_see_confidential(request)),
            status_code=201,
            headers={"Location": f"/v1/events/{event_id}"},
        )

    @patch("/{event_id:uuid}", operation_id="updateEvent", guards=[require_admin])
    async def update_event(
        self,
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
        event_id: FromPath[UUID],
        data: JSONBody[EventPatch],
    ) -> Event:
        """Change some fields of an event; needs If-Match with its ETag (admin)."""
        exact = may_see_confidential(request)
        async with conn.transaction():
            await queries.lock_event(conn, event_id)
            require_match(request, await find_event(conn, event_id, exact), "event")
            stored = await find_event(conn, event_id, exact=True)
            own_name = await queries.select_own_name(conn, event_id)
            await queries.update_event(conn, event_id, queries.patched(stored, data, own_name))
        return await find_event(conn, event_id, exact)

    @delete("/{event_id:uuid}", operation_id="deleteEvent", guards=[require_admin])
    async def delete_event(
        self, request: Request[Any, Any, Any], conn: NamedDependency[asyncpg.Connection], event_id: FromPath[UUID]
    ) -> None:
        """Delete an event; needs If-Match (admin)."""
        async with conn.transaction():
            await queries.lock_event(conn, event_id)
            require_match(request, await find_event(conn, event_id, may_see_confidential(request)), "event")
            await queries.delete_event(conn, event_id)
