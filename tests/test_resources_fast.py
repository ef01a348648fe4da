"""The plain search's shortcut past the router answers exactly as the route does, and leaves it the rest."""

import datetime as dt

import pytest

from service.routes.resources import SHORTCUT
from service.routes.shortcuts import plain_arguments

PORTLAND = "45.5231,-122.6765"
# Searches the shortcut answers: every parameter it reads, alone and together, on the seed data.
PLAIN = [
    f"near={PORTLAND}",
    f"near={PORTLAND}&limit=5",
    f"near={PORTLAND}&radius=3&unit=km",
    f"near={PORTLAND}&radius=2.5",
    "zip=97201",
    f"near={PORTLAND}&category=naloxone&category=emergency-shelter",
    f"near={PORTLAND}&category=naloxone,syringe-services&open_now=true",
    f"near={PORTLAND}&attribute=no-id-required&attribute=pets-allowed",
    f"near={PORTLAND}&q=naloxone",
    f"near={PORTLAND}&q=narcan+kits",
    f"near={PORTLAND}&q=shelt%C3%A9r",
    f"near={PORTLAND}&open_at=2026-12-02T02%3A00%3A00-08%3A00",
    f"near={PORTLAND}&open_at=2026-12-02T10:00:00Z",
    f"near={PORTLAND}&at=2026-12-05T23:30:00.250-08:00",
    f"near={PORTLAND}&open_now=false&status=active&status=temporarily%20closed",
    f"near={PORTLAND}&age=17&cost=free&language=es&gender=women",
    f"near={PORTLAND}&has_capacity=bed&capacity_max_age=6h",
    f"near={PORTLAND}&verified_within=90d",
    "q=shelter",
    "category=naloxone&limit=3",
    "limit=100",
]
# Searches it leaves to the route, in forms it does not read.
ROUTED = [
    f"near={PORTLAND}&limit=0",
    f"near={PORTLAND}&limit=101",
    f"near={PORTLAND}&limit=05",
    f"near={PORTLAND}&limit=",
    f"near={PORTLAND}&radius=-1",
    f"near={PORTLAND}&radius=1e3",
    f"near={PORTLAND}&unit=miles",
    f"near={PORTLAND}&open_now=yes",
    f"near={PORTLAND}&open_now=True",
    f"near={PORTLAND}&open_at=2026-12-02",
    f"near={PORTLAND}&open_at=2026-12-02T02:00:00",
    f"near={PORTLAND}&open_at=0.5",
    f"near={PORTLAND}&status=closed",
    f"near={PORTLAND}&cost=cheap",
    f"near={PORTLAND}&gender=any",
    f"near={PORTLAND}&age=131",
    f"near={PORTLAND}&has_capacity=Bed",
    f"near={PORTLAND}&near=1,1",
    f"near={PORTLAND}&format=geojson",
    f"near={PORTLAND}&bbox=-123,45,-122,46",
    f"near={PORTLAND}&address=Portland",
    f"near={PORTLAND}&q=" + "a" * 201,
    f"near={PORTLAND}&key=secret",
    "near=" + "1" * 101,
]
# Searches it reads and read_request refuses: the route reads them again and names the problem.
REFUSED = [
    f"near={PORTLAND}&zip=97201",
    f"near={PORTLAND}&cursor=not-a-cursor",
    "near=91,0",
    "near=here",
    "zip=00000",
    f"near={PORTLAND}&category=no-such-category",
    f"near={PORTLAND}&language=spanish",
    f"near={PORTLAND}&open_now=true&open_at=2026-12-02T10:00:00Z",
]
# Headers of an answer that differ between any two requests.
VARYING = {"x-request-id", "ratelimit-remaining", "ratelimit-reset", "date"}
PLAIN_HEADERS = {"accept-encoding": "identity"}


def _comparable(response):
    headers = sorted((name, value) for name, value in response.headers.multi_items() if name not in VARYING)
    return response.status_code, headers, response.content


@pytest.mark.parametrize("query", PLAIN + ROUTED + REFUSED)
async def test_answers_as_the_route_does(seeded_client, query):
    # An extra parameter (ignored by the route) is one the shortcut does not read: that request
    # is the route's own answer.
    assert plain_arguments(f"{query}&by=route".encode(), SHORTCUT) is None
    shortcut = await seeded_client.get(f"/v1/resources?{query}", headers=PLAIN_HEADERS)
    route = await seeded_client.get(f"/v1/resources?{query}&by=route", headers=PLAIN_HEADERS)
    assert _comparable(shortcut) == _comparable(route)
    # The same again with a conditional and a compressed request: both the route's.
    etag = shortcut.headers.get("etag")
    if etag is not None:
        again = await seeded_client.get(f"/v1/resources?{query}", headers={**PLAIN_HEADERS, "if-none-match": etag})
        assert again.status_code == 304
        assert again.headers["etag"] == etag


def test_reads_what_it_answers_and_nothing_else():
    for query in PLAIN:
        assert plain_arguments(query.encode(), SHORTCUT) is not None, query
    for query in ROUTED:
        assert plain_arguments(query.encode(), SHORTCUT) is None, query
    for query in REFUSED:
        assert plain_arguments(query.encode(), SHORTCUT) is not None, query
    arguments = plain_arguments(
        b"near=1,2&zip=97201x&limit=7&radius=2.50&open_at=2026-12-02T10:00:00Z&status=temporarily+closed"
        b"&category=a,b&category=c&age=0",
        SHORTCUT,
    )
    assert arguments == {
        "near": "1,2",
        "zip_code": "97201x",
        "limit": 7,
        "radius": 2.5,
        "open_at": dt.datetime(2026, 12, 2, 10, tzinfo=dt.UTC),
        "status": ["temporarily closed"],
        "category": ["a,b", "c"],
        "age": 0,
    }


async def test_leaves_compressed_and_geojson_answers_to_the_route(seeded_client):
    compressed = await seeded_client.get(f"/v1/resources?near={PORTLAND}", headers={"accept-encoding": "br"})
    assert compressed.headers["content-encoding"] == "br"
    assert compressed.headers["etag"].endswith('-br"')
    geojson = await seeded_client.get(
        f"/v1/resources?near={PORTLAND}", headers={**PLAIN_HEADERS, "accept": "application/geo+json"}
    )
    assert geojson.headers["content-type"] == "application/geo+json"
    assert geojson.json()["type"] == "FeatureCollection"


async def test_head_and_metrics_as_the_route(seeded_client):
    head = await seeded_client.head(f"/v1/resources?near={PORTLAND}", headers=PLAIN_HEADERS)
    get = await seeded_client.get(f"/v1/resources?near={PORTLAND}", headers=PLAIN_HEADERS)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == get.headers["etag"]
    assert head.headers["content-length"] == get.headers["content-length"]
    metrics = (await seeded_client.get("/metrics")).text
    assert 'commonground_http_requests_total{method="GET",route="/v1/resources",status="200"}' in metrics
