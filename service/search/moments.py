"""The fields of a result that depend on the moment asked about, finished from its stored row.

PostgreSQL hands over the row's current opening from the timeline laid out when it was written
(refresh_resource_index(), schemas/sql/search_index.sql) and its latest capacity reports as stored;
formatting them here costs the web process about 2 us a result where the SQL that did it (a plpgsql
function reading the timeline, capacity_json()) cost PostgreSQL about 12.
"""

import datetime as dt
import functools
import zoneinfo
from collections.abc import Mapping
from typing import Any

import asyncpg
import msgspec

# A timeline's closing or next opening further than this many local days ahead is not shown
# (resource_hours() in schemas/sql/hours.sql lays out the same days).
HORIZON_DAYS = 8


def local_iso(at: dt.datetime, tz: zoneinfo.ZoneInfo) -> str:
    """An instant as local time to the second with its UTC offset (local_iso() in SQL)."""
    return at.astimezone(tz).isoformat(timespec="seconds")


# A page's results mostly share their zone and many their closing times ("17:00 today"): formatting
# one with its zone's rules costs ~1.5 us, finding it again ~0.1.
@functools.lru_cache(maxsize=8192)
def _local_iso(seconds: float, timezone: str) -> str:
    return local_iso(dt.datetime.fromtimestamp(seconds, dt.UTC), zoneinfo.ZoneInfo(timezone))


@functools.lru_cache(maxsize=1024)
def _horizon(seconds: float, timezone: str) -> float:
    """Local midnight HORIZON_DAYS after an instant's local day (both in seconds since the epoch)."""
    tz = zoneinfo.ZoneInfo(timezone)
    day = dt.datetime.fromtimestamp(seconds, tz).date() + dt.timedelta(days=HORIZON_DAYS)
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).timestamp()


def hours_fields(at: float, span_end: float | None, next_start: float | None, today: str | None, timezone: str) -> str:
    """The JSON members closes_at, opens_next_at and hours_today (no braces) at an instant, from the end
    of the opening the instant falls in (if any) and the start of the next one; instants in seconds
    since the epoch."""
    closes = opens = "null"
    if span_end is not None and at < span_end:
        if span_end < _horizon(at, timezone):
            closes = '"' + _local_iso(span_end, timezone) + '"'
    elif next_start is not None and next_start < _horizon(at, timezone):
        opens = '"' + _local_iso(next_start, timezone) + '"'
    return f'"closes_at":{closes},"opens_next_at":{opens},"hours_today":{today or "[]"}'


def json_instant(at: dt.datetime) -> str:
    """An instant in UTC as PostgreSQL writes a timestamptz into JSON (a fraction only if nonzero,
    without its trailing zeros)."""
    text = at.astimezone(dt.UTC).isoformat()
    if at.microsecond:
        stamp, offset = text[:-6], text[-6:]
        text = stamp.rstrip("0") + offset
    return text


class StoredReport(msgspec.Struct, frozen=True):
    """One unit's latest count as the resource index keeps it."""

    unit: str
    available: int | None
    maximum: int | None
    updated_at: dt.datetime


class Report(msgspec.Struct, frozen=True):
    """One unit's count as a result shows it at an instant: available only while it is current."""

    unit: str
    available: int | None
    maximum: int | None
    reported_available: int | None
    updated_at: str
    age_seconds: int
    current: bool


_STORED = msgspec.json.Decoder(list[StoredReport])
_ENCODE = msgspec.json.Encoder()


def capacity_field(stored: str, at: dt.datetime, max_age: dt.timedelta) -> str:
    """The capacity member's JSON array at an instant, from the stored reports."""
    reports = []
    for report in _STORED.decode(stored):
        age = at - report.updated_at
        current = age <= max_age
        reports.append(
            Report(
                report.unit,
                report.available if current else None,
                report.maximum,
                report.available,
                json_instant(report.updated_at),
                max(0, age.days * 86_400 + age.seconds),
                current,
            )
        )
    return _ENCODE.encode(reports).decode()


class Moment:
    """The instant a search is evaluated at, and how old a count may be and still be current."""

    def __init__(self, at: dt.datetime, max_age: dt.timedelta) -> None:
        self.at, self.seconds, self.max_age = at, at.timestamp(), max_age

    def fields(self, row: asyncpg.Record | Mapping[str, Any]) -> tuple[str, str]:
        """A search row's capacity array and hours members; hours come ready from SQL where no
        timeline covers the instant."""
        hours = row["hours"]
        if hours is None:
            hours = hours_fields(self.seconds, row["span_end"], row["next_start"], row["today"], row["timezone"])
        capacity = row["capacity"]
        return "[]" if capacity is None else capacity_field(capacity, self.at, self.max_age), hours
