"""Recurring events: the RRULE subset read, and occurrences expanded in the event's own zone."""

import datetime as dt
import zoneinfo

import pytest

from service.search.recurrence import RecurrenceError, Timing, occurrences, parse_rule

UTC = dt.UTC


def starts(timing: Timing, since: str, until: str) -> list[str]:
    found = occurrences(timing, dt.datetime.fromisoformat(since), dt.datetime.fromisoformat(until))
    return [start.isoformat() for start, _ in found]


def local(rule: str | None, first: str, time: str, zone: str, minutes: int = 60, **more) -> Timing:
    return Timing(
        timezone=zone,
        start_date=dt.date.fromisoformat(first),
        start_time=dt.time.fromisoformat(time),
        duration_minutes=minutes,
        recurrence=rule,
        **more,
    )


def test_weekly_stays_at_local_time_across_spring_forward_and_fall_back():
    timing = local("FREQ=WEEKLY;BYDAY=TU", "2027-03-02", "18:00", "America/New_York")
    assert starts(timing, "2027-03-01T00:00Z", "2027-03-20T00:00Z") == [
        "2027-03-02T18:00:00-05:00",
        "2027-03-09T18:00:00-05:00",
        "2027-03-16T18:00:00-04:00",
    ]
    autumn = local("FREQ=WEEKLY;BYDAY=TU", "2027-10-26", "18:00", "America/New_York")
    assert starts(autumn, "2027-10-01T00:00Z", "2027-11-10T00:00Z") == [
        "2027-10-26T18:00:00-04:00",
        "2027-11-02T18:00:00-04:00",
        "2027-11-09T18:00:00-05:00",
    ]


def test_a_time_in_the_spring_gap_moves_forward_and_one_in_the_overlap_is_the_first():
    gap = local("FREQ=WEEKLY;BYDAY=SU", "2027-03-07", "02:30", "America/New_York")
    assert starts(gap, "2027-03-07T00:00Z", "2027-03-15T00:00Z") == [
        "2027-03-07T02:30:00-05:00",
        "2027-03-14T03:30:00-04:00",
    ]
    overlap = local("FREQ=WEEKLY;BYDAY=SU", "2027-11-07", "01:30", "America/New_York")
    assert starts(overlap, "2027-11-07T00:00Z", "2027-11-08T00:00Z") == ["2027-11-07T01:30:00-04:00"]


def test_the_end_is_on_the_local_clock_too():
    timing = local("FREQ=WEEKLY;BYDAY=SA", "2027-03-13", "23:00", "America/New_York", minutes=240)
    (start, end), *_ = occurrences(timing, dt.datetime(2027, 3, 13, tzinfo=UTC), dt.datetime(2027, 3, 15, tzinfo=UTC))
    assert (start.isoformat(), end.isoformat()) == ("2027-03-13T23:00:00-05:00", "2027-03-14T03:00:00-04:00")


def test_monthly_second_tuesday_and_last_friday():
    second = local("FREQ=MONTHLY;BYDAY=2TU", "2027-01-01", "10:00", "America/Chicago")
    assert [s[:10] for s in starts(second, "2027-01-01T00:00Z", "2027-05-01T00:00Z")] == [
        "2027-01-12",
        "2027-02-09",
        "2027-03-09",
        "2027-04-13",
    ]
    last = local("FREQ=MONTHLY;BYDAY=-1FR", "2027-01-01", "10:00", "America/Chicago")
    assert [s[:10] for s in starts(last, "2027-01-01T00:00Z", "2027-05-01T00:00Z")] == [
        "2027-01-29",
        "2027-02-26",
        "2027-03-26",
        "2027-04-30",
    ]


def test_a_fifth_weekday_skips_the_months_without_one():
    fifth = local("FREQ=MONTHLY;BYDAY=5MO", "2027-01-01", "10:00", "UTC")
    assert [s[:10] for s in starts(fifth, "2027-01-01T00:00Z", "2027-07-01T00:00Z")] == ["2027-03-29", "2027-05-31"]


