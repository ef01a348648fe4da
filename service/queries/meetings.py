"""Meetings: read, write, and search by place and start."""

import datetime as dt
import zoneinfo
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from schemas.meetings import (
    Contact,
    Meeting,
    MeetingFields,
    MeetingOnline,
    MeetingPatch,
    MeetingPlace,
    MeetingResult,
    MeetingSource,
)
from service.curation.anonymity import first_name_and_initial
from service.errors import InvalidInput
from service.queries.places import ADDRESS, LOCATION_COLUMNS, at_location
from service.queries.resources import row_count
from service.search.geo import check_timezone, timezone_at
from service.search.weekly import clock_of, duration_minutes, end_time_of, status_of, week_spans

# The meeting's own columns and its location's, as every read shows them.
COLUMNS = (
    """
    m.id, m.source, m.slug, m.name, m.days, m.start_time, m.duration_minutes, m.timezone, m.location_id,
    m.location_name, m.location_notes, m.address_1, m.city, m.state_province, m.postal_code, m.country,
    m.formatted_address, m.latitude, m.longitude, m.approximate, m.conference_url, m.conference_url_notes,
    m.conference_phone, m.conference_phone_notes, m.types, m.other_types, m.languages, m.fellowship,
    m.group_name, m.notes, m.regions, m.contacts::text AS contacts, m.url, m.updated, m.created_at, m.updated_at,
"""
    + LOCATION_COLUMNS
)

SELECT_MEETING = f"""
    SELECT {COLUMNS}
      FROM meetings m LEFT JOIN locations l ON l.id = m.location_id
     WHERE m.id = $1 AND m.deleted_at IS NULL
"""


async def select_meeting(conn: asyncpg.Connection, meeting_id: UUID, exact: bool = False) -> Meeting | None:
    """One meeting (exact: the real place of a confidential location)."""
    row = await conn.fetchrow(SELECT_MEETING, meeting_id)
    return None if row is None else Meeting(**_document(row, exact))


# Held until the transaction ends, so the If-Match checked next stays true until the change is written.
LOCK_MEETING = "SELECT id FROM meetings WHERE id = $1 AND deleted_at IS NULL FOR UPDATE"


async def lock_meeting(conn: asyncpg.Connection, meeting_id: UUID) -> None:
    """Lock a live meeting's row for this transaction (nothing when there is none: the read after says 404)."""
    await conn.execute(LOCK_MEETING, meeting_id)


def _document(row: asyncpg.Record, exact: bool) -> dict[str, Any]:
    """A meeting's fields as the API shows them (built as Structs: the row's types are already right), from its
    row and its location's."""
    start: dt.time = row["start_time"]
    place = None
    if row["location_id"] is not None:
        place = MeetingPlace(**at_location(row, exact), notes=row["location_notes"], formatted_address=None)
    elif (
        row["latitude"] is not None
        or row["address_1"] is not None
        or row["city"] is not None
        or row["formatted_address"] is not None
        or row["location_name"] is not None
    ):
        place = MeetingPlace(
            location_id=None,
            name=row["location_name"],
            notes=row["location_notes"],
            **{c: row[c] for c in ADDRESS},
            formatted_address=row["formatted_address"],
            latitude=row["latitude"],
            longitude=row["longitude"],
            approximate=row["approximate"],
        )
    online_columns = ("conference_url", "conference_url_notes", "conference_phone", "conference_phone_notes")
    online = (
        MeetingOnline(**{c: row[c] for c in online_columns})
        if row["conference_url"] or row["conference_phone"]
        else None
    )
    return {
        **{c: row[c] for c in ("id", "source", "slug", "name", "duration_minutes", "timezone", "fellowship")},
        "days": list(row["days"]),
        "start_time": clock_of(start),
        "end_time": end_time_of(start, row["duration_minutes"]),
        "place": place,
        "online": online,
        **{c: list(row[c]) for c in ("types", "other_types", "languages", "regions")},
        "group": row["group_name"],
        "notes": row["notes"],
        "contacts": _CONTACTS.decode(row["contacts"]),
        **{c: row[c] for c in ("url", "updated", "created_at", "updated_at")},
    }


