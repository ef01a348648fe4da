"""The meeting search: starting soon from the week-span index, nearest by the geo index, or by next start."""

import datetime as dt
from uuid import UUID

import asyncpg
import msgspec

from schemas.meetings import MeetingResult
from service.queries import meetings as queries
from service.queries.meetings import ONLINE_ONLY_KEY, MeetingFilters
from service.search.weekly import next_occurrence, window_spans

# A page's sort key: (distance chord, or 0 without an origin, or ONLINE_ONLY_KEY; next start as epoch seconds,
# or 0 for in-person meetings ordered by distance).
Key = tuple[float, float]
# Every weekly meeting starts within a week: the span its next start is looked for in.
NEXT_WEEK = dt.timedelta(days=8)
# Ordered by next start without starts_within, a page is read from growing windows: whatever starts
# within the first window that fills the page sorts before everything outside it.
GROWING = (dt.timedelta(hours=3), dt.timedelta(hours=24), NEXT_WEEK)
# The largest batch of spans read at once (4^7: the batches grow fourfold from 16 or more).
MOST_SPANS = 16_384


class MeetingSearch(msgspec.Struct, frozen=True, kw_only=True):
    """A checked search: as of when, for how long ahead (None: the next start, whenever), and a page."""

    at: dt.datetime
    within: dt.timedelta | None
    filters: MeetingFilters
    after: tuple[Key, UUID] | None
    limit: int


async def search(
    conn: asyncpg.Connection, request: MeetingSearch, exact: bool = False
) -> list[tuple[Key, UUID, MeetingResult]]:
    """Up to request.limit meetings after the cursor, in page order, with their next (or current) occurrence."""
    filters = request.filters
    rows: dict[UUID, asyncpg.Record] = {}
    if request.within is not None and filters.latitude is not None:
        picked = await _soon_near(conn, request, request.within, rows)
    elif request.within is not None:
        picked = await _timed(conn, request, filters, request.within, request.limit)
    elif filters.latitude is not None:
        picked = await _nearest(conn, request)
    else:
        picked = await _growing(conn, request, filters, request.limit)
    found = await queries.select_results(
        conn, [(meeting_id, start) for _, meeting_id, start in picked], filters, request.at, exact, rows
    )
    return [(key, meeting_id, found[meeting_id]) for key, meeting_id, _ in picked if meeting_id in found]


def _wanted_days(days: list[int], filters: MeetingFilters) -> list[int]:
    return days if filters.days is None else [day for day in days if day in filters.days]


async def _timed(
    conn: asyncpg.Connection, request: MeetingSearch, filters: MeetingFilters, length: dt.timedelta, limit: int
) -> list[tuple[Key, UUID, dt.datetime]]:
    """The meetings running at request.at or starting within length of it, checked exactly in local time."""
    until = request.at + length
    found = []
    for row in await queries.select_timed(conn, filters, window_spans(request.at, length)):
        days = _wanted_days(row["days"], filters)
        start = next_occurrence(days, row["start_time"], row["duration_minutes"], row["timezone"], request.at, until)
        if start is None:
            continue
        by_start = filters.latitude is None or row["chord"] == ONLINE_ONLY_KEY
        key = (row["chord"], start.timestamp() if by_start else 0.0)
        if request.after is None or (key, row["id"]) > request.after:
            found.append((key, row["id"], start))
    found.sort(key=lambda item: (item[0], item[1]))
    return found[:limit]


async def _growing(
    conn: asyncpg.Connection, request: MeetingSearch, filters: MeetingFilters, limit: int
) -> list[tuple[Key, UUID, dt.datetime]]:
    """By next start: the smallest growing window that fills the page (the last one holds every meeting)."""
    for length in GROWING:
        found = await _timed(conn, request, filters, length, limit)
        if len(found) >= limit:
            break
    return found


async def _nearest(conn: asyncpg.Connection, request: MeetingSearch) -> list[tuple[Key, UUID, dt.datetime]]:
    """In-person meetings nearest first (the geo index), then online-only ones by next start."""
    filters, after, found = request.filters, request.after, []
    if after is None or after[0][0] < ONLINE_ONLY_KEY:
        nearest_after = None if after is None else (after[0][0], after[1])
        for row in await queries.select_nearest(conn, filters, nearest_after, request.limit):
            days = _wanted_days(row["days"], filters)
            start = next_occurrence(
                days, row["start_time"], row["duration_minutes"], row["timezone"], request.at, request.at + NEXT_WEEK
            )
            if start is not None:
                found.append(((row["chord"], 0.0), row["id"], start))
        after = None
    if len(found) < request.limit:
        online = msgspec.structs.replace(filters, part="online-only")
        found += await _growing(conn, msgspec.structs.replace(request, after=after), online, request.limit - len(found))
    return found


async def _soon_near(
    conn: asyncpg.Connection, request: MeetingSearch, length: dt.timedelta, rows: dict[UUID, asyncpg.Record]
) -> list[tuple[Key, UUID, dt.datetime]]:
    """In-person meetings in the window nearest first (the point-and-span index, read in growing batches until
    the exact check fills the page), then online-only ones by start; the rows the walk read go into rows."""
    filters, after = request.filters, request.after
    found: list[tuple[Key, UUID, dt.datetime]] = []
    assert filters.latitude is not None and filters.longitude is not None, "only searches from a point come here"
    window, until = window_spans(request.at, length), request.at + length
    if after is None or after[0][0] < ONLINE_ONLY_KEY:
        in_person = msgspec.structs.replace(filters, part="in-person")
        cursor = None if after is None else (after[0][0], after[1])
        # 1.5x the page, to a power of two: each batch size is a statement of its own (its LIMIT is written
        # in), so they are kept few.
        batch = max(16, 1 << (request.limit * 3 // 2 - 1).bit_length())
        while len(found) < request.limit:
            spans = await queries.select_near_found(conn, in_person, window, cursor, batch)
            for row in spans:
                if row["id"] is None:
                    continue
                days = _wanted_days(row["days"], filters)
                start = next_occurrence(
                    days, row["start_time"], row["duration_minutes"], row["timezone"], request.at, until
                )
                if start is not None:
                    found.append(((row["chord"], 0.0), row["meeting_id"], start))
                    rows[row["meeting_id"]] = row
                    if len(found) == request.limit:
                        break  # the rest of the batch is farther: no need to check it
            if len(spans) < batch:
                break
            cursor, batch = (spans[-1]["chord"], spans[-1]["meeting_id"]), min(batch * 4, MOST_SPANS)
        found, after = found[: request.limit], None
    if len(found) < request.limit:
        online = msgspec.structs.replace(filters, part="online-only")
        rest = msgspec.structs.replace(request, after=after)
        found += await _timed(conn, rest, online, length, request.limit - len(found))
    return found
