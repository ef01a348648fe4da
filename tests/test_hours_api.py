"""Hours that fit the field: closes_at / opens_next_at / today's hours, DST, holidays, one-off hours."""

import pytest

from tests.conftest import ADMIN
from tests.factories import resource_body

PORTLAND = (45.5231, -122.6765)
NIGHTLY = [{"weekday": day, "opens_at": "18:00", "closes_at": "08:00"} for day in range(1, 8)]


async def make(client, name: str, schedules: list[dict], offset: float = 0.0) -> dict:
    body = resource_body(PORTLAND[0] + offset, PORTLAND[1], name=name, schedules=schedules)
    response = await client.post("/v1/resources", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return response.json()


async def at(client, instant: str, **params) -> dict[str, dict]:
    response = await client.get(
        "/v1/resources", params={"near": f"{PORTLAND[0]},{PORTLAND[1]}", "at": instant, **params}
    )
    assert response.status_code == 200, response.text
    return {item["service"]["name"]: item for item in response.json()["items"]}


@pytest.mark.parametrize(
    "instant, open_now, closes_at, opens_next_at",
    [
        ("2026-11-27T23:30:00-08:00", True, "2026-11-28T08:00:00-08:00", None),
        ("2026-11-28T07:59:00-08:00", True, "2026-11-28T08:00:00-08:00", None),
        ("2026-11-28T10:00:00-08:00", False, None, "2026-11-28T22:00:00-08:00"),  # a Saturday: 22:00
        # The night US daylight time ends: open 22:00 PDT, closes 06:00 PST (nine hours later).
        ("2026-10-31T23:00:00-07:00", True, "2026-11-01T06:00:00-08:00", None),
        # The night daylight time starts (Saturday 22:00 PST until Sunday 06:00 PDT).
        ("2026-03-08T01:00:00-08:00", True, "2026-03-08T06:00:00-07:00", None),
    ],
)
async def test_overnight_hours_say_when_they_close_and_open(client, instant, open_now, closes_at, opens_next_at):
    await make(
        client, "Night Shelter", [*NIGHTLY[:5], {"weekday": 6, "opens_at": "22:00", "closes_at": "06:00"}, NIGHTLY[6]]
    )
    item = (await at(client, instant))["Night Shelter"]
    assert (item["open_now"], item["closes_at"], item["opens_next_at"]) == (open_now, closes_at, opens_next_at)


async def test_hours_today_and_a_place_that_never_closes(client):
    await make(
        client,
        "Split Clinic",
        [
            {"weekday": 5, "opens_at": "09:00", "closes_at": "12:00"},
            {"weekday": 5, "opens_at": "13:00", "closes_at": "17:00"},
        ],
    )
    await make(
        client, "Always Open", [{"weekday": d, "opens_at": "00:00", "closes_at": "24:00"} for d in range(1, 8)], 0.001
    )
    found = await at(client, "2026-11-27T12:30:00-08:00")  # a Friday, over lunch
    clinic = found["Split Clinic"]
    assert clinic["hours_today"] == [
        {"opens_at": "09:00", "closes_at": "12:00"},
        {"opens_at": "13:00", "closes_at": "17:00"},
    ]
    assert (clinic["open_now"], clinic["opens_next_at"]) == (False, "2026-11-27T13:00:00-08:00")
    always = found["Always Open"]
    assert (always["open_now"], always["closes_at"], always["hours_today"]) == (
        True,
        None,
        [{"opens_at": "00:00", "closes_at": "24:00"}],
    )


async def test_holidays_and_one_off_hours(client):
    made = await make(client, "Night Shelter", NIGHTLY)
    location, service = made["location"]["id"], made["service"]["id"]
    closed = await client.put(
        f"/v1/locations/{location}/exceptions", headers=ADMIN, json=[{"date": "2026-12-25", "description": "Christmas"}]
    )
    assert closed.status_code == 200 and closed.json()[0]["closed"] is True
    special = await client.put(
        f"/v1/services/{service}/exceptions",
        headers=ADMIN,
        json=[{"date": "2026-12-31", "opens_at": "20:00", "closes_at": "02:00", "description": "New Year's Eve"}],
    )
    assert special.json()[0] | {"id": None} == {
        "id": None,
        "date": "2026-12-31",
        "closed": False,
        "opens_at": "20:00",
        "closes_at": "02:00",
        "description": "New Year's Eve",
    }
    # Christmas Eve's night still runs into Christmas morning; Christmas night is closed.
    assert (await at(client, "2026-12-25T07:00:00-08:00"))["Night Shelter"]["open_now"] is True
    christmas = (await at(client, "2026-12-25T20:00:00-08:00"))["Night Shelter"]
    assert (christmas["open_now"], christmas["opens_next_at"], christmas["hours_today"]) == (
        False,
        "2026-12-26T18:00:00-08:00",
        [],
    )
    filtered = await client.get(
        "/v1/resources", params={"near": f"{PORTLAND[0]},{PORTLAND[1]}", "open_at": "2026-12-25T20:00:00-08:00"}
    )
    assert filtered.json()["items"] == []  # open_at filters
    eve = (await at(client, "2026-12-31T19:00:00-08:00"))["Night Shelter"]
    # Closed at 19:00: the one-off hours replace that day's 18:00-08:00.
    assert (eve["open_now"], eve["opens_next_at"]) == (False, "2026-12-31T20:00:00-08:00")
    night = (await at(client, "2027-01-01T01:00:00-08:00"))["Night Shelter"]
    assert (night["open_now"], night["closes_at"]) == (True, "2027-01-01T02:00:00-08:00")
    listed = (await client.get(f"/v1/services/{service}/exceptions")).json()
    assert [e["date"] for e in listed] == ["2026-12-31"]
    cleared = await client.put(f"/v1/services/{service}/exceptions", headers=ADMIN, json=[])
    assert cleared.json() == []


async def test_bad_exceptions(client):
    made = await make(client, "Somewhere", NIGHTLY)
    url = f"/v1/services/{made['service']['id']}/exceptions"
    assert (await client.put(url, json=[])).status_code == 401
    for body in (
        [{"date": "2026-12-25", "opens_at": "10:00"}],
        [{"date": "2026-13-01"}],
        [{"date": "2026-12-25", "opens_at": "10:00", "closes_at": "10:00"}],
        {"date": "2026-12-25"},
    ):
        response = await client.put(url, json=body, headers=ADMIN)
        assert response.status_code in (400, 422), body
    missing = await client.put("/v1/locations/00000000-0000-4000-8000-000000000000/exceptions", json=[], headers=ADMIN)
    assert missing.status_code == 404