_CONTACTS = msgspec.json.Decoder(list[Contact])


SELECT_LOCATION_ZONE = "SELECT timezone FROM locations WHERE id = $1 AND deleted_at IS NULL"


async def _columns(conn: asyncpg.Connection, new: MeetingFields, source: str | None) -> list[Any]:
    """The values of a meeting's columns, in INSERT order (its week spans last): time zone resolved, names cut."""
    zone = new.timezone
    check_timezone(zone, "timezone")
    if new.location_id is not None:
        found = await conn.fetchrow(SELECT_LOCATION_ZONE, new.location_id)
        if found is None:
            raise InvalidInput("location_id", f"no location has id {new.location_id}", "body")
        zone = zone or found["timezone"]
    if zone is None and new.latitude is not None and new.longitude is not None:
        zone = timezone_at(new.latitude, new.longitude)
    if zone is None:
        raise InvalidInput("timezone", "needed when the meeting has no coordinates or a location with one", "body")
    start = dt.time.fromisoformat(new.start_time)
    minutes = duration_minutes(start, new.end_time, new.duration_minutes)
    days = sorted(set(new.days))
    address = new.address
    languages = (
        set(new.languages) | {"es" for t in new.types if t == "spanish"} | {"ase" for t in new.types if t == "asl"}
    )
    contacts = [{"name": first_name_and_initial(c.name), "email": c.email, "phone": c.phone} for c in new.contacts]
    return [
        source,
        new.slug,
        new.name.strip(),
        days,
        start,
        minutes,
        zone,
        new.location_id,
        new.location_name,
        new.location_notes,
        *(
            [address.address_1, address.city, address.state_province, address.postal_code, address.country]
            if address is not None
            else [None] * 5
        ),
        new.formatted_address,
        new.latitude,
        new.longitude,
        new.approximate,
        new.conference_url,
        new.conference_url_notes,
        new.conference_phone,
        new.conference_phone_notes,
        sorted(set(new.types)),
        list(dict.fromkeys(new.other_types)),
        sorted(languages),
        new.fellowship,
        new.group,
        new.notes,
        new.regions,
        msgspec.json.encode(contacts).decode(),
        new.url,
        new.updated,
        _ranges(week_spans(days, start, minutes, zone)),
    ]


WRITTEN = """
    source, slug, name, days, start_time, duration_minutes, timezone, location_id, location_name, location_notes,
    address_1, city, state_province, postal_code, country, formatted_address, latitude, longitude, approximate,
    conference_url, conference_url_notes, conference_phone, conference_phone_notes, types, other_types, languages,
    fellowship, group_name, notes, regions, contacts, url, updated
"""
_VALUES = ", ".join(f"${n}" for n in range(1, 31)) + ", $31::jsonb, $32, $33"
# The spans are written after the row, whose trigger has set the public point they carry.
_WRITE_SPANS = """
    spans AS (DELETE FROM meeting_spans WHERE meeting_id = (SELECT id FROM written)),
    laid AS (INSERT INTO meeting_spans (meeting_id, span, geo)
             SELECT w.id, s.span, w.geo FROM written w CROSS JOIN unnest($34::int4range[]) s(span))
"""

INSERT_MEETING = f"""
    WITH written AS (INSERT INTO meetings ({WRITTEN}) VALUES ({_VALUES}) RETURNING id, geo),
    {_WRITE_SPANS}
    SELECT id FROM written
"""


async def insert_meeting(conn: asyncpg.Connection, new: MeetingFields, source: str | None = None) -> UUID:
    """Store a new meeting and its week spans; 409 when its slug is taken (in its source)."""
    meeting_id: UUID = await conn.fetchval(INSERT_MEETING, *await _columns(conn, new, source))
    return meeting_id


# A write that changes nothing is not written: no change-feed entry, no webhook, no new ETag.
UPDATE_MEETING = f"""
    WITH written AS (
        UPDATE meetings SET ({WRITTEN}) = ({_VALUES})
         WHERE id = $35 AND deleted_at IS NULL AND ({WRITTEN}) IS DISTINCT FROM ({_VALUES})
        RETURNING id, geo
    ),
    {_WRITE_SPANS}
    SELECT id FROM written
"""


