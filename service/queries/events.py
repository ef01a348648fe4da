"""Events: read, write, their stored occurrences, and search of those by window and place."""

import datetime as dt
import zoneinfo
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from schemas.events import Event, EventFields, EventPatch, Occurrence
from service.errors import InvalidInput
from service.queries.places import ADDRESS, LOCATION_COLUMNS, at_location
from service.search.geo import check_timezone, timezone_at
from service.search.recurrence import RecurrenceError, Timing, occurrences, parse_rule
from service.search.weekly import clock_of, end_time_of

# Occurrences are stored from this long before a write (a search of the recent past still answers) ...
STORED_BEFORE = dt.timedelta(days=31)
# ... to this long after it; a search past the horizon extends it (extend_horizon) before it reads.
HORIZON = dt.timedelta(days=800)

COLUMNS = (
    """
    e.id, e.title, e.description, e.service_id, e.location_id, e.location_name, e.address_1, e.city,
    e.state_province, e.postal_code, e.country, e.latitude, e.longitude, e.online_url, e.online_notes,
    e.starts_at, e.ends_at, e.start_date, e.start_time, e.duration_minutes, e.timezone, e.recurrence, e.exdates,
    e.dates, e.capacity, e.registration_url, e.free, e.fee, e.languages, e.attributes, e.genders, e.minimum_age,
    e.maximum_age, e.created_at, e.updated_at,
"""
    + LOCATION_COLUMNS
)

SELECT_EVENT = f"""
    SELECT {COLUMNS}
      FROM events e LEFT JOIN locations l ON l.id = e.location_id
     WHERE e.id = $1 AND e.deleted_at IS NULL
"""


async def select_event(conn: asyncpg.Connection, event_id: UUID, exact: bool = False) -> Event | None:
    """One event (exact: the real place of a confidential location)."""
    row = await conn.fetchrow(SELECT_EVENT, event_id)
    return None if row is None else msgspec.convert(_document(row, exact), Event)


# Held until the transaction ends, so the If-Match checked next stays true until the change is written.
LOCK_EVENT = "SELECT id FROM events WHERE id = $1 AND deleted_at IS NULL FOR UPDATE"


async def lock_event(conn: asyncpg.Connection, event_id: UUID) -> None:
    """Lock a live event's row for this transaction (nothing when there is none: the read after says 404)."""
    await conn.execute(LOCK_EVENT, event_id)


def _document(row: asyncpg.Record, exact: bool) -> dict[str, Any]:
    """An event as the API shows it, from its row and its location's."""
    zone = zoneinfo.ZoneInfo(row["timezone"])
    place = None
    if row["location_id"] is not None:
        place = at_location(row, exact)
    elif any(row[c] is not None for c in ("latitude", "address_1", "city", "location_name")):
        place = {
            "location_id": None,
            "name": row["location_name"],
            **{c: row[c] for c in ADDRESS},
            "latitude": row["latitude"],
            "longitude": row["longitude"],
            "approximate": False,
        }
    start: dt.time | None = row["start_time"]
    return {
        **{c: row[c] for c in ("id", "title", "description", "service_id", "online_url", "online_notes")},
        "place": place,
        "starts_at": None if row["starts_at"] is None else row["starts_at"].astimezone(zone),
        "ends_at": None if row["ends_at"] is None else row["ends_at"].astimezone(zone),
        "start_date": row["start_date"],
        "start_time": None if start is None else clock_of(start),
        "end_time": None if start is None else end_time_of(start, row["duration_minutes"]),
        **{c: row[c] for c in ("duration_minutes", "timezone", "recurrence", "capacity", "registration_url")},
        **{c: sorted(row[c]) for c in ("exdates", "dates")},
        **{c: list(row[c]) for c in ("languages", "attributes", "genders")},
        **{c: row[c] for c in ("free", "fee", "minimum_age", "maximum_age", "created_at", "updated_at")},
    }


