"""The plain meeting search's shortcut past the router answers exactly as the route does, and leaves it the rest."""

import pytest

from service.routes.meetings import SHORTCUT
from service.routes.shortcuts import plain_arguments
from tests.conftest import ADMIN

NEAR = "near=45.52,-122.68"
FRIDAY = "at=2026-11-27T18:00:00-08:00"
# Searches the shortcut answers: every parameter it reads, alone and together.
PLAIN = [
    NEAR,
    f"{NEAR}&starts_within=3h&{FRIDAY}",
    f"{NEAR}&starts_within=90m&at=2026-11-28T02:00:00Z",
    f"{NEAR}&limit=2",
    f"{NEAR}&online=true",
    f"{NEAR}&online=false&{FRIDAY}",
    f"{NEAR}&day=5&day=6",
    f"{NEAR}&time_from=18:00&time_to=21:00",
    f"{NEAR}&time_from=22:00&time_to=02:00",
    f"{NEAR}&types=open,wheelchair",
    f"{NEAR}&types=open&types=speaker",
    f"{NEAR}&language=es",
    f"starts_within=5h&{FRIDAY}",
    FRIDAY,
    "limit=100",
]
# Searches it leaves to the route, in forms it does not read.
ROUTED = [
    f"{NEAR}&limit=0",
    f"{NEAR}&limit=101",
    f"{NEAR}&limit=05",
    f"{NEAR}&online=yes",
    f"{NEAR}&online=True",
    f"{NEAR}&day=0",
    f"{NEAR}&day=8",
    f"{NEAR}&at=2026-11-27",
    f"{NEAR}&at=2026-11-27T18:00:00",
    f"{NEAR}&at=0.5",
    f"{NEAR}&starts_within=",
    f"{NEAR}&near=1,1",
    f"{NEAR}&starts_within=3h&starts_within=2h",
    f"{NEAR}&time_from=18:00:00",
    f"{NEAR}&format=json",
    "near=" + "1" * 101,
]
# Searches it reads and the search refuses: the route reads them again and names the problem.
REFUSED = [
    "near=91,0",
    "near=here",
    f"{NEAR}&starts_within=soon",
    f"{NEAR}&starts_within=8d",
    f"{NEAR}&time_from=25:00",
    f"{NEAR}&types=vip",
    f"{NEAR}&language=Spanish",
    f"{NEAR}&cursor=not-a-cursor",
]
VARYING = {"x-request-id", "ratelimit-remaining", "ratelimit-reset", "date"}
PLAIN_HEADERS = {"accept-encoding": "identity"}


@pytest.fixture
async def meetings(client):
    place = {"name": "Safe house", "latitude": 45.51234, "longitude": -122.65678, "confidential": True}
    place["address"] = {"address_1": "99 Hidden Ln", "city": "Portland"}
    location = (await client.post("/v1/locations", json=place, headers=ADMIN)).json()
    common = {"timezone": "America/Los_Angeles"}
    bodies = [
        {"slug": "hidden", "days": [5], "start_time": "19:00", "location_id": location["id"], "types": ["open"]},
        {"slug": "near", "days": [5, 6], "start_time": "18:30", "latitude": 45.52, "longitude": -122.68},
        {
            "slug": "speaker",
            "days": [5],
            "start_time": "20:00",
            "latitude": 45.53,
            "longitude": -122.66,
            "types": ["open", "speaker", "wheelchair"],
            "languages": ["es"],
        },
        {
            "slug": "late",
            "days": [5],
            "start_time": "23:30",
            "latitude": 45.50,
            "longitude": -122.70,
            "duration_minutes": 90,
        },
        {"slug": "zoom", "days": [5], "start_time": "19:30", "conference_url": "https://zoom.example/j/1"},
        {
            "slug": "both",
            "days": [1, 5],
            "start_time": "18:00",
            "latitude": 45.55,
            "longitude": -122.6,
            "conference_phone": "+1-503-555-0100",
            "contacts": [{"name": "Mary Ann Smith"}],
        },
    ]
    for body in bodies:
        response = await client.post("/v1/meetings", json={"name": body["slug"], **common, **body}, headers=ADMIN)
        assert response.status_code == 201, response.text


def _comparable(response):
    headers = sorted((name, value) for name, value in response.headers.multi_items() if name not in VARYING)
    return response.status_code, headers, response.content


@pytest.mark.parametrize("caller", [{}, ADMIN], ids=["public", "admin"])
@pytest.mark.parametrize("query", PLAIN + ROUTED + REFUSED)
async def test_answers_as_the_route_does(client, meetings, query, caller):
    # An extra parameter (ignored by the route) is one the shortcut does not read: that request
    # is the route's own answer.
    assert plain_arguments(f"{query}&by=route".encode(), SHORTCUT) is None
    shortcut = await client.get(f"/v1/meetings?{query}", headers={**PLAIN_HEADERS, **caller})
    route = await client.get(f"/v1/meetings?{query}&by=route", headers={**PLAIN_HEADERS, **caller})
    assert _comparable(shortcut) == _comparable(route)
    if query in PLAIN:
        assert shortcut.status_code == 200, shortcut.text
    # The same again conditionally: the route's 304.
    if (etag := shortcut.headers.get("etag")) is not None:
        again = await client.get(f"/v1/meetings?{query}", headers={**PLAIN_HEADERS, **caller, "if-none-match": etag})
        assert again.status_code == 304 and again.headers["etag"] == etag


async def test_confidential_places_only_to_those_who_may_see_them(client, meetings):
    public = (await client.get(f"/v1/meetings?{NEAR}", headers=PLAIN_HEADERS)).text
    admin = (await client.get(f"/v1/meetings?{NEAR}", headers={**PLAIN_HEADERS, **ADMIN})).text
    assert "Hidden" not in public and "99 Hidden Ln" in admin
    assert "Smith" not in public + admin


async def test_pages_through_the_shortcut_as_through_the_route(client, meetings):
    seen, path = [], f"/v1/meetings?{NEAR}&limit=2"
    while path:
        page = (await client.get(path, headers=PLAIN_HEADERS)).json()
        seen += [item["slug"] for item in page["items"]]
        path = page["next_cursor"] and f"/v1/meetings?{NEAR}&limit=2&cursor={page['next_cursor']}"
    every = (await client.get(f"/v1/meetings?{NEAR}&limit=100&by=route", headers=PLAIN_HEADERS)).json()["items"]
    assert seen == [item["slug"] for item in every] and len(seen) == 6


def test_reads_what_it_answers_and_nothing_else():
    for query in PLAIN + REFUSED:
        assert plain_arguments(query.encode(), SHORTCUT) is not None, query
    for query in ROUTED:
        assert plain_arguments(query.encode(), SHORTCUT) is None, query
    assert plain_arguments(b"near=1,2&day=5&day=1&types=a,b&online=false&limit=7", SHORTCUT) == {
        "near": "1,2",
        "day": [5, 1],
        "types": ["a,b"],
        "online": False,
        "limit": 7,
    }


async def test_compressed_answers_and_metrics_as_the_route(client, meetings):
    compressed = await client.get(f"/v1/meetings?{NEAR}&limit=100", headers={"accept-encoding": "gzip"})
    assert compressed.headers["content-encoding"] == "gzip"
    await client.get(f"/v1/meetings?{NEAR}", headers=PLAIN_HEADERS)
    metrics = (await client.get("/metrics")).text
    assert 'commonground_http_requests_total{method="GET",route="/v1/meetings",status="200"}' in metrics