async def update_meeting(conn: asyncpg.Connection, meeting_id: UUID, new: MeetingFields, source: str | None) -> bool:
    """Replace a meeting's fields and spans; False when nothing changed (or there is no such meeting)."""
    return await conn.fetchval(UPDATE_MEETING, *await _columns(conn, new, source), meeting_id) is not None


SELECT_SOURCE_MEETINGS = f"""
    SELECT {COLUMNS}
      FROM meetings m LEFT JOIN locations l ON l.id = m.location_id
     WHERE m.deleted_at IS NULL AND m.source = $1
     ORDER BY m.slug
       FOR UPDATE OF m
"""


async def select_source_meetings(conn: asyncpg.Connection, source: str) -> dict[str, Meeting]:
    """A source's live meetings by slug, exactly as stored, locked for the import that reads them."""
    rows = await conn.fetch(SELECT_SOURCE_MEETINGS, source)
    return {row["slug"]: Meeting(**_document(row, True)) for row in rows}


SELECT_ALL_MEETINGS = f"""
    SELECT {COLUMNS}
      FROM meetings m LEFT JOIN locations l ON l.id = m.location_id
     WHERE m.deleted_at IS NULL
     ORDER BY m.source NULLS FIRST, m.slug, m.id
"""


async def select_all_meetings(conn: asyncpg.Connection) -> list[Meeting]:
    """Every live meeting as the public sees it (no street of a confidential location), for exports."""
    return [Meeting(**_document(row, False)) for row in await conn.fetch(SELECT_ALL_MEETINGS)]


DELETE_SOURCE_MEETINGS = """
    UPDATE meetings SET deleted_at = now()
     WHERE source = $1 AND deleted_at IS NULL AND NOT slug = any($2::text[])
    RETURNING id
"""


async def delete_dropped_meetings(conn: asyncpg.Connection, source: str, kept: list[str]) -> int:
    """Mark deleted the source's meetings its feed no longer lists; how many."""
    return len(await conn.fetch(DELETE_SOURCE_MEETINGS, source, kept))


PUT_SOURCE = """
    INSERT INTO meeting_sources (name, feed_url) VALUES ($1, $2)
    ON CONFLICT (name) DO UPDATE SET feed_url = excluded.feed_url
    RETURNING name, feed_url, created_at, imported_at
"""


async def upsert_source(conn: asyncpg.Connection, name: str, feed_url: str | None) -> MeetingSource:
    """Register a source of meetings, or change its feed URL."""
    row = await conn.fetchrow(PUT_SOURCE, name, feed_url)
    assert row is not None, "an upsert with RETURNING returns its row"
    return msgspec.convert(dict(row), MeetingSource)


SELECT_SOURCES = """
    SELECT name, feed_url, created_at, imported_at FROM meeting_sources
     WHERE $1::text IS NULL OR name = $1
     ORDER BY name
"""


async def select_sources(conn: asyncpg.Connection, name: str | None = None) -> list[MeetingSource]:
    """The registered sources of meetings (or the one named)."""
    rows = await conn.fetch(SELECT_SOURCES, name)
    return [msgspec.convert(dict(row), MeetingSource) for row in rows]


UPSERT_SOURCE = """
    INSERT INTO meeting_sources (name, imported_at) VALUES ($1, now())
    ON CONFLICT (name) DO UPDATE SET imported_at = now()
"""


async def record_source(conn: asyncpg.Connection, source: str) -> None:
    """Note when a source of meetings was last imported."""
    await conn.execute(UPSERT_SOURCE, source)


def patched(current: Meeting, patch: MeetingPatch) -> MeetingFields:
    """The fields a meeting has once a patch is applied, checked as a whole again."""
    fields = fields_of(current)
    given, values = patch.changes()
    for name in given:
        fields[name] = values[name]
    if "end_time" in given:
        fields.pop("duration_minutes", None)
    elif "duration_minutes" in given:
        fields.pop("end_time", None)
    if "location_id" in given and values["location_id"] is not None:
        for name in {"address", "latitude", "longitude"} - set(given):
            fields.pop(name, None)
    try:
        return msgspec.convert(msgspec.to_builtins(fields), MeetingFields)
    except msgspec.ValidationError as error:
        raise InvalidInput("body", str(error), "body") from None