def test_month_days_that_a_month_has_not_are_skipped_and_negative_ones_count_from_the_end():
    thirty_first = local("FREQ=MONTHLY;BYMONTHDAY=31", "2027-01-31", "09:00", "UTC")
    assert [s[:10] for s in starts(thirty_first, "2027-01-01T00:00Z", "2027-06-01T00:00Z")] == [
        "2027-01-31",
        "2027-03-31",
        "2027-05-31",
    ]
    last_day = local("FREQ=MONTHLY;BYMONTHDAY=-1", "2027-12-01", "09:00", "UTC")
    assert [s[:10] for s in starts(last_day, "2027-12-01T00:00Z", "2028-04-01T00:00Z")] == [
        "2027-12-31",
        "2028-01-31",
        "2028-02-29",
        "2028-03-31",
    ]


def test_leap_day_every_month_comes_only_in_leap_februaries():
    twenty_ninth = local("FREQ=MONTHLY;BYMONTHDAY=29", "2027-01-29", "09:00", "UTC")
    days = [s[:10] for s in starts(twenty_ninth, "2027-01-01T00:00Z", "2028-04-01T00:00Z")]
    assert "2027-02-28" not in days and "2028-02-29" in days and len(days) == 14


def test_a_rule_that_picks_no_day_for_ever_ends():
    never = local("FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=30", "2027-02-01", "09:00", "UTC")
    assert starts(never, "2027-01-01T00:00Z", "2037-01-01T00:00Z") == []


def test_exdate_removes_one_and_count_still_counts_it():
    timing = local("FREQ=WEEKLY;BYDAY=MO;COUNT=3", "2027-01-04", "12:00", "UTC", exdates=(dt.date(2027, 1, 11),))
    assert [s[:10] for s in starts(timing, "2027-01-01T00:00Z", "2027-03-01T00:00Z")] == ["2027-01-04", "2027-01-18"]


def test_until_a_date_or_an_instant_ends_it():
    by_date = local("FREQ=WEEKLY;BYDAY=MO;UNTIL=20270118", "2027-01-04", "12:00", "Europe/Berlin")
    assert len(starts(by_date, "2027-01-01T00:00Z", "2027-03-01T00:00Z")) == 3
    by_instant = local("FREQ=WEEKLY;BYDAY=MO;UNTIL=20270118T105959Z", "2027-01-04", "12:00", "Europe/Berlin")
    assert len(starts(by_instant, "2027-01-01T00:00Z", "2027-03-01T00:00Z")) == 2


def test_interval_counts_weeks_from_the_week_start():
    # Sunday and Monday, every other week: with weeks from Monday the first Sunday closes the first week;
    # with weeks from Sunday it opens a new one (the example of RFC 5545 section 3.3.10).
    monday_weeks = local("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SU;WKST=MO;COUNT=4", "1997-08-05", "09:00", "UTC")
    assert [s[:10] for s in starts(monday_weeks, "1997-08-01T00:00Z", "1997-09-01T00:00Z")] == [
        "1997-08-05",
        "1997-08-10",
        "1997-08-19",
        "1997-08-24",
    ]
    sunday_weeks = local("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SU;WKST=SU;COUNT=4", "1997-08-05", "09:00", "UTC")
    assert [s[:10] for s in starts(sunday_weeks, "1997-08-01T00:00Z", "1997-09-01T00:00Z")] == [
        "1997-08-05",
        "1997-08-17",
        "1997-08-19",
        "1997-08-31",
    ]


