"""open_now and open_at: each location's own time zone, overnight spans, DST, validity windows."""

import pytest

from tests.factories import create, resource_body, search

WEEKDAY_9_TO_5 = [{"weekday": 1, "opens_at": "09:00", "closes_at": "17:00"}]


def ids(page: dict) -> list[str]:
    return [item["service"]["name"] for item in page["items"]]


@pytest.mark.parametrize(
    ("instant", "is_open"),
    [
        ("2026-11-30T09:00:00-08:00", True),  # Monday 09:00 in Portland
        ("2026-11-30T16:59:59-08:00", True),
        ("2026-11-30T17:00:00-08:00", False),  # closing time is exclusive
        ("2026-11-30T08:59:00-08:00", False),
        ("2026-11-30T18:30:00Z", True),  # 10:30 Portland, given in UTC
        ("2026-12-01T10:00:00-08:00", False),  # Tuesday
    ],
)
async def test_open_at_in_the_locations_time_zone(client, instant, is_open):
    await create(client, resource_body(45.52, -122.68, name="Clinic", schedules=WEEKDAY_9_TO_5))
    page = await search(client, open_at=instant)
    assert ids(page) == (["Clinic"] if is_open else [])
    item = (await search(client, near="45.52,-122.68"))["items"][0]
    assert (await client.get(f"/v1/resources/{item['id']}")).json()["open_now"] in (True, False)


async def test_each_location_uses_its_own_time_zone(client):
    await create(client, resource_body(40.71, -74.0, name="New York", schedules=WEEKDAY_9_TO_5))
    await create(client, resource_body(34.05, -118.24, name="Los Angeles", schedules=WEEKDAY_9_TO_5))
    await create(client, resource_body(21.31, -157.86, name="Honolulu", schedules=WEEKDAY_9_TO_5))
    assert ids(await search(client, open_at="2026-11-30T15:00:00Z")) == ["New York"]  # 10:00 ET, 07:00 PT
    assert sorted(ids(await search(client, open_at="2026-11-30T18:30:00Z"))) == ["Los Angeles", "New York"]
    assert ids(await search(client, open_at="2026-12-01T01:30:00Z")) == ["Honolulu"]  # Mon 15:30 HST, 17:30 PT


async def test_spans_past_midnight(client):
    overnight = [{"weekday": 5, "opens_at": "22:00", "closes_at": "06:00"}]  # Friday night into Saturday
    await create(client, resource_body(39.29, -76.61, name="Night shelter", schedules=overnight))
    for instant, expected in [
        ("2026-11-27T21:59:00-05:00", False),
        ("2026-11-27T22:00:00-05:00", True),
        ("2026-11-27T23:59:00-05:00", True),
        ("2026-11-28T00:00:00-05:00", True),
        ("2026-11-28T05:59:00-05:00", True),
        ("2026-11-28T06:00:00-05:00", False),
        ("2026-11-29T03:00:00-05:00", False),  # Saturday night: no opening
        ("2026-11-26T23:00:00-05:00", False),  # Thursday night
    ]:
        assert ids(await search(client, open_at=instant)) == (["Night shelter"] if expected else []), instant


async def test_until_midnight_and_all_day(client):
    hours = [
        {"weekday": 3, "opens_at": "18:00", "closes_at": "00:00"},
        {"weekday": 4, "opens_at": "00:00", "closes_at": "24:00"},
    ]
    await create(client, resource_body(39.29, -76.61, name="Line", schedules=hours))
    assert ids(await search(client, open_at="2026-12-02T23:59:00-05:00")) == ["Line"]  # Wednesday
    assert ids(await search(client, open_at="2026-12-03T00:00:00-05:00")) == ["Line"]  # Thursday all day
    assert ids(await search(client, open_at="2026-12-03T23:59:59-05:00")) == ["Line"]
    assert ids(await search(client, open_at="2026-12-04T00:00:00-05:00")) == []


async def test_daylight_saving_time_is_applied(client):
    # US clocks spring forward on 2026-03-08; Monday 2026-03-09 09:30 EDT is 13:30 UTC.
    await create(client, resource_body(40.71, -74.0, name="Clinic", schedules=WEEKDAY_9_TO_5))
    assert ids(await search(client, open_at="2026-03-09T13:30:00Z")) == ["Clinic"]
    assert ids(await search(client, open_at="2026-03-02T13:30:00Z")) == []  # a week earlier that is 08:30 EST
    assert ids(await search(client, open_at="2026-03-02T14:30:00Z")) == ["Clinic"]


