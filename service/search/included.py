"""Meetings and event occurrences beside the services of a resource search (include=meetings,events).

The services page as always (items, next_cursor). The included kinds come in their own list on the
first page only: one list of both, nearest first, from the meeting and event searches themselves.
"""

import datetime as dt

import asyncpg
import msgspec

from schemas.search import SearchRequest
from service.errors import InvalidInput
from service.http.durations import parse_duration
from service.queries.events import PLACELESS_KEY, OccurrenceFilters
from service.queries.meetings import ONLINE_ONLY_KEY, MeetingFilters
from service.search import events as event_search
from service.search import meetings as meeting_search
from service.search.resources import SearchPage

KINDS = ("meetings", "events")
# "Tonight": from the search's moment to the small hours, as a field worker plans an evening.
DEFAULT_WITHIN = dt.timedelta(hours=12)
# As GET /v1/meetings: every weekly meeting starts within a week.
MAX_WITHIN = dt.timedelta(days=7)
# As GET /v1/events: occurrences are stored (and extended) at most this far ahead.
MAX_AHEAD = dt.timedelta(days=5 * 366)
# Both searches give the same last key to what has no place: online-only meetings, placeless events.
assert ONLINE_ONLY_KEY == PLACELESS_KEY, "the two kinds are merged on one distance key"


class Inclusion(msgspec.Struct, frozen=True, kw_only=True):
    """What a resource search includes beside its services: which kinds, from when, for how long."""

    kinds: frozenset[str]
    at: dt.datetime
    within: dt.timedelta
    # False on a read replica's connection, which cannot store an event's further occurrences.
    extend: bool


def read_inclusion(
    include: list[str] | None,
    starts_within: str | None,
    at: dt.datetime | None,
    request: SearchRequest,
    extend: bool = True,
) -> Inclusion | None:
    """Check include and starts_within against the rest of the search; None when nothing is included."""
    if include is None:
        if starts_within is not None:
            raise InvalidInput("starts_within", "only with include=meetings, include=events or both")
        return None
    kinds = [part.strip() for value in include for part in value.split(",") if part.strip()]
    if not kinds:
        raise InvalidInput("include", "name meetings, events or both, e.g. include=meetings,events")
    for kind in kinds:
        if kind not in KINDS:
            raise InvalidInput("include", f"{kind!r} is not a kind to include; known: {', '.join(KINDS)}")
    if request.origin is None:
        raise InvalidInput("include", "needs a location: near, zip or address")
    if request.shape == "geojson":
        raise InvalidInput("include", "only in the JSON answer, not with GeoJSON")
    within = DEFAULT_WITHIN if starts_within is None else parse_duration(starts_within, "starts_within")
    if within > MAX_WITHIN:
        raise InvalidInput("starts_within", "must be at most 7d: every weekly meeting starts within a week")
    now = dt.datetime.now(dt.UTC)
    moment = (at or now).astimezone(dt.UTC)
    if "events" in kinds and moment + within > now + MAX_AHEAD:
        raise InvalidInput("at", "with include=events, at most five years from now")
    return Inclusion(kinds=frozenset(kinds), at=moment, within=within, extend=extend)


async def select_included(
    conn: asyncpg.Connection, request: SearchRequest, inclusion: Inclusion, exact: bool
) -> list[bytes]:
    """The included items as JSON, nearest first, up to the page's limit; with a radius, only those with a place
    within it (as the event search keeps them)."""
    origin = request.origin
    assert origin is not None, "read_inclusion refuses a search without an origin"
    keyed: list[tuple[tuple[float, float], bytes]] = []
    if "meetings" in inclusion.kinds:
        filters = MeetingFilters(
            latitude=origin.latitude,
            longitude=origin.longitude,
            days=None,
            time_from=None,
            time_to=None,
            types=None,
            online=None,
            languages=None,
        )
        search = meeting_search.MeetingSearch(
            at=inclusion.at, within=inclusion.within, filters=filters, after=None, limit=request.limit
        )
        radius = request.radius_m
        for key, _, meeting in await meeting_search.search(conn, search, exact):
            if radius is not None and (meeting.distance_m is None or meeting.distance_m > radius):
                continue
            keyed.append(
                ((key[0], meeting.next_start.timestamp()), b'{"kind":"meeting",' + msgspec.json.encode(meeting)[1:])
            )
    if "events" in inclusion.kinds:
        occurrences = OccurrenceFilters(
            latitude=origin.latitude,
            longitude=origin.longitude,
            since=inclusion.at,
            until=inclusion.at + inclusion.within,
            radius_m=request.radius_m,
            category=None,
            languages=None,
            online=None,
        )
        found = await event_search.search(conn, occurrences, True, None, request.limit, exact, inclusion.extend)
        for (starts_at, chord), _, occurrence in found:
            keyed.append(((chord, starts_at.timestamp()), b'{"kind":"event",' + msgspec.json.encode(occurrence)[1:]))
    keyed.sort(key=lambda item: item[0])
    return [item for _, item in keyed[: request.limit]]


async def included_page(
    conn: asyncpg.Connection, page: SearchPage, request: SearchRequest, inclusion: Inclusion, exact: bool
) -> bytes:
    """A ResourcePage's JSON with each service marked kind "service" and the included list (first page only)."""
    included = await select_included(conn, request, inclusion, exact) if request.cursor is None else []
    return b"".join(
        (
            b'{"items":[',
            b",".join(b'{"kind":"service",' + hit.item.encode()[1:] for hit in page.hits),
            b'],"next_cursor":',
            msgspec.json.encode(page.next_cursor),
            b',"origin":',
            msgspec.json.encode(page.origin),
            b',"included":[',
            b",".join(included),
            b"]}",
        )
    )
