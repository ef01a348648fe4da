"""Weekly local times: where they fall in a UTC week, their next occurrence, and how a start reads."""

import datetime as dt
import functools
import zoneinfo

WEEK_S = 7 * 86400
# 1970-01-05 00:00 UTC was a Monday: week seconds count from Monday 00:00 UTC, as ISO weekdays do.
_MONDAY_EPOCH = dt.datetime(1970, 1, 5, tzinfo=dt.UTC)
# Offsets are sampled weekly: a rule shorter than that (none in tzdata today) would be missed.
_SAMPLED_YEARS = (1970, 2060)


@functools.cache
def zone_offsets(zone: str) -> tuple[int, ...]:
    """Every UTC offset (seconds) the zone has used or will use from 1970 on, by tzdata."""
    tz = zoneinfo.ZoneInfo(zone)
    instant = dt.datetime(_SAMPLED_YEARS[0], 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(_SAMPLED_YEARS[1], 1, 1, tzinfo=dt.UTC)
    found: set[int] = set()
    while instant < end:
        offset = instant.astimezone(tz).utcoffset()
        assert offset is not None, "a ZoneInfo always knows its offset"
        found.add(int(offset.total_seconds()))
        instant += dt.timedelta(days=7)
    return tuple(sorted(found))


def _split(start: int, end: int) -> list[tuple[int, int]]:
    """[start, end) in week seconds (start in 0..WEEK_S), cut in two where it passes the week's end."""
    if end - start >= WEEK_S:
        return [(0, WEEK_S)]
    if end <= WEEK_S:
        return [(start, end)]
    return [(start, WEEK_S), (0, end - WEEK_S)]


def week_spans(days: list[int], start: dt.time, minutes: int, zone: str) -> list[tuple[int, int]]:
    """Each weekly occurrence as [start, end) UTC week seconds, once for every offset the zone uses."""
    local = start.hour * 3600 + start.minute * 60
    spans = []
    for day in days:
        for offset in zone_offsets(zone):
            begin = ((day - 1) * 86400 + local - offset) % WEEK_S
            spans += _split(begin, begin + minutes * 60)
    return spans


def window_spans(since: dt.datetime, length: dt.timedelta) -> list[tuple[int, int]]:
    """The UTC week seconds from since for length, as ranges within one week."""
    begin = int((since - _MONDAY_EPOCH).total_seconds()) % WEEK_S
    return _split(begin, begin + int(length.total_seconds()) + 1)


def duration_minutes(start: dt.time, end_time: str | None, given: int | None) -> int:
    """How long a meeting lasts: given, else from its end time (past midnight when earlier), else an hour."""
    if given is not None:
        return given
    if end_time is None:
        return 60
    hours, minutes = (int(part) for part in end_time.split(":")[:2])
    length = (hours * 60 + minutes - start.hour * 60 - start.minute) % 1440
    return length or 1440


def clock_of(start: dt.time) -> str:
    """A local clock time as HH:MM (formatting by hand: strftime costs a search page 60 us)."""
    return _CLOCKS[start.hour * 60 + start.minute]


def end_time_of(start: dt.time, minutes: int) -> str:
    """The local clock time a meeting of this length ends at."""
    return _CLOCKS[(start.hour * 60 + start.minute + minutes) % 1440]


_CLOCKS = [f"{minute // 60:02d}:{minute % 60:02d}" for minute in range(1440)]


def status_of(start: dt.datetime, end: dt.datetime, at: dt.datetime) -> tuple[bool, int | None, int | None, str]:
    """in_progress, starts_in_minutes, started_minutes_ago and the words for them."""
    if start <= at < end:
        ago = int((at - start).total_seconds() // 60)
        return True, None, ago, f"in progress (started {ago} min ago)"
    minutes = -int(-(start - at).total_seconds() // 60)  # rounded up: "in 0 min" only when it is starting
    if minutes < 60:
        return False, minutes, None, f"starting in {minutes} min"
    if minutes < 24 * 60:
        hours, rest = divmod(minutes, 60)
        return False, minutes, None, f"starting in {hours} h {rest} min" if rest else f"starting in {hours} h"
    return False, minutes, None, f"starting {start:%A %H:%M}"


# A search checks thousands of meetings that share a few zones, days and start times.
@functools.lru_cache(maxsize=16_384)
def local_instant(day: dt.date, start: dt.time, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The instant a local date and time names, by PostgreSQL's rule: a time the clocks skip is read with
    the offset before the jump (02:30 becomes 03:30 daylight time); one they pass twice is the second one."""
    naive = dt.datetime.combine(day, start)
    first = naive.replace(tzinfo=zone, fold=0).astimezone(dt.UTC)
    second = naive.replace(tzinfo=zone, fold=1).astimezone(dt.UTC)
    if first == second:
        return first
    if first.astimezone(zone).replace(tzinfo=None) == naive:
        return second  # passed twice (autumn): the standard-time one
    return first  # skipped (spring)


def next_occurrence(
    days: list[int], start: dt.time, minutes: int, zone: str, since: dt.datetime, until: dt.datetime
) -> dt.datetime | None:
    """The start (UTC) of the first occurrence not ended by since that starts by until, else None. Meetings
    last at most a day, so the local day before since is the earliest that can still be running."""
    tz = zoneinfo.ZoneInfo(zone)
    day = _local_date(since, tz) - dt.timedelta(days=1)
    last = _local_date(until, tz)
    length = dt.timedelta(minutes=minutes)
    while day <= last:
        if day.isoweekday() in days:
            begins = local_instant(day, start, tz)
            if begins > until:
                return None
            if begins + length > since:
                return begins
        day += dt.timedelta(days=1)
    return None


@functools.lru_cache(maxsize=1_024)
def _local_date(instant: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.date:
    return instant.astimezone(zone).date()