async def test_schedule_time_zone_overrides_the_locations(client):
    hours = [{"weekday": 1, "opens_at": "09:00", "closes_at": "17:00", "timezone": "America/New_York"}]
    await create(client, resource_body(45.52, -122.68, name="Phone line", schedules=hours))
    assert ids(await search(client, open_at="2026-11-30T14:30:00Z")) == ["Phone line"]  # 09:30 New York


async def test_validity_windows(client):
    hours = [
        {"weekday": 1, "opens_at": "09:00", "closes_at": "17:00", "valid_from": "2026-12-01", "valid_to": "2026-12-31"}
    ]
    await create(client, resource_body(45.52, -122.68, name="Winter only", schedules=hours))
    assert ids(await search(client, open_at="2026-11-30T10:00:00-08:00")) == []
    assert ids(await search(client, open_at="2026-12-07T10:00:00-08:00")) == ["Winter only"]
    assert ids(await search(client, open_at="2027-01-04T10:00:00-08:00")) == []


async def test_open_now_field_is_null_without_hours_and_matches_open_at(client):
    await create(client, resource_body(45.52, -122.68, name="No hours"))
    await create(client, resource_body(45.52, -122.68, name="Clinic", schedules=WEEKDAY_9_TO_5))
    page = await search(client, near="45.52,-122.68", open_at="2026-11-30T10:00:00-08:00")
    assert [(item["service"]["name"], item["open_now"]) for item in page["items"]] == [("Clinic", True)]
    page = await search(client, near="45.52,-122.68")
    by_name = {item["service"]["name"]: item["open_now"] for item in page["items"]}
    assert by_name["No hours"] is None
    assert by_name["Clinic"] in (True, False)


async def test_open_now_filters_by_the_current_time(client):
    always = [{"weekday": day, "opens_at": "00:00", "closes_at": "24:00"} for day in range(1, 8)]
    await create(client, resource_body(45.52, -122.68, name="Always", schedules=always))
    await create(client, resource_body(45.52, -122.68, name="Never listed hours"))
    assert ids(await search(client, open_now="true")) == ["Always"]
    assert len((await search(client, open_now="false"))["items"]) == 2


async def test_service_and_location_hours_apply_when_the_resource_has_none(client):
    created = await create(client, resource_body(45.52, -122.68, name="Clinic"))
    location_id, service_id = created["location"]["id"], created["service"]["id"]
    from tests.conftest import ANY_VERSION

    await client.patch(f"/v1/locations/{location_id}", json={"schedules": WEEKDAY_9_TO_5}, headers=ANY_VERSION)
    assert ids(await search(client, open_at="2026-11-30T10:00:00-08:00")) == ["Clinic"]
    service_hours = [{"weekday": 2, "opens_at": "09:00", "closes_at": "17:00"}]
    await client.patch(f"/v1/services/{service_id}", json={"schedules": service_hours}, headers=ANY_VERSION)
    assert ids(await search(client, open_at="2026-11-30T10:00:00-08:00")) == []  # the service's hours win
    assert ids(await search(client, open_at="2026-12-01T10:00:00-08:00")) == ["Clinic"]


async def test_sunday_night_span_wraps_into_monday_morning(client):
    hours = [{"weekday": 7, "opens_at": "21:00", "closes_at": "05:00"}]
    await create(client, resource_body(45.52, -122.68, name="Weekend van", schedules=hours))
    for instant, expected in [
        ("2026-11-29T20:59:00-08:00", False),
        ("2026-11-29T21:00:00-08:00", True),  # Sunday evening
        ("2026-11-30T00:00:00-08:00", True),
        ("2026-11-30T04:59:59-08:00", True),  # Monday small hours
        ("2026-11-30T05:00:00-08:00", False),
        ("2026-11-23T03:00:00-08:00", True),  # the Monday before
        ("2026-11-24T03:00:00-08:00", False),
    ]:
        assert ids(await search(client, open_at=instant)) == (["Weekend van"] if expected else []), instant