SELECT_LOCATION_ZONE = "SELECT timezone FROM locations WHERE id = $1 AND deleted_at IS NULL"
SELECT_SERVICE = "SELECT id FROM services WHERE id = $1 AND deleted_at IS NULL"
SELECT_UNKNOWN_ATTRIBUTES = "SELECT a FROM unnest($1::text[]) a WHERE a NOT IN (SELECT slug FROM attributes)"


async def _columns(conn: asyncpg.Connection, new: EventFields) -> tuple[list[Any], Timing]:
    """The values of an event's columns in WRITTEN order, checked, and its timing to expand."""
    zone = new.timezone
    check_timezone(zone, "timezone")
    if new.service_id is not None and await conn.fetchval(SELECT_SERVICE, new.service_id) is None:
        raise InvalidInput("service_id", f"no service has id {new.service_id}", "body")
    if new.location_id is not None:
        found = await conn.fetchrow(SELECT_LOCATION_ZONE, new.location_id)
        if found is None:
            raise InvalidInput("location_id", f"no location has id {new.location_id}", "body")
        zone = zone or found["timezone"]
    if zone is None and new.latitude is not None and new.longitude is not None:
        zone = timezone_at(new.latitude, new.longitude)
    if zone is None:
        raise InvalidInput("timezone", "needed when the event has no coordinates or a location with one", "body")
    if unknown := [r["a"] for r in await conn.fetch(SELECT_UNKNOWN_ATTRIBUTES, sorted(set(new.attributes)))]:
        raise InvalidInput("attributes", f"unknown attribute {unknown[0]!r}; see GET /v1/attributes", "body")
    recurrence = None
    if new.recurrence is not None:
        try:
            parse_rule(new.recurrence)
        except RecurrenceError as error:
            raise InvalidInput("recurrence", str(error), "body") from None
        recurrence = new.recurrence.strip().removeprefix("RRULE:").upper()
    start = None if new.start_time is None else dt.time.fromisoformat(new.start_time)
    if new.starts_at is not None and new.ends_at is not None:
        minutes = max(1, round((new.ends_at - new.starts_at).total_seconds() / 60))
    else:
        assert start is not None and new.end_time is not None, "EventFields checks a local timing is whole"
        end = dt.time.fromisoformat(new.end_time)
        minutes = (end.hour * 60 + end.minute - start.hour * 60 - start.minute) % 1440 or 1440
    timing = Timing(
        timezone=zone,
        starts_at=new.starts_at,
        ends_at=new.ends_at,
        start_date=new.start_date,
        start_time=start,
        duration_minutes=minutes,
        recurrence=recurrence,
        exdates=tuple(sorted(set(new.exdates))),
        dates=tuple(sorted(set(new.dates))),
    )
    address = new.address
    values = [
        new.title.strip(),
        new.description,
        new.service_id,
        new.location_id,
        new.location_name,
        *(
            [address.address_1, address.city, address.state_province, address.postal_code, address.country]
            if address is not None
            else [None] * 5
        ),
        new.latitude,
        new.longitude,
        new.online_url,
        new.online_notes,
        new.starts_at,
        new.ends_at,
        new.start_date,
        start,
        minutes,
        zone,
        recurrence,
        list(timing.exdates),
        list(timing.dates),
        new.capacity,
        new.registration_url,
        new.free,
        new.fee,
        sorted(set(new.languages)),
        sorted(set(new.attributes)),
        sorted(set(new.genders)),
        new.minimum_age,
        new.maximum_age,
    ]
    return values, timing


WRITTEN = """
    title, description, service_id, location_id, location_name, address_1, city, state_province, postal_code,
    country, latitude, longitude, online_url, online_notes, starts_at, ends_at, start_date, start_time,
    duration_minutes, timezone, recurrence, exdates, dates, capacity, registration_url, free, fee, languages,
    attributes, genders, minimum_age, maximum_age
"""
_VALUES = ", ".join(f"${n}" for n in range(1, 33))

INSERT_EVENT = f"INSERT INTO events ({WRITTEN}) VALUES ({_VALUES}) RETURNING id"


