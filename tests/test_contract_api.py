"""The contract's HTTP details: Allow on OPTIONS and 405, HEAD, date-times that must look like date-times."""


async def test_options_and_405_list_every_method_of_the_path(client):
    for path, methods in [
        ("/v1/locations", "GET, HEAD, OPTIONS, POST"),
        ("/v1/category-mappings", "DELETE, GET, HEAD, OPTIONS, POST"),
        ("/v1/keys/00000000-0000-4000-8000-000000000000", "DELETE, GET, HEAD, OPTIONS"),
    ]:
        options = await client.options(path)
        assert options.status_code == 204 and options.headers["allow"] == methods, (path, options.headers)
    refused = await client.put("/v1/locations")
    assert refused.status_code == 405 and refused.headers["allow"] == "GET, HEAD, OPTIONS, POST"
    assert refused.headers["content-type"] == "application/problem+json"


async def test_head_answers_every_get_with_its_headers_and_no_body(client):
    for path in [
        "/v1/resources?near=45.52,-122.68&limit=3",
        "/v1/categories",
        "/hsds/services",
        "/v1/exports/hsds.zip",
        "/v1/resources?zip=999",  # a 422 too: the same problem headers, no body
        "/v1/nowhere",
    ]:
        got = await client.get(path)
        head = await client.head(path)
        assert head.status_code == got.status_code, path
        assert head.content == b"", path
        for name in ("content-type", "etag", "cache-control", "vary", "x-ratelimit-limit"):
            assert head.headers.get(name) == got.headers.get(name), (path, name)
    etag = (await client.get("/v1/categories")).headers["etag"]
    assert (await client.head("/v1/categories", headers={"If-None-Match": etag})).status_code == 304


async def test_date_time_parameters_must_be_written_as_date_times(client):
    for path, name in [
        ("/v1/resources?zip=97201&at=0.5", "at"),
        ("/v1/resources?zip=97201&open_at=12", "open_at"),
        ("/hsds/services?modified_after=1700000000", "modified_after"),
    ]:
        response = await client.get(path)
        assert response.status_code == 422 and response.json()["invalid_params"][0]["name"] == name, path
    assert (await client.get("/v1/resources?zip=97201&at=2026-11-27T23:30:00-08:00")).status_code == 200


async def test_body_values_must_have_the_declared_json_type(client):
    from tests.conftest import ADMIN

    for body, name in [
        ({"name": "x", "latitude": "45.5", "longitude": -122.6}, "latitude"),
        ({"name": "x", "latitude": 45.5, "longitude": -122.6, "confidential": "false"}, "confidential"),
        ({"name": "x", "phones": [{"number": 5035550100}]}, "phones[0].number"),
    ]:
        response = await client.post("/v1/locations", json=body, headers=ADMIN)
        assert response.status_code == 422, body
        assert response.json()["invalid_params"][0]["name"] == name, response.json()
    assert (
        await client.post("/v1/locations", json={"name": "x", "latitude": 45.5, "longitude": -122.6}, headers=ADMIN)
    ).status_code == 201


async def _stalled_post(base: str, headers: str) -> tuple[bytes, float]:
    """POST a body that stops after 10 of its 100 bytes: the answer, and how long it took."""
    import asyncio
    import time
    from urllib.parse import urlsplit

    address = urlsplit(base)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    started = time.monotonic()
    writer.write(
        b"POST /v1/locations HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        + headers.encode()
        + b"Content-Length: 100\r\n\r\n"
        + b'{"name": "'
    )
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(65_536), timeout=10)
    writer.close()
    return answer, time.monotonic() - started


async def test_a_body_that_stops_arriving_gets_408_and_changes_nothing(db_url, conn):
    import json

    from tests.conftest import ADMIN_KEY, make_settings, serving

    auth = f"Authorization: Bearer {ADMIN_KEY}\r\n"
    async with serving(make_settings(db_url, body_timeout_s=0.5)) as base:
        for headers in (auth, auth + "Idempotency-Key: stalled-1\r\n"):
            answer, seconds = await _stalled_post(base, headers)
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 408"), answer
            assert b"content-type: application/problem+json" in head.lower()
            assert "stopped arriving" in json.loads(body)["detail"]
            assert 0.4 < seconds < 5
    assert await conn.fetchval("SELECT count(*) FROM locations") == 0
