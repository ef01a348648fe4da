"""GET /v1/resources?include=meetings,events: meetings and event occurrences beside the services."""

import msgspec

from schemas.resources import ResourcePage
from tests.conftest import ADMIN
from tests.factories import create, resource_body

PORTLAND = "45.52,-122.68"
# A Friday evening (2027-01-15 is ISO weekday 5) in Portland.
FRIDAY_EVENING = "2027-01-15T18:00:00-08:00"


async def meeting(client, slug: str, days: list[int], start: str, where=(45.52, -122.68), **fields) -> dict:
    body: dict = {"name": slug, "slug": slug, "days": days, "start_time": start, **fields}
    if where is not None:
        body["latitude"], body["longitude"] = where
    response = await client.post("/v1/meetings", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return response.json()


async def event(client, title: str, starts_at: str, ends_at: str, where=(45.52, -122.68), **fields) -> dict:
    body: dict = {"title": title, "starts_at": starts_at, "ends_at": ends_at, **fields}
    if where is not None:
        body["latitude"], body["longitude"] = where
    response = await client.post("/v1/events", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return response.json()


async def page(client, **params) -> dict:
    response = await client.get("/v1/resources", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    msgspec.json.decode(response.content, type=ResourcePage, strict=True)  # the published contract
    return response.json()


def names(included: list[dict]) -> list[tuple[str, str]]:
    return [(i["kind"], i["slug"] if i["kind"] == "meeting" else i["event"]["title"]) for i in included]


async def tonight_near_portland(client) -> None:
    """Two services; meetings and events in and out of a Friday evening's twelve hours, at several distances."""
    await create(client, resource_body(45.52, -122.68, "Clinic"))
    await create(client, resource_body(45.53, -122.68, "Shelter"))
    await meeting(client, "near", [5], "19:00", where=(45.529, -122.68))  # 1 km
    await meeting(client, "far", [5], "21:00", where=(45.61, -122.68))  # 10 km
    await meeting(
        client,
        "online",
        [5],
        "20:00",
        where=None,
        timezone="America/Los_Angeles",
        conference_url="https://zoom.example/j/1",
    )
    await meeting(client, "saturday-evening", [6], "19:00", where=(45.521, -122.68))  # a day after: outside
    await event(client, "clinic night", "2027-01-16T04:00:00Z", "2027-01-16T05:00:00Z", where=(45.565, -122.68))  # 5 km
    await event(client, "next week", "2027-01-23T04:00:00Z", "2027-01-23T05:00:00Z", where=(45.52, -122.68))
    await event(
        client,
        "webinar",
        "2027-01-16T06:00:00Z",
        "2027-01-16T07:00:00Z",
        where=None,
        timezone="America/Los_Angeles",
        online_url="https://meet.example/j/1",
    )


async def test_without_include_the_answer_is_as_before(client):
    await tonight_near_portland(client)
    plain = await client.get("/v1/resources", params={"near": PORTLAND, "at": FRIDAY_EVENING})
    assert plain.status_code == 200
    assert b'"kind"' not in plain.content and b'"included"' not in plain.content
    assert set(plain.json()) == {"items", "next_cursor", "origin"}
    # Through the route rather than its shortcut (a parameter the shortcut does not read), byte for byte the same.
    routed = await client.get("/v1/resources", params={"near": PORTLAND, "at": FRIDAY_EVENING, "format": "json"})
    assert routed.content == plain.content
    # With include, the services are the same items, each marked a service.
    both = await page(client, near=PORTLAND, at=FRIDAY_EVENING, include="meetings,events")
    assert both["items"] == [{**item, "kind": "service"} for item in plain.json()["items"]]
    assert (both["next_cursor"], both["origin"]) == (plain.json()["next_cursor"], plain.json()["origin"])


async def test_tonight_near_here_in_one_list_nearest_first_online_last(client):
    await tonight_near_portland(client)
    found = await page(client, near=PORTLAND, at=FRIDAY_EVENING, include="meetings,events")
    assert [item["service"]["name"] for item in found["items"]] == ["Clinic", "Shelter"]
    assert names(found["included"]) == [
        ("meeting", "near"),
        ("event", "clinic night"),
        ("meeting", "far"),
        ("meeting", "online"),  # no distance: after every place, by start (20:00) ...
        ("event", "webinar"),  # ... then 22:00
    ]
    near, clinic, far, online, webinar = found["included"]
    assert 900 < near["distance_m"] < 1100 and 4500 < clinic["distance_m"] < 5500 and far["distance_m"] > 9000
    assert online["distance_m"] is None and webinar["distance_m"] is None
    assert (near["next_start"], near["status"]) == ("2027-01-15T19:00:00-08:00", "starting in 1 h")
    assert (clinic["starts_at"], webinar["starts_at"]) == ("2027-01-15T20:00:00-08:00", "2027-01-15T22:00:00-08:00")
    # One kind alone, repeated or comma-separated, and a shorter window.
    meetings = await page(client, near=PORTLAND, at=FRIDAY_EVENING, include="meetings")
    assert names(meetings["included"]) == [("meeting", "near"), ("meeting", "far"), ("meeting", "online")]
    soon = await page(client, near=PORTLAND, at=FRIDAY_EVENING, include=["meetings", "events"], starts_within="150m")
    assert names(soon["included"]) == [("meeting", "near"), ("event", "clinic night"), ("meeting", "online")]
    # A radius keeps only what has a place within it.
    close = await page(client, near=PORTLAND, at=FRIDAY_EVENING, include="meetings,events", radius=4, unit="km")
    assert names(close["included"]) == [("meeting", "near")]
    # Up to limit included items, the nearest.
    few = await page(client, near=PORTLAND, at=FRIDAY_EVENING, include="meetings,events", limit=2)
    assert names(few["included"]) == [("meeting", "near"), ("event", "clinic night")]


async def test_the_included_list_is_on_the_first_page_only(client):
    await tonight_near_portland(client)
    first = await page(client, near=PORTLAND, at=FRIDAY_EVENING, include="meetings,events", limit=1)
    assert [item["service"]["name"] for item in first["items"]] == ["Clinic"] and len(first["included"]) == 1
    second = await page(
        client, near=PORTLAND, at=FRIDAY_EVENING, include="meetings,events", limit=1, cursor=first["next_cursor"]
    )
    assert [(item["kind"], item["service"]["name"]) for item in second["items"]] == [("service", "Shelter")]
    assert second["included"] == [] and second["next_cursor"] is None


async def test_refusals_name_the_parameter(client):
    cases = [
        ({"near": PORTLAND, "include": "parties"}, "include"),
        ({"near": PORTLAND, "include": ","}, "include"),
        ({"q": "naloxone", "include": "meetings"}, "include"),
        ({"near": PORTLAND, "starts_within": "3h"}, "starts_within"),
        ({"near": PORTLAND, "include": "meetings", "starts_within": "8d"}, "starts_within"),
        ({"near": PORTLAND, "include": "meetings", "starts_within": "soon"}, "starts_within"),
        ({"near": PORTLAND, "include": "events", "format": "geojson"}, "include"),
        ({"near": PORTLAND, "include": "events", "at": "2099-01-01T00:00:00Z"}, "at"),
    ]
    for params, field in cases:
        response = await client.get("/v1/resources", params=params)
        assert response.status_code == 422, (params, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["invalid_params"][0]["name"] == field, (params, response.text)


async def test_a_confidential_place_shows_only_its_rounded_point(client):
    place = {"name": "Safe house", "latitude": 45.51234, "longitude": -122.65678, "confidential": True}
    place["address"] = {"address_1": "99 Hidden Ln", "city": "Portland"}
    location = (await client.post("/v1/locations", json=place, headers=ADMIN)).json()
    await meeting(client, "safe-meeting", [5], "19:00", where=None, location_id=location["id"])
    await event(
        client, "safe clinic", "2027-01-16T04:00:00Z", "2027-01-16T05:00:00Z", where=None, location_id=location["id"]
    )
    found = await page(client, near="45.5123,-122.6568", at=FRIDAY_EVENING, include="meetings,events")
    assert sorted(names(found["included"])) == [("event", "safe clinic"), ("meeting", "safe-meeting")]
    assert "Hidden" not in str(found) and "45.51234" not in str(found)
    places = [i["place"] if i["kind"] == "meeting" else i["event"]["place"] for i in found["included"]]
    assert [(p["latitude"], p["longitude"], p["approximate"], p["address_1"]) for p in places] == [
        (45.51, -122.66, True, None)
    ] * 2
    # Distances are measured from the rounded point, as for the location itself.
    assert all(i["distance_m"] > 100 for i in found["included"])
    admin = await client.get(
        "/v1/resources",
        params={"near": "45.5123,-122.6568", "at": FRIDAY_EVENING, "include": "meetings"},
        headers=ADMIN,
    )
    assert admin.json()["included"][0]["place"]["address_1"] == "99 Hidden Ln"