async def insert_event(conn: asyncpg.Connection, new: EventFields) -> UUID:
    """Store a new event and its occurrences to the horizon."""
    values, timing = await _columns(conn, new)
    async with conn.transaction():
        event_id: UUID = await conn.fetchval(INSERT_EVENT, *values)
        await write_occurrences(conn, event_id, timing, dt.datetime.now(dt.UTC) + HORIZON)
    return event_id


# A write that changes nothing is not written: no change-feed entry, no webhook, no new ETag.
UPDATE_EVENT = f"""
    UPDATE events SET ({WRITTEN}) = ({_VALUES})
     WHERE id = $33 AND deleted_at IS NULL AND ({WRITTEN}) IS DISTINCT FROM ({_VALUES})
    RETURNING id
"""


async def update_event(conn: asyncpg.Connection, event_id: UUID, new: EventFields) -> bool:
    """Replace an event's fields and occurrences; False when nothing changed (or there is no such event)."""
    values, timing = await _columns(conn, new)
    async with conn.transaction():
        if await conn.fetchval(UPDATE_EVENT, *values, event_id) is None:
            return False
        await write_occurrences(conn, event_id, timing, dt.datetime.now(dt.UTC) + HORIZON)
    return True


DELETE_OCCURRENCES = "DELETE FROM event_occurrences WHERE event_id = $1"
INSERT_OCCURRENCES = """
    INSERT INTO event_occurrences (event_id, starts_at, ends_at, geo)
    SELECT $1, o.starts_at, o.ends_at, (SELECT geo FROM events WHERE id = $1)
      FROM unnest($2::timestamptz[], $3::timestamptz[]) o(starts_at, ends_at)
"""
SET_EXPANDED = """
    INSERT INTO event_expansions (event_id, expanded_until) VALUES ($1, $2)
    ON CONFLICT (event_id) DO UPDATE SET expanded_until = excluded.expanded_until
"""


async def write_occurrences(conn: asyncpg.Connection, event_id: UUID, timing: Timing, until: dt.datetime) -> None:
    """Replace an event's stored occurrences by those from a little before now to `until`."""
    found = occurrences(timing, dt.datetime.now(dt.UTC) - STORED_BEFORE, until)
    await conn.execute(DELETE_OCCURRENCES, event_id)
    await conn.execute(INSERT_OCCURRENCES, event_id, [s for s, _ in found], [e for _, e in found])
    # An event with no more occurrences after `until` is expanded for ever.
    bounded = timing.recurrence is None or not occurrences(timing, until, until + dt.timedelta(days=3660))
    await conn.execute(SET_EXPANDED, event_id, dt.datetime.max.replace(tzinfo=dt.UTC) if bounded else until)


# Events whose stored occurrences end before the horizon a search needs, locked so two searches extend once.
SELECT_SHORT = """
    SELECT e.id, e.starts_at, e.ends_at, e.start_date, e.start_time, e.duration_minutes, e.timezone, e.recurrence,
           e.exdates, e.dates
      FROM event_expansions x JOIN events e ON e.id = x.event_id
     WHERE x.expanded_until < $1 AND e.deleted_at IS NULL
       FOR UPDATE OF x SKIP LOCKED
"""


async def extend_horizon(conn: asyncpg.Connection, until: dt.datetime) -> int:
    """Store occurrences to `until` + HORIZON for the events stored short of `until`; how many events."""
    async with conn.transaction():
        rows = await conn.fetch(SELECT_SHORT, until)
        for row in rows:
            timing = Timing(
                timezone=row["timezone"],
                starts_at=row["starts_at"],
                ends_at=row["ends_at"],
                start_date=row["start_date"],
                start_time=row["start_time"],
                duration_minutes=row["duration_minutes"],
                recurrence=row["recurrence"],
                exdates=tuple(row["exdates"]),
                dates=tuple(row["dates"]),
            )
            await write_occurrences(conn, row["id"], timing, until + HORIZON)
    return len(rows)


