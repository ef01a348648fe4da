"""The timelines searches read (resource_index.timeline_*) answer exactly what the hours functions do."""

import datetime as dt

import asyncpg

from service.queries.resources import EXTRAS, OPEN_AT, OPEN_CANDIDATES
from service.search.moments import Moment
from tests.conftest import ADMIN

# (time zone, weekly hours, exceptions): overnight spans, spans across the small hours of DST
# nights, back-to-back openings, all day, all week, half-hour and 45-minute offsets.
PLACES = [
    ("America/New_York", [(d, "22:00", "06:00") for d in range(1, 8)], []),
    ("America/New_York", [(7, "01:00", "03:00"), (7, "00:30", "02:30"), (6, "23:00", "24:00")], []),
    ("America/Los_Angeles", [(d, "00:00", "24:00") for d in range(1, 8)], []),
    ("America/Los_Angeles", [(d, "09:00", "17:00") for d in range(1, 6)], [("2026-12-25", None, None)]),
    ("Europe/London", [(d, "23:00", "24:00") for d in range(1, 8)] + [(d, "00:00", "02:00") for d in range(1, 8)], []),
    ("Europe/Berlin", [(7, "02:00", "03:30"), (1, "20:00", "19:00")], [("2027-03-28", "01:00", "04:00")]),
    ("Australia/Lord_Howe", [(d, "01:30", "02:30") for d in range(1, 8)], []),
    ("Pacific/Chatham", [(d, "18:00", "02:45") for d in range(1, 8)], []),
    ("Asia/Kolkata", [(3, "10:00", "14:00")], [("2026-12-09", "20:00", "23:00"), ("2026-12-09", "08:00", "09:00")]),
    ("America/St_Johns", [], [("2026-12-04", "10:00", "12:00"), ("2027-11-07", "00:00", "24:00")]),
    ("America/New_York", [], []),
    ("America/Chicago", [(d, "18:00", "08:00") for d in range(1, 8)], [("2027-11-07", "20:00", "02:00")]),
]
# Dates whose next two weeks hold DST changes (US, EU, Lord Howe's half hour, Chatham), and today.
ANCHORS = ["2026-12-01", "2027-03-13", "2027-03-27", "2027-04-03", "2027-10-02", "2027-10-30", "2027-11-06"]

COMPARE = f"""
    SELECT r.id, t.at, {EXTRAS.format(at="t.at", open_now=OPEN_AT.format(at="t.at"))},
           resource_open_at(r, t.at) AS function_open, resource_hours(r, t.at) AS function_hours,
           r.timeline_since <= t.at AND t.at < r.timeline_until AS laid_out,
           {OPEN_CANDIDATES.format(at="t.at")} AS candidate
      FROM resource_index r,
           generate_series($1::timestamptz - interval '1 day', $1::timestamptz + interval '16 days',
                           interval '23 minutes') AS t(at)
"""


async def lay_out_at(conn: asyncpg.Connection, at: dt.datetime) -> None:
    """Rebuild every search row as if it had been written at an instant."""
    async with conn.transaction():
        await conn.execute("SELECT set_config('commonground.laid_out_at', $1, true)", at.isoformat())
        await conn.execute("SELECT refresh_resource_index(ARRAY(SELECT id FROM service_at_location))")


async def make_places(client) -> None:
    for number, (zone, weekly, exceptions) in enumerate(PLACES):
        body = {
            "organization": {"name": f"Org {number}"},
            "service": {"name": f"Place {number}", "categories": ["naloxone"]},
            "location": {"name": f"Site {number}", "latitude": 10.0, "longitude": number, "timezone": zone},
            "schedules": [{"weekday": day, "opens_at": opens, "closes_at": closes} for day, opens, closes in weekly],
        }
        made = await client.post("/v1/resources", json=body, headers=ADMIN)
        assert made.status_code == 201, made.text
        if exceptions:
            listed = [
                {"date": day} if opens is None else {"date": day, "opens_at": opens, "closes_at": closes}
                for day, opens, closes in exceptions
            ]
            put = await client.put(
                f"/v1/services/{made.json()['service']['id']}/exceptions", json=listed, headers=ADMIN
            )
            assert put.status_code == 200, put.text


async def test_timelines_answer_what_the_hours_functions_answer(client, conn: asyncpg.Connection):
    await make_places(client)
    compared = laid_out = closed = closed_candidates = 0
    for anchor in ANCHORS:
        at = dt.datetime.fromisoformat(anchor + "T12:00:00+00:00")
        await lay_out_at(conn, at)
        for row in await conn.fetch(COMPARE, at):
            assert row["open_now"] == row["function_open"], (anchor, dict(row))
            # The hours a result shows, finished in Python from the timeline's columns.
            _, hours = Moment(row["at"], dt.timedelta(hours=24)).fields(row)
            assert hours == row["function_hours"], (anchor, dict(row))
            # A search that ranks the candidates for open_at (open_keys) misses no open row.
            assert row["candidate"] or not row["function_open"], (anchor, dict(row))
            compared += 1
            laid_out += bool(row["laid_out"])
            if row["laid_out"] and not row["function_open"]:
                closed += 1
                closed_candidates += row["candidate"]
    # Most instants were answered from a timeline, not by falling back to the functions.
    assert laid_out > 0.8 * compared
    # And the keys tell closed hours apart: few closed instants are candidates.
    assert closed_candidates < 0.05 * closed


async def test_a_new_listing_is_laid_out_and_the_housekeeping_keeps_it_ahead(client, conn: asyncpg.Connection):
    await make_places(client)
    rows = await conn.fetch("SELECT timeline_since, timeline_until, timeline_days FROM resource_index")
    assert all(row["timeline_until"] > dt.datetime.now(dt.UTC) + dt.timedelta(days=13) for row in rows)
    assert sum(row["timeline_since"] is not None for row in rows) == len(PLACES)
    await conn.execute("UPDATE resource_index SET timeline_until = now() + interval '1 day'")
    assert await conn.fetchval("SELECT refresh_timelines(now() + interval '9 days', 5)") == 5
    assert await conn.fetchval("SELECT refresh_timelines(now() + interval '9 days', 100)") == len(PLACES) - 5
    assert await conn.fetchval("SELECT refresh_timelines(now() + interval '9 days', 100)") == 0
