"""GET /v1/events: occurrences in a window in local time, ordered by start or distance; filters; the index."""

import datetime as dt
import json

from schemas.events import EventCreate
from service.queries import events as queries
from tests.conftest import ADMIN
from tests.factories import create, resource_body

PORTLAND = (45.52, -122.68)
SALEM = (44.94, -123.03)


async def add(client, title: str, where=PORTLAND, **fields) -> dict:
    body: dict = {"title": title, **fields}
    if where is not None:
        body["latitude"], body["longitude"] = where
    response = await client.post("/v1/events", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return response.json()


def weekly(rule: str, first: str, start: str = "18:00", end: str = "19:30") -> dict:
    return {"recurrence": rule, "start_date": first, "start_time": start, "end_time": end}


async def search(client, **params) -> dict:
    response = await client.get("/v1/events", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_weekly_event_stays_at_six_local_across_the_clock_change(client):
    await add(client, "naloxone training", **weekly("FREQ=WEEKLY;BYDAY=TU", "2027-03-01"))
    found = await search(client, **{"from": "2027-03-01T00:00:00Z", "to": "2027-03-20T00:00:00Z"})
    assert [(i["starts_at"], i["ends_at"]) for i in found["items"]] == [
        ("2027-03-02T18:00:00-08:00", "2027-03-02T19:30:00-08:00"),
        ("2027-03-09T18:00:00-08:00", "2027-03-09T19:30:00-08:00"),
        ("2027-03-16T18:00:00-07:00", "2027-03-16T19:30:00-07:00"),
    ]
    assert found["items"][0]["event"]["title"] == "naloxone training" and found["items"][0]["distance_m"] is None


async def test_second_tuesday_last_friday_exdate_and_count(client):
    await add(client, "clinic", **weekly("FREQ=MONTHLY;BYDAY=2TU", "2027-01-01"), exdates=["2027-02-09"])
    await add(client, "mobile stop", **weekly("FREQ=MONTHLY;BYDAY=-1FR;COUNT=2", "2027-01-01", "10:00", "12:00"))
    found = await search(client, **{"from": "2027-01-01T00:00:00Z", "to": "2027-05-01T00:00:00Z"})
    assert [(i["event"]["title"], i["starts_at"][:10]) for i in found["items"]] == [
        ("clinic", "2027-01-12"),
        ("mobile stop", "2027-01-29"),
        ("mobile stop", "2027-02-26"),
        ("clinic", "2027-03-09"),
        ("clinic", "2027-04-13"),
    ]


async def test_by_start_then_distance_or_by_distance_with_paging(client):
    once = {"starts_at": "2027-06-01T17:00:00Z", "ends_at": "2027-06-01T18:00:00Z"}
    later = {"starts_at": "2027-06-02T17:00:00Z", "ends_at": "2027-06-02T18:00:00Z"}
    await add(client, "far-first", where=SALEM, **once)
    await add(client, "near-first", **once)
    await add(client, "near-later", **later)
    await add(client, "online", where=None, timezone="UTC", online_url="https://meet.example/j/1", **once)
    window = {"near": "45.52,-122.68", "from": "2027-06-01T00:00:00Z", "to": "2027-06-03T00:00:00Z"}
    by_start = await search(client, **window)
    assert [i["event"]["title"] for i in by_start["items"]] == ["near-first", "far-first", "online", "near-later"]
    assert by_start["items"][0]["distance_m"] < 1 and 60_000 < by_start["items"][1]["distance_m"] < 80_000
    assert by_start["items"][2]["distance_m"] is None
    by_distance = await search(client, **window, order="distance")
    assert [i["event"]["title"] for i in by_distance["items"]] == ["near-first", "near-later", "far-first", "online"]
    first = await search(client, **window, order="distance", limit=2)
    rest = await search(client, **window, order="distance", limit=2, cursor=first["next_cursor"])
    assert [i["event"]["title"] for i in first["items"] + rest["items"]] == [
        i["event"]["title"] for i in by_distance["items"]
    ]
    assert rest["next_cursor"] is None
    paged = await search(client, **window, limit=3)
    tail = await search(client, **window, limit=3, cursor=paged["next_cursor"])
    assert [i["event"]["title"] for i in tail["items"]] == ["near-later"]
    assert [i["event"]["title"] for i in (await search(client, **window, radius=10, unit="km"))["items"]] == [
        "near-first",
        "near-later",
    ]
    assert [i["event"]["title"] for i in (await search(client, **window, online="true"))["items"]] == ["online"]
    assert len((await search(client, **window, online="false"))["items"]) == 3


async def test_language_and_the_category_of_the_service(client):
    resource = await create(client, resource_body(*PORTLAND, name="Harm reduction", categories=("naloxone",)))
    once = {"starts_at": "2027-06-01T17:00:00Z", "ends_at": "2027-06-01T18:00:00Z"}
    await add(client, "at the service", service_id=resource["service"]["id"], languages=["es"], **once)
    await add(client, "elsewhere", languages=["en"], **once)
    window = {"from": "2027-06-01T00:00:00Z", "to": "2027-06-03T00:00:00Z"}
    assert [i["event"]["title"] for i in (await search(client, **window, category="naloxone"))["items"]] == [
        "at the service"
    ]
    assert [i["event"]["title"] for i in (await search(client, **window, language="en"))["items"]] == ["elsewhere"]


async def test_the_window_defaults_to_the_next_30_days(client):
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    far = dt.datetime.now(dt.UTC) + dt.timedelta(days=45)
    for title, at in [("soon", soon), ("far", far)]:
        span = {"starts_at": at.isoformat(), "ends_at": (at + dt.timedelta(hours=1)).isoformat()}
        await add(client, title, **span)
    assert [i["event"]["title"] for i in (await search(client))["items"]] == ["soon"]


async def test_deleted_and_changed_events_leave_and_move(client):
    event = await add(client, "moves", **weekly("FREQ=WEEKLY;BYDAY=MO", "2027-01-04"))
    window = {"from": "2027-01-01T00:00:00Z", "to": "2027-01-15T00:00:00Z"}
    assert len((await search(client, **window))["items"]) == 2
    changed = await client.patch(
        f"/v1/events/{event['id']}", json={"recurrence": "FREQ=WEEKLY;BYDAY=MO,WE"}, headers={**ADMIN, "If-Match": "*"}
    )
    assert changed.status_code == 200, changed.text
    assert len((await search(client, **window))["items"]) == 4
    await client.delete(f"/v1/events/{event['id']}", headers={**ADMIN, "If-Match": "*"})
    assert (await search(client, **window))["items"] == []


async def test_a_search_past_the_horizon_extends_it(client, conn):
    await add(client, "for ever", **weekly("FREQ=WEEKLY;BYDAY=MO", "2027-01-04"))
    await conn.execute("DELETE FROM event_occurrences WHERE starts_at > '2027-06-01'")
    await conn.execute("UPDATE event_expansions SET expanded_until = '2027-06-01'")
    found = await search(client, **{"from": "2027-06-01T00:00:00Z", "to": "2027-06-15T00:00:00Z"})
    # Monday 18:00 in Portland is Tuesday 01:00 UTC: 31 May is in the window, 14 June is not.
    assert [i["starts_at"][:10] for i in found["items"]] == ["2027-05-31", "2027-06-07"]
    assert await conn.fetchval("SELECT expanded_until > '2029-01-01' FROM event_expansions")


async def test_bad_parameters_are_named(client):
    for params, name in [
        ({"from": "tomorrow"}, "from"),
        ({"from": "2027-01-01"}, "from"),
        ({"to": "2027-02-30T00:00:00Z"}, "to"),
        ({"from": "2027-01-02T00:00:00Z", "to": "2027-01-01T00:00:00Z"}, "to"),
        ({"from": "2027-01-01T00:00:00Z", "to": "2028-06-01T00:00:00Z"}, "to"),
        ({"order": "distance"}, "order"),
        ({"from": "9999-12-31T23:00:00-05:00"}, "from"),
        ({"to": "9999-12-31T23:00:00-05:00"}, "to"),
        ({"radius": "5"}, "radius"),
        ({"near": "north"}, "near"),
        ({"language": "english!"}, "language"),
        ({"category": "Not A Slug"}, "category"),
        ({"cursor": "garbage"}, "cursor"),
    ]:
        response = await client.get("/v1/events", params=params)
        assert response.status_code in (400, 422), (params, response.text)
        assert response.json()["invalid_params"][0]["name"] == name, (params, response.text)


async def test_the_window_reads_the_occurrence_index(conn):
    for n in range(600):
        new = EventCreate(
            title=f"e{n}",
            recurrence="FREQ=WEEKLY;BYDAY=" + ("MO", "TU", "WE", "TH", "FR")[n % 5],
            start_date=dt.date(2027, 1, 1),
            start_time=f"{n % 24:02d}:00",
            end_time=f"{(n + 1) % 24:02d}:30",
            latitude=40 + n % 10,
            longitude=-100 - n % 20,
            timezone="America/Chicago",
        )
        await queries.insert_event(conn, new)
    await conn.execute("ANALYZE events; ANALYZE event_occurrences")
    since = dt.datetime(2027, 3, 1, tzinfo=dt.UTC)
    args = [45.0, -100.0, since, since + dt.timedelta(days=1), None, None, None, None, None, None, None, 21]
    plan = json.loads(await conn.fetchval("EXPLAIN (FORMAT JSON) " + queries.SELECT_BY_START, *args))
    scans = {(node["Node Type"], node.get("Index Name")) for node in _nodes(plan[0]["Plan"])}
    assert ("Index Scan", "event_occurrences_start") in scans or (
        "Bitmap Index Scan",
        "event_occurrences_start",
    ) in scans, scans
    assert not any(
        node.get("Relation Name") == "event_occurrences" and node["Node Type"] == "Seq Scan"
        for node in _nodes(plan[0]["Plan"])
    )


def _nodes(node: dict) -> list[dict]:
    return [node, *(n for child in node.get("Plans", []) for n in _nodes(child))]