SELECT_OWN_NAME = "SELECT location_name FROM events WHERE id = $1"


async def select_own_name(conn: asyncpg.Connection, event_id: UUID) -> str | None:
    """The place name the event itself gives (its place shows its location's name when it gives none)."""
    name: str | None = await conn.fetchval(SELECT_OWN_NAME, event_id)
    return name


def patched(current: Event, patch: EventPatch, own_name: str | None) -> EventFields:
    """The fields an event has once a patch is applied, checked as a whole again."""
    fields = fields_of(current)
    # Not the location's name shown in its place: copied into the event, it would stop following the location.
    fields.pop("location_name", None)
    if own_name is not None:
        fields["location_name"] = own_name
    given, values = patch.changes()
    for name in given:
        fields[name] = values[name]
    # A patch that switches between a one-off and a local timing leaves the other kind out.
    if {"starts_at", "ends_at"} & set(given) and values["starts_at"] is not None:
        for name in {"start_date", "start_time", "end_time", "recurrence", "dates", "exdates"} - set(given):
            fields.pop(name, None)
    if {"start_time", "end_time"} & set(given) and values["start_time"] is not None:
        for name in {"starts_at", "ends_at"} - set(given):
            fields.pop(name, None)
    if "recurrence" in given and values["recurrence"] is not None and "dates" not in given:
        fields.pop("dates", None)
    if "dates" in given and values["dates"] and "recurrence" not in given:
        for name in {"recurrence", "start_date", "exdates"} - set(given):
            fields.pop(name, None)
    if "location_id" in given and values["location_id"] is not None:
        for name in {"address", "latitude", "longitude"} - set(given):
            fields.pop(name, None)
    try:
        return msgspec.convert(msgspec.to_builtins(fields), EventFields)
    except msgspec.ValidationError as error:
        raise InvalidInput("body", str(error), "body") from None


def fields_of(event: Event) -> dict[str, Any]:
    """A stored event back in its input shape (the exact place: callers read it with exact=True)."""
    fields: dict[str, Any] = {
        name: getattr(event, name)
        for name in (
            "title",
            "description",
            "service_id",
            "online_url",
            "online_notes",
            "starts_at",
            "ends_at",
            "start_date",
            "start_time",
            "end_time",
            "timezone",
            "recurrence",
            "exdates",
            "dates",
            "capacity",
            "registration_url",
            "free",
            "fee",
            "languages",
            "attributes",
            "genders",
            "minimum_age",
            "maximum_age",
        )
    }
    if (place := event.place) is not None:
        fields["location_name"] = place.name
        if place.location_id is not None:
            fields["location_id"] = place.location_id
        else:
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
    return {name: value for name, value in fields.items() if value is not None and value != []}


DELETE_EVENT = "UPDATE events SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING id"


async def delete_event(conn: asyncpg.Connection, event_id: UUID) -> bool:
    """Mark an event deleted and drop its occurrences: it leaves search; id and history remain."""
    async with conn.transaction():
        if await conn.fetchval(DELETE_EVENT, event_id) is None:
            return False
        await conn.execute(DELETE_OCCURRENCES, event_id)
    return True


class OccurrenceFilters(msgspec.Struct, frozen=True, kw_only=True):
    """What an occurrence search keeps, as its SQL takes it."""

    latitude: float | None
    longitude: float | None
    since: dt.datetime
    until: dt.datetime
    radius_m: float | None
    category: str | None
    languages: list[str] | None
    online: bool | None