def fields_of(meeting: Meeting) -> dict[str, Any]:
    """A stored meeting back in its input shape (the exact place: callers read it with exact=True)."""
    fields: dict[str, Any] = {
        "name": meeting.name,
        "slug": meeting.slug,
        "days": meeting.days,
        "start_time": meeting.start_time,
        "duration_minutes": meeting.duration_minutes,
        "timezone": meeting.timezone,
        "types": meeting.types,
        "other_types": meeting.other_types,
        "languages": meeting.languages,
        "fellowship": meeting.fellowship,
        "group": meeting.group,
        "notes": meeting.notes,
        "regions": meeting.regions,
        "contacts": [msgspec.to_builtins(c) for c in meeting.contacts],
        "url": meeting.url,
        "updated": meeting.updated,
    }
    if (place := meeting.place) is not None:
        fields.update(location_name=place.name, location_notes=place.notes)
        if place.location_id is not None:
            fields["location_id"] = place.location_id
        else:
            fields.update(formatted_address=place.formatted_address, approximate=place.approximate)
            if place.latitude is not None:
                fields.update(latitude=place.latitude, longitude=place.longitude)
            if place.address_1 is not None or place.city is not None:
                fields["address"] = {
                    "address_1": place.address_1,
                    "city": place.city,
                    "state_province": place.state_province,
                    "postal_code": place.postal_code,
                    "country": place.country,
                }
    if (online := meeting.online) is not None:
        fields.update(msgspec.to_builtins(online))
    return {name: value for name, value in fields.items() if value is not None}


DELETE_MEETING = "UPDATE meetings SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING id"


async def delete_meeting(conn: asyncpg.Connection, meeting_id: UUID) -> bool:
    """Mark a meeting deleted: it leaves search and the change feed says so; id and history remain."""
    return await conn.fetchval(DELETE_MEETING, meeting_id) is not None


class MeetingFilters(msgspec.Struct, frozen=True, kw_only=True):
    """What a meeting search keeps, as its SQL takes it; part: "in-person", "online-only" or None for both."""

    latitude: float | None
    longitude: float | None
    days: list[int] | None
    time_from: dt.time | None
    time_to: dt.time | None
    types: list[str] | None
    online: bool | None
    languages: list[str] | None
    part: str | None = None


# In person: a place that is not only the approximate origin of an online meeting (Meeting Guide's rule).
_IN_PERSON = """(m.geo IS NOT NULL AND NOT (m.approximate AND m.location_id IS NULL
                                           AND (m.conference_url IS NOT NULL OR m.conference_phone IS NOT NULL)))"""
_ONLINE = "(m.conference_url IS NOT NULL OR m.conference_phone IS NOT NULL)"


def _where(filters: MeetingFilters, args: list[Any]) -> str:
    """The conditions of the filters given, each value a parameter appended to args ($1, $2 the origin). A
    statement per set of filters, not one with "$n IS NULL OR ..." branches: PostgreSQL then caches one plan
    per shape instead of planning every execution anew (the starting-soon walk: about 0.3 ms of 1.2)."""

    def param(value: object) -> str:
        args.append(value)
        return f"${len(args)}"

    where = ["m.deleted_at IS NULL"]
    if filters.days is not None:
        where.append(f"m.days && {param(filters.days)}::smallint[]")
    if filters.time_from is not None:
        start, end = param(filters.time_from), param(filters.time_to)
        where.append(
            f"CASE WHEN {start}::time <= {end}::time THEN m.start_time BETWEEN {start} AND {end}"
            f" ELSE m.start_time >= {start} OR m.start_time <= {end} END"
        )
    if filters.types is not None:
        where.append(f"m.types @> {param(filters.types)}::text[]")
    if filters.online is not None:
        where.append(_ONLINE if filters.online else _IN_PERSON)
    if filters.languages is not None:
        where.append(f"m.languages @> {param(filters.languages)}::text[]")
    if filters.part is not None:
        where.append(_IN_PERSON if filters.part == "in-person" else f"{_IN_PERSON} = false")
    return " AND ".join(where)