def test_antimeridian_zones_keep_their_own_dates():
    auckland = local("FREQ=WEEKLY;BYDAY=MO", "2027-04-05", "07:00", "Pacific/Auckland")
    found = occurrences(auckland, dt.datetime(2027, 4, 1, tzinfo=UTC), dt.datetime(2027, 4, 13, tzinfo=UTC))
    # 07:00 on Monday in Auckland is Sunday evening in UTC; NZ's daylight time ended on 4 April 2027.
    assert [start.isoformat() for start, _ in found] == ["2027-04-05T07:00:00+12:00", "2027-04-12T07:00:00+12:00"]
    assert found[0][0].astimezone(UTC).weekday() == 6
    honolulu = local("FREQ=MONTHLY;BYDAY=-1FR", "2027-01-01", "20:00", "Pacific/Honolulu")
    found = occurrences(honolulu, dt.datetime(2027, 1, 1, tzinfo=UTC), dt.datetime(2027, 3, 1, tzinfo=UTC))
    assert [start.isoformat() for start, _ in found] == ["2027-01-29T20:00:00-10:00", "2027-02-26T20:00:00-10:00"]
    assert found[0][0].astimezone(UTC).date() == dt.date(2027, 1, 30)


def test_auckland_daylight_time_begins_in_september():
    timing = local("FREQ=WEEKLY;BYDAY=SU", "2027-09-19", "09:00", "Pacific/Auckland")
    assert starts(timing, "2027-09-01T00:00Z", "2027-10-01T00:00Z") == [
        "2027-09-19T09:00:00+12:00",
        "2027-09-26T09:00:00+13:00",
    ]


def test_a_list_of_dates_and_a_single_span():
    listed = local(None, "2027-05-01", "10:00", "America/Denver", dates=(dt.date(2027, 6, 2), dt.date(2027, 5, 1)))
    assert starts(listed, "2027-01-01T00:00Z", "2028-01-01T00:00Z") == [
        "2027-05-01T10:00:00-06:00",
        "2027-06-02T10:00:00-06:00",
    ]
    zone = zoneinfo.ZoneInfo("America/Denver")
    once = Timing(
        timezone="America/Denver",
        starts_at=dt.datetime(2027, 5, 1, 10, tzinfo=zone),
        ends_at=dt.datetime(2027, 5, 1, 12, tzinfo=zone),
    )
    assert len(starts(once, "2027-05-01T00:00Z", "2027-05-02T00:00Z")) == 1
    assert starts(once, "2027-05-02T00:00Z", "2027-05-03T00:00Z") == []


def test_the_window_is_half_open():
    timing = local("FREQ=WEEKLY;BYDAY=MO", "2027-01-04", "12:00", "UTC")
    assert starts(timing, "2027-01-04T12:00Z", "2027-01-11T12:00Z") == ["2027-01-04T12:00:00+00:00"]


@pytest.mark.parametrize(
    ("rule", "part"),
    [
        ("FREQ=DAILY", "FREQ"),
        ("FREQ=YEARLY;BYMONTH=3", "BYMONTH"),
        ("FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO", "BYSETPOS"),
        ("BYDAY=MO", "FREQ"),
        ("FREQ=WEEKLY;BYDAY=2TU", "BYDAY"),
        ("FREQ=WEEKLY;BYDAY=XX", "BYDAY"),
        ("FREQ=WEEKLY;BYMONTHDAY=3", "BYMONTHDAY"),
        ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY"),
        ("FREQ=WEEKLY;INTERVAL=0", "INTERVAL"),
        ("FREQ=WEEKLY;COUNT=2;UNTIL=20270101", "UNTIL"),
        ("FREQ=WEEKLY;UNTIL=20270230", "UNTIL"),
        ("FREQ=WEEKLY;UNTIL=tomorrow", "UNTIL"),
        ("FREQ=WEEKLY;WKST=XX", "WKST"),
        ("FREQ=WEEKLY;FREQ=MONTHLY", "FREQ"),
        ("FREQ", "FREQ"),
    ],
)
def test_rules_outside_the_subset_are_refused_by_part(rule, part):
    with pytest.raises(RecurrenceError) as refused:
        parse_rule(rule)
    assert refused.value.part == part


def test_the_prefix_and_case_are_optional():
    assert parse_rule("RRULE:freq=monthly;byday=-1fr").by_day == ((-1, 4),)
