"""GET /v1/meetings: starting soon across midnight, week ends, DST and the date line; filters; the index."""

import datetime as dt
import json

import asyncpg

from schemas.meetings import MeetingCreate
from service.queries import meetings as queries
from service.search.weekly import window_spans
from tests.conftest import ADMIN

PORTLAND = (45.52, -122.68)


async def add(client, slug: str, days: list[int], start: str, where=PORTLAND, zone=None, **fields) -> dict:
    body: dict = {"name": slug, "slug": slug, "days": days, "start_time": start, **fields}
    if where is not None:
        body["latitude"], body["longitude"] = where
    if zone is not None:
        body["timezone"] = zone
    response = await client.post("/v1/meetings", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return response.json()


async def search(client, **params) -> list[dict]:
    response = await client.get("/v1/meetings", params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_tonight_at_ten_finds_half_past_eleven_and_the_one_in_progress(client):
    # 2026-11-27 is a Friday (ISO 5).
    await add(client, "late", [5], "23:30")
    await add(client, "early", [5], "19:00")
    await add(client, "running", [5], "21:30", duration_minutes=60)
    await add(client, "tomorrow-late", [6], "02:00")
    found = await search(client, near="45.52,-122.68", starts_within="3h", at="2026-11-27T22:00:00-08:00")
    by_slug = {item["slug"]: item for item in found}
    assert set(by_slug) == {"late", "running"}
    late, running = by_slug["late"], by_slug["running"]
    assert late["next_start"] == "2026-11-27T23:30:00-08:00" and late["next_end"] == "2026-11-28T00:30:00-08:00"
    assert (late["in_progress"], late["starts_in_minutes"], late["status"]) == (False, 90, "starting in 1 h 30 min")
    assert (running["in_progress"], running["started_minutes_ago"], running["status"]) == (
        True,
        30,
        "in progress (started 30 min ago)",
    )
    later = await search(client, starts_within="5h", at="2026-11-27T22:00:00-08:00")
    assert {item["slug"] for item in later} == {"late", "running", "tomorrow-late"}
    assert next(i for i in later if i["slug"] == "tomorrow-late")["next_start"] == "2026-11-28T02:00:00-08:00"


async def test_the_week_wraps_sunday_to_monday_locally_and_in_utc(client):
    await add(client, "monday-early", [1], "00:30")
    # Sunday 17:00 in Portland is Monday 01:00 UTC: the UTC week ends inside the window.
    await add(client, "sunday-evening", [7], "17:00")
    # 2026-11-29 is a Sunday.
    assert [i["slug"] for i in await search(client, starts_within="3h", at="2026-11-29T23:00:00-08:00")] == [
        "monday-early"
    ]
    found = await search(client, starts_within="3h", at="2026-11-29T15:00:00-08:00")
    assert [(i["slug"], i["starts_in_minutes"]) for i in found] == [("sunday-evening", 120)]


async def test_the_nights_the_clocks_change(client):
    zone = "America/New_York"
    # 2026-03-08: 02:00 EST jumps to 03:00 EDT, so 02:30 never happens; it is read as 03:30 EDT.
    await add(client, "gap", [7], "02:30", where=None, zone=zone, conference_url="https://zoom.example/j/gap")
    await add(client, "before-gap", [7], "01:30", where=None, zone=zone, conference_url="https://zoom.example/j/b")
    found = await search(client, starts_within="3h", at="2026-03-08T01:00:00-05:00")
    assert [(i["slug"], i["next_start"], i["starts_in_minutes"]) for i in found] == [
        ("before-gap", "2026-03-08T01:30:00-05:00", 30),
        ("gap", "2026-03-08T03:30:00-04:00", 90),
    ]
    # 2026-11-01: 02:00 EDT falls back to 01:00 EST, so 01:30 happens twice; the meeting is the second one,
    # 150 min after midnight, and 02:30 EST (210 min) is beyond a 3 h window.
    found = await search(client, starts_within="3h", at="2026-11-01T00:00:00-04:00")
    assert [(i["slug"], i["next_start"], i["starts_in_minutes"]) for i in found] == [
        ("before-gap", "2026-11-01T01:30:00-05:00", 150)
    ]
    found = await search(client, starts_within="4h", at="2026-11-01T00:00:00-04:00")
    assert [(i["slug"], i["next_start"]) for i in found][1] == ("gap", "2026-11-01T02:30:00-05:00")
    # The evening after the change, a weekly 19:00 is at 19:00 standard time, found through the other offset's span.
    await add(client, "evening", [7], "19:00", where=None, zone=zone, conference_url="https://zoom.example/j/e")
    found = await search(client, starts_within="2h", at="2026-11-01T18:00:00-05:00")
    assert [(i["slug"], i["next_start"], i["starts_in_minutes"]) for i in found] == [
        ("evening", "2026-11-01T19:00:00-05:00", 60)
    ]


async def test_zones_on_both_sides_of_utc_and_the_date_line(client):
    # 2026-11-27T08:00Z is Thursday 22:00 in Honolulu (UTC-10) and Friday 21:00 in Auckland (UTC+13).
    await add(client, "honolulu", [4], "23:00", where=(21.31, -157.86))
    await add(client, "auckland", [5], "22:30", where=(-36.85, 174.76))
    await add(client, "honolulu-friday", [5], "23:00", where=(21.31, -157.86))
    found = await search(client, starts_within="2h", at="2026-11-27T08:00:00Z")
    assert [(i["slug"], i["timezone"], i["next_start"], i["starts_in_minutes"]) for i in found] == [
        ("honolulu", "Pacific/Honolulu", "2026-11-26T23:00:00-10:00", 60),
        ("auckland", "Pacific/Auckland", "2026-11-27T22:30:00+13:00", 90),
    ]
    # Across the antimeridian the nearer meeting is the one on the other side of it.
    await add(client, "fiji-east", [5], "22:00", where=(-16.5, -179.9), zone="Pacific/Fiji")
    await add(client, "fiji-west", [5], "22:00", where=(-16.5, 179.0), zone="Pacific/Fiji")
    found = await search(client, near="-16.5,179.95", day=5)
    assert [i["slug"] for i in found][:2] == ["fiji-east", "fiji-west"]
    assert 5_000 < found[0]["distance_m"] < 20_000


async def test_online_only_meetings_come_after_and_filter_in_or_out(client):
    await add(client, "far", [5], "23:00", where=(45.60, -122.68))
    await add(client, "near", [5], "23:30")
    await add(
        client, "zoom", [5], "22:30", where=None, zone="America/Los_Angeles", conference_url="https://z.example/1"
    )
    await add(client, "hybrid", [5], "23:45", where=(45.53, -122.68), conference_phone="+1-503-555-0100")
    at = "2026-11-27T22:00:00-08:00"
    found = await search(client, near="45.52,-122.68", starts_within="3h", at=at)
    assert [i["slug"] for i in found] == ["near", "hybrid", "far", "zoom"]
    assert found[-1]["distance_m"] is None and all(i["distance_m"] is not None for i in found[:-1])
    in_person = await search(client, near="45.52,-122.68", starts_within="3h", at=at, online="false")
    assert [i["slug"] for i in in_person] == ["near", "hybrid", "far"]
    online = await search(client, near="45.52,-122.68", starts_within="3h", at=at, online="true")
    assert [i["slug"] for i in online] == ["hybrid", "zoom"]
    # Without near: by start.
    assert [i["slug"] for i in await search(client, starts_within="3h", at=at)] == ["zoom", "far", "near", "hybrid"]


async def test_day_time_type_and_language_filters(client):
    await add(client, "spanish-open", [2, 4], "18:00", types=["open", "spanish"])
    await add(client, "closed", [2], "20:00", types=["closed"])
    await add(client, "late-night", [2], "23:30", types=["open"])
    at = "2026-11-23T12:00:00-08:00"  # a Monday
    assert {i["slug"] for i in await search(client, day=4, at=at)} == {"spanish-open"}
    thursday = (await search(client, day=4, at=at))[0]
    assert thursday["next_start"] == "2026-11-26T18:00:00-08:00"
    assert {i["slug"] for i in await search(client, time_from="19:00", time_to="21:00", at=at)} == {"closed"}
    assert {i["slug"] for i in await search(client, time_from="23:00", time_to="19:00", at=at)} == {
        "late-night",
        "spanish-open",
    }
    assert {i["slug"] for i in await search(client, types="open", at=at)} == {"spanish-open", "late-night"}
    assert {i["slug"] for i in await search(client, types="open,spanish", at=at)} == {"spanish-open"}
    assert {i["slug"] for i in await search(client, language="es", at=at)} == {"spanish-open"}


async def test_pages_walk_every_result_once(client):
    for n in range(7):
        await add(client, f"m{n}", [5], f"2{n % 4}:{n * 7:02d}", where=(45.52 + n / 100, -122.68))
    for n in range(2):
        online = {"where": None, "zone": "America/Los_Angeles", "conference_url": f"https://z.example/{n}"}
        await add(client, f"zoom{n}", [5], f"2{n}:30", **online)
    at = "2026-11-27T19:30:00-08:00"
    expected = [f"m{n}" for n in range(7)] + ["zoom0", "zoom1"]
    for params in (
        {"near": "45.52,-122.68", "starts_within": "6h", "at": at},
        {"near": "45.52,-122.68", "at": at, "day": 5},
        {"starts_within": "6h", "at": at},
    ):
        seen, cursor, first_cursor = [], None, None
        while True:
            page_params = {**params, "limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await client.get("/v1/meetings", params=page_params)).json()
            seen += [i["slug"] for i in page["items"]]
            first_cursor = first_cursor or page["next_cursor"]
            if (cursor := page["next_cursor"]) is None:
                break
        if "near" in params:
            assert seen == expected, params
        else:
            by_start = (await client.get("/v1/meetings", params={**params, "limit": 20})).json()["items"]
            assert seen == [i["slug"] for i in by_start] and sorted(seen) == sorted(expected)
            assert [i["next_start"] for i in by_start] == sorted(i["next_start"] for i in by_start)
    # A cursor belongs to its query: another origin refuses it.
    moved = await client.get("/v1/meetings", params={"near": "45.5,-122.6", "cursor": first_cursor})
    assert moved.status_code == 422 and moved.json()["invalid_params"][0]["name"] == "cursor"


async def test_bad_parameters_name_themselves(client):
    for params, name in [
        ({"near": "45.5"}, "near"),
        ({"near": "95,0"}, "near"),
        ({"starts_within": "soon"}, "starts_within"),
        ({"starts_within": "8d"}, "starts_within"),
        ({"at": "2026-11-27T22:00:00"}, "at"),
        ({"at": "0.5"}, "at"),
        ({"types": "vip"}, "types"),
        ({"day": "0"}, "day"),
        ({"time_from": "25:00"}, "time_from"),
        ({"language": "Spanish"}, "language"),
    ]:
        response = await client.get("/v1/meetings", params=params)
        assert response.status_code == 422, (params, response.text)
        assert response.json()["invalid_params"][0]["name"] == name, (params, response.text)


def _seq_scanned(node: dict) -> list[str]:
    """The tables a plan reads whole."""
    own = [node["Relation Name"]] if node["Node Type"] == "Seq Scan" else []
    return own + [name for child in node.get("Plans", []) for name in _seq_scanned(child)]


async def test_starting_soon_reads_the_week_span_index(conn):
    for n in range(1500):
        new = MeetingCreate(
            name=f"m{n}",
            slug=f"m{n}",
            days=[n % 7 + 1],
            start_time=f"{n % 24:02d}:{n % 60:02d}",
            latitude=40 + n % 10,
            longitude=-100 - n % 20,
            timezone="America/Chicago",
        )
        await queries.insert_meeting(conn, new)
    await conn.execute("ANALYZE meetings")
    at = dt.datetime(2026, 11, 27, 22, tzinfo=dt.UTC)
    spans = [asyncpg.Range(lower, upper) for lower, upper in window_spans(at, dt.timedelta(hours=3))]
    plan = await conn.fetchval("EXPLAIN (FORMAT JSON) " + queries.SELECT_WINDOW_SPANS, spans)
    assert "meeting_spans_span" in json.dumps(json.loads(plan)), plan
    # From a point: one of the span indexes (by span, or by point and span, nearest first), never a walk.
    near_sql, near_args = queries.near_found_statement(
        queries.MeetingFilters(
            latitude=45.0,
            longitude=-100.0,
            days=None,
            time_from=None,
            time_to=None,
            types=None,
            online=None,
            languages=None,
            part="in-person",
        ),
        window_spans(at, dt.timedelta(hours=3)),
        None,
        84,
    )
    spans_tree = json.loads(await conn.fetchval("EXPLAIN (FORMAT JSON) " + near_sql, *near_args))
    spans_plan = json.dumps(spans_tree)
    assert "meeting_spans_span" in spans_plan or "meeting_spans_near" in spans_plan
    # (The test's locations table is empty: reading it whole is what the planner should do.)
    assert not {"meetings", "meeting_spans"} & set(_seq_scanned(spans_tree[0]["Plan"])), spans_plan
    # The batch's meetings are read by key, not by hashing the table.
    assert "meetings_pkey" in spans_plan, spans_plan