def _after(key: str, id_column: str, after: tuple[float, UUID] | None, args: list[Any]) -> str:
    """The condition of a page after the cursor's (chord, id), its values appended to args."""
    if after is None:
        return "true"
    args += after
    return f"({key}, {id_column}) > (${len(args) - 1}::float8, ${len(args)}::uuid)"


# The sort key of online-only meetings when distance orders the rest: after any chord (Earth's is 12,742 km),
# and finite, so a cursor can carry it in JSON.
ONLINE_ONLY_KEY = 1e30
# What the exact local-time check needs, and the distance key (a chord; ONLINE_ONLY_KEY for online-only ones).
_TIMING = f"""
    SELECT m.id, m.days, m.start_time, m.duration_minutes, m.timezone,
           CASE WHEN $1::float8 IS NULL THEN 0::float8 WHEN {_IN_PERSON} THEN m.geo <-> ll_to_earth($1, $2)
                ELSE {ONLINE_ONLY_KEY}::float8 END AS chord
      FROM meetings m
"""

# A result's distance on the ellipsoid from ($1, $2), for in-person meetings, at the public point of its place.
_DISTANCE = f"""CASE WHEN $1::float8 IS NOT NULL AND {_IN_PERSON}
                     THEN geodesic_m($1, $2, coalesce(public_coordinate(l.latitude, l.confidential), m.latitude),
                                     coalesce(public_coordinate(l.longitude, l.confidential), m.longitude)) END"""

# The GiST index of week spans answers "starts (or runs) in this window": a superset, checked exactly after.
SELECT_WINDOW_SPANS = """
    SELECT DISTINCT s.meeting_id FROM meeting_spans s WHERE s.span && int4multirange(VARIADIC $1::int4range[])
"""


async def select_timed(
    conn: asyncpg.Connection, filters: MeetingFilters, window: list[tuple[int, int]]
) -> list[asyncpg.Record]:
    """The meetings that may occur in a window of UTC week seconds, with what their exact check needs."""
    # Two statements: joined in one, the planner prefers hashing the whole meetings table to a few
    # thousand primary-key lookups.
    ids = [row["meeting_id"] for row in await conn.fetch(SELECT_WINDOW_SPANS, _ranges(window))]
    return await select_timing(conn, filters, ids)


# Nearest first among the spans in the window, by the (span, point) index: it walks only spans that
# overlap the window. A meeting has a span per day and offset, so it may come more than once. Every span
# of the batch comes back, for the cursor, with its meeting's whole row and distance as a result shows them,
# or NULLs where the filters do not keep it: one round trip for the page when the first batch fills it.
# LATERAL with LIMIT keeps the planner from hashing the whole meetings table for a batch of a few dozen keys.
SELECT_NEAR_FOUND = f"""
    SELECT n.meeting_id, n.chord, t.*
      FROM (SELECT DISTINCT ON (chord, s.meeting_id) s.meeting_id, s.geo <-> ll_to_earth($1, $2) AS chord
              FROM meeting_spans s
             WHERE s.geo IS NOT NULL AND s.span && int4multirange(VARIADIC $3::int4range[]) AND {{after}}
             ORDER BY chord, s.meeting_id
             LIMIT {{limit}}) n
      LEFT JOIN LATERAL (SELECT {COLUMNS}, {_DISTANCE} AS distance_m
                           FROM meetings m LEFT JOIN locations l ON l.id = m.location_id
                          WHERE m.id = n.meeting_id AND {{where}}
                          LIMIT 1) t ON true
     ORDER BY n.chord, n.meeting_id
"""


def near_found_statement(
    filters: MeetingFilters, window: list[tuple[int, int]], after: tuple[float, UUID] | None, limit: int
) -> tuple[str, list[Any]]:
    """SELECT_NEAR_FOUND for these filters, window, cursor and batch size, and its parameters."""
    args: list[Any] = [filters.latitude, filters.longitude, _ranges(window)]
    after_sql = _after("s.geo <-> ll_to_earth($1, $2)", "s.meeting_id", after, args)
    return SELECT_NEAR_FOUND.format(after=after_sql, where=_where(filters, args), limit=row_count(limit)), args


