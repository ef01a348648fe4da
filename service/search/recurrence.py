"""Recurring events: an RFC 5545 RRULE subset read and expanded into occurrences in the event's own zone."""

import calendar
import datetime as dt
import re
import zoneinfo
from collections.abc import Iterator

import msgspec

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# Parts of RFC 5545 this subset reads; any other is refused by name.
KNOWN = frozenset({"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "UNTIL", "COUNT", "WKST"})
_NTH_DAY = re.compile(r"^([+-]?)([1-5]?)(MO|TU|WE|TH|FR|SA|SU)$")
_UNTIL = re.compile(r"^(\d{8})(?:T(\d{6})Z)?$")
# The most COUNT may say.
MAX_OCCURRENCES = 5_000


class RecurrenceError(ValueError):
    """A rule outside the subset, naming the part (FREQ, BYDAY, ...) and why."""

    def __init__(self, part: str, reason: str) -> None:
        super().__init__(f"{part}: {reason}")
        self.part = part


class Rule(msgspec.Struct, frozen=True, kw_only=True):
    """A parsed RRULE: weekly on weekdays, or monthly on (nth) weekdays or days of the month."""

    freq: str
    interval: int = 1
    # (n, weekday 0 = Monday): n = 0 every such weekday; 1..5 the nth of the month; -1..-5 from its end.
    by_day: tuple[tuple[int, int], ...] = ()
    by_month_day: tuple[int, ...] = ()
    until_date: dt.date | None = None
    until_instant: dt.datetime | None = None
    count: int | None = None
    week_start: int = 0


def parse_rule(text: str) -> Rule:
    """Read an RRULE ("RRULE:" prefix optional); RecurrenceError names the part it does not support."""
    body = text.strip().removeprefix("RRULE:")
    parts: dict[str, str] = {}
    for item in body.split(";"):
        if not item:
            continue
        name, sep, value = item.partition("=")
        name = name.strip().upper()
        if not sep or not value:
            raise RecurrenceError(name or item, "expected NAME=VALUE")
        if name not in KNOWN:
            raise RecurrenceError(name, f"not supported; this subset reads {', '.join(sorted(KNOWN))}")
        if name in parts:
            raise RecurrenceError(name, "given twice")
        parts[name] = value.strip().upper()
    freq = parts.get("FREQ")
    if freq is None:
        raise RecurrenceError("FREQ", "required: WEEKLY or MONTHLY")
    if freq not in ("WEEKLY", "MONTHLY"):
        raise RecurrenceError("FREQ", f"{freq} is not supported; only WEEKLY and MONTHLY")
    interval = _positive(parts.get("INTERVAL", "1"), "INTERVAL", 1000)
    by_day = tuple(_day(value, freq) for value in parts["BYDAY"].split(",")) if "BYDAY" in parts else ()
    by_month_day: tuple[int, ...] = ()
    if "BYMONTHDAY" in parts:
        if freq != "MONTHLY":
            raise RecurrenceError("BYMONTHDAY", "only with FREQ=MONTHLY")
        by_month_day = tuple(_month_day(value) for value in parts["BYMONTHDAY"].split(","))
    if "UNTIL" in parts and "COUNT" in parts:
        raise RecurrenceError("UNTIL", "give UNTIL or COUNT, not both")
    until_date = until_instant = None
    if "UNTIL" in parts:
        until_date, until_instant = _until(parts["UNTIL"])
    count = _positive(parts["COUNT"], "COUNT", MAX_OCCURRENCES) if "COUNT" in parts else None
    week_start = 0
    if "WKST" in parts:
        if parts["WKST"] not in WEEKDAYS:
            raise RecurrenceError("WKST", f"{parts['WKST']} is not a weekday MO ... SU")
        week_start = WEEKDAYS.index(parts["WKST"])
    return Rule(
        freq=freq,
        interval=interval,
        by_day=by_day,
        by_month_day=by_month_day,
        until_date=until_date,
        until_instant=until_instant,
        count=count,
        week_start=week_start,
    )


def _positive(value: str, part: str, most: int) -> int:
    if not value.isdigit() or not 1 <= int(value) <= most:
        raise RecurrenceError(part, f"{value} is not a whole number 1 ... {most}")
    return int(value)


def _day(value: str, freq: str) -> tuple[int, int]:
    match = _NTH_DAY.match(value.strip())
    if match is None:
        raise RecurrenceError("BYDAY", f"{value} is not a weekday MO ... SU, or one like 2TU or -1FR")
    sign, nth, day = match.groups()
    if sign and not nth:
        raise RecurrenceError("BYDAY", f"{value}: a sign needs a number, as in -1FR")
    n = int(nth or 0) * (-1 if sign == "-" else 1)
    if n and freq != "MONTHLY":
        raise RecurrenceError("BYDAY", f"{value}: a numbered weekday only with FREQ=MONTHLY")
    return n, WEEKDAYS.index(day)


def _month_day(value: str) -> int:
    try:
        day = int(value)
    except ValueError:
        raise RecurrenceError("BYMONTHDAY", f"{value} is not a day of the month 1 ... 31 or -1 ... -31") from None
    if day == 0 or not -31 <= day <= 31:
        raise RecurrenceError("BYMONTHDAY", f"{value} is not a day of the month 1 ... 31 or -1 ... -31")
    return day


def _until(value: str) -> tuple[dt.date | None, dt.datetime | None]:
    match = _UNTIL.match(value)
    if match is None:
        raise RecurrenceError("UNTIL", f"{value} is not a date YYYYMMDD or a UTC instant YYYYMMDDTHHMMSSZ")
    try:
        day = dt.datetime.strptime(match.group(1), "%Y%m%d").date()
        if match.group(2) is None:
            return day, None
        return None, dt.datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        raise RecurrenceError("UNTIL", f"{value} is not a real date") from None


def rule_dates(rule: Rule, first: dt.date, last: dt.date) -> Iterator[dt.date]:
    """The local dates a rule gives from its first date to about its last, in order (UNTIL and COUNT not applied)."""
    if rule.freq == "WEEKLY":
        days = sorted({day for _, day in rule.by_day} or {first.weekday()})
        week = first - dt.timedelta(days=(first.weekday() - rule.week_start) % 7)
        while week <= last:
            # The week's days in order from its first day (WKST), as RFC 5545 counts them.
            for offset in range(7):
                day = week + dt.timedelta(days=offset)
                if day.weekday() in days and day >= first:
                    yield day
            week += dt.timedelta(weeks=rule.interval)
    else:
        year, month = first.year, first.month
        # A rule may pick no day in many months (BYMONTHDAY=31 every other month from February): the bound
        # is on the months, not on what they give.
        while (year, month) <= (last.year, last.month):
            for day in _month_dates(rule, first, year, month):
                if day >= first:
                    yield day
            month += rule.interval
            year, month = year + (month - 1) // 12, (month - 1) % 12 + 1


def _month_dates(rule: Rule, first: dt.date, year: int, month: int) -> list[dt.date]:
    """The dates of one month the rule picks (days that month has not are skipped, as RFC 5545 says)."""
    length = calendar.monthrange(year, month)[1]
    month_days = {d if d > 0 else length + 1 + d for d in rule.by_month_day}
    if not rule.by_day and not rule.by_month_day:
        month_days = {first.day}
    by_weekday: set[int] = set()
    for n, weekday in rule.by_day:
        matching = [d for d in range(1, length + 1) if dt.date(year, month, d).weekday() == weekday]
        if n == 0:
            by_weekday.update(matching)
        elif -len(matching) <= n <= len(matching):
            by_weekday.add(matching[n - 1] if n > 0 else matching[n])
    # Both given: a month day that is also one of the weekdays (BYDAY limits BYMONTHDAY, RFC 5545 3.3.10).
    both = rule.by_day and rule.by_month_day
    picked = month_days & by_weekday if both else by_weekday if rule.by_day else month_days
    return [dt.date(year, month, d) for d in sorted(picked) if 1 <= d <= length]


class Timing(msgspec.Struct, frozen=True, kw_only=True):
    """When an event happens, as stored: one span of instants, or a local time on dates (a rule or a list)."""

    timezone: str
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    start_date: dt.date | None = None
    start_time: dt.time | None = None
    duration_minutes: int | None = None
    recurrence: str | None = None
    exdates: tuple[dt.date, ...] = ()
    dates: tuple[dt.date, ...] = ()


def occurrences(timing: Timing, since: dt.datetime, until: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """The (start, end) of each occurrence starting in [since, until), in the event's zone, in order."""
    if timing.starts_at is not None and timing.ends_at is not None:
        return [(timing.starts_at, timing.ends_at)] if since <= timing.starts_at < until else []
    assert timing.start_time is not None and timing.duration_minutes is not None, "a local timing has both"
    zone = zoneinfo.ZoneInfo(timing.timezone)
    length = dt.timedelta(minutes=timing.duration_minutes)
    found = []
    for start in _local_starts(timing, zone, until):
        if since <= start < until:
            found.append((start, _wall(start.replace(tzinfo=None) + length, zone)))
    return found


def _local_starts(timing: Timing, zone: zoneinfo.ZoneInfo, until: dt.datetime) -> Iterator[dt.datetime]:
    """Every start before `until` (and before the rule's end), in local time, EXDATEs left out after COUNT."""
    assert timing.start_time is not None, "a local timing has a start time"
    if timing.recurrence is None:
        dates: Iterator[dt.date] = iter(
            sorted(set(timing.dates or ((timing.start_date,) if timing.start_date else ())))
        )
        rule = None
    else:
        assert timing.start_date is not None, "a rule starts on a date"
        rule = parse_rule(timing.recurrence)
        dates = rule_dates(rule, timing.start_date, until.astimezone(zone).date() + dt.timedelta(days=1))
    skipped = set(timing.exdates)
    for number, day in enumerate(dates, start=1):
        if rule is not None and rule.count is not None and number > rule.count:
            return
        if rule is not None and rule.until_date is not None and day > rule.until_date:
            return
        start = _wall(dt.datetime.combine(day, timing.start_time), zone)
        if rule is not None and rule.until_instant is not None and start > rule.until_instant:
            return
        if start >= until:
            return
        if day not in skipped:
            yield start


def _wall(local: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """A wall-clock time in a zone: in a spring-forward gap it moves forward by the gap, as RFC 5545 says; in an
    autumn overlap it is the first of the two."""
    aware = local.replace(tzinfo=zone, fold=0)
    return aware.astimezone(dt.UTC).astimezone(zone)