# The sort key of placeless occurrences when distance orders the rest: after any chord, and finite for cursors.
PLACELESS_KEY = 1e30
# $1 latitude, $2 longitude, $3 since, $4 until, $5 radius (m), $6 category, $7 languages, $8 online;
# the cursor from $9, the limit last. The window is the index range of event_occurrences_start.
_OCCURRENCES = f"""
    SELECT o.event_id, o.starts_at, o.ends_at,
           CASE WHEN $1::float8 IS NULL THEN 0::float8 WHEN o.geo IS NULL THEN {PLACELESS_KEY}::float8
                ELSE o.geo <-> ll_to_earth($1, $2) END AS chord
      FROM event_occurrences o JOIN events e ON e.id = o.event_id
     WHERE o.starts_at >= $3 AND o.starts_at < $4 AND e.deleted_at IS NULL
       AND ($5::float8 IS NULL OR (o.geo IS NOT NULL AND o.geo <@ earth_box(ll_to_earth($1, $2), $5)
                                   AND earth_distance(o.geo, ll_to_earth($1, $2)) <= $5))
       AND ($6::text IS NULL OR EXISTS (SELECT 1 FROM service_categories c
                                         WHERE c.service_id = e.service_id AND c.category_slug = $6))
       AND ($7::text[] IS NULL OR e.languages && $7)
       AND ($8::boolean IS NULL OR $8 = (e.online_url IS NOT NULL))
"""

SELECT_BY_START = (
    _OCCURRENCES
    + """
       AND ($9::timestamptz IS NULL OR (o.starts_at, CASE WHEN $1::float8 IS NULL THEN 0::float8
            WHEN o.geo IS NULL THEN 1e30::float8 ELSE o.geo <-> ll_to_earth($1, $2) END, o.event_id)
            > ($9, $10::float8, $11::uuid))
     ORDER BY o.starts_at, chord, o.event_id
     LIMIT $12
"""
)
SELECT_BY_DISTANCE = (
    _OCCURRENCES
    + """
       AND ($9::timestamptz IS NULL OR (CASE WHEN o.geo IS NULL THEN 1e30::float8
            ELSE o.geo <-> ll_to_earth($1, $2) END, o.starts_at, o.event_id) > ($10::float8, $9, $11::uuid))
     ORDER BY chord, o.starts_at, o.event_id
     LIMIT $12
"""
)


async def select_occurrences(
    conn: asyncpg.Connection,
    filters: OccurrenceFilters,
    by_distance: bool,
    after: tuple[dt.datetime, float, UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    """Occurrences in the window the filters keep, in page order after (start, chord, event id)."""
    start, chord, last_id = after or (None, None, None)
    return await conn.fetch(
        SELECT_BY_DISTANCE if by_distance else SELECT_BY_START,
        filters.latitude,
        filters.longitude,
        filters.since,
        filters.until,
        filters.radius_m,
        filters.category,
        filters.languages,
        filters.online,
        start,
        chord,
        last_id,
        limit,
    )


SELECT_FOUND = f"""
    SELECT {COLUMNS},
           CASE WHEN $2::float8 IS NOT NULL AND e.geo IS NOT NULL
                THEN geodesic_m($2, $3, coalesce(public_coordinate(l.latitude, l.confidential), e.latitude),
                                coalesce(public_coordinate(l.longitude, l.confidential), e.longitude)) END AS distance_m
      FROM events e LEFT JOIN locations l ON l.id = e.location_id
     WHERE e.id = any($1::uuid[])
"""


async def select_found(
    conn: asyncpg.Connection, rows: list[asyncpg.Record], filters: OccurrenceFilters, exact: bool
) -> list[Occurrence]:
    """The occurrences picked, each with its event, start and end in the event's local offset."""
    found = {
        row["id"]: row
        for row in await conn.fetch(
            SELECT_FOUND, list({r["event_id"] for r in rows}), filters.latitude, filters.longitude
        )
    }
    items = []
    for row in rows:
        if (event := found.get(row["event_id"])) is None:
            continue
        zone = zoneinfo.ZoneInfo(event["timezone"])
        items.append(
            msgspec.convert(
                {
                    "starts_at": row["starts_at"].astimezone(zone),
                    "ends_at": row["ends_at"].astimezone(zone),
                    "distance_m": event["distance_m"],
                    "event": _document(event, exact),
                },
                Occurrence,
            )
        )
    return items