async def select_near_found(
    conn: asyncpg.Connection,
    filters: MeetingFilters,
    window: list[tuple[int, int]],
    after: tuple[float, UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    """Meeting ids with a span in the window, nearest first after (chord, id), up to limit, each with its row for
    select_results (id: NULL when the filters drop it)."""
    sql, args = near_found_statement(filters, window, after, limit)
    return await conn.fetch(sql, *args)


SELECT_TIMING = _TIMING + " WHERE m.id = any($3::uuid[]) AND {where}"


async def select_timing(conn: asyncpg.Connection, filters: MeetingFilters, ids: list[UUID]) -> list[asyncpg.Record]:
    """Of these meetings, those the filters keep, with what their exact check needs."""
    args: list[Any] = [filters.latitude, filters.longitude, ids]
    return await conn.fetch(SELECT_TIMING.format(where=_where(filters, args)), *args)


def _ranges(window: list[tuple[int, int]]) -> list[asyncpg.Range[int]]:
    return [asyncpg.Range(lower, upper) for lower, upper in window]


# In person, nearest first by the geo index, after the cursor's (chord, id).
SELECT_NEAREST = (
    _TIMING
    + f"""
     WHERE {_IN_PERSON} AND {{where}} AND {{after}}
     ORDER BY m.geo <-> ll_to_earth($1, $2), m.id
     LIMIT {{limit}}
"""
)


async def select_nearest(
    conn: asyncpg.Connection, filters: MeetingFilters, after: tuple[float, UUID] | None, limit: int
) -> list[asyncpg.Record]:
    """The nearest in-person meetings the filters keep, after a cursor."""
    args: list[Any] = [filters.latitude, filters.longitude]
    where = _where(filters, args)
    after_sql = _after("m.geo <-> ll_to_earth($1, $2)", "m.id", after, args)
    return await conn.fetch(SELECT_NEAREST.format(where=where, after=after_sql, limit=row_count(limit)), *args)


SELECT_FOUND = f"""
    SELECT {COLUMNS}, {_DISTANCE} AS distance_m
      FROM meetings m LEFT JOIN locations l ON l.id = m.location_id
     WHERE m.id = any($3::uuid[])
"""


async def select_results(
    conn: asyncpg.Connection,
    picked: list[tuple[UUID, dt.datetime]],
    filters: MeetingFilters,
    at: dt.datetime,
    exact: bool = False,
    rows: dict[UUID, asyncpg.Record] | None = None,
) -> dict[UUID, MeetingResult]:
    """The meetings picked (those still there), each with the occurrence found for it and how that reads at `at`;
    rows already read with their distance (select_near_found) are not read again."""
    starts, ready = dict(picked), rows or {}
    missing = [meeting_id for meeting_id in starts if meeting_id not in ready]
    if missing:
        ready = {
            **ready,
            **{r["id"]: r for r in await conn.fetch(SELECT_FOUND, filters.latitude, filters.longitude, missing)},
        }
    return {
        meeting_id: _result(ready[meeting_id], start, at, exact)
        for meeting_id, start in starts.items()
        if meeting_id in ready
    }


def _result(row: asyncpg.Record, next_start: dt.datetime, at: dt.datetime, exact: bool) -> MeetingResult:
    """A meeting as a search result: its next start in its own time and how that reads."""
    zone = zoneinfo.ZoneInfo(row["timezone"])
    start = next_start.astimezone(zone)
    end = (next_start + dt.timedelta(minutes=row["duration_minutes"])).astimezone(zone)
    in_progress, starts_in, started_ago, status = status_of(start, end, at)
    return MeetingResult(
        **_document(row, exact),
        distance_m=row["distance_m"],
        next_start=start,
        next_end=end,
        in_progress=in_progress,
        starts_in_minutes=starts_in,
        started_minutes_ago=started_ago,
        status=status,
    )
