"""Request ids, access logs and CORS."""

import json
import logging
import re

from litestar.testing import AsyncTestClient

from service.app import create_app
from service.config import load_settings
from tests.conftest import make_settings


async def test_request_ids_are_echoed_or_made_and_logged(client, caplog):
    with caplog.at_level(logging.INFO, logger="commonground.access"):
        mine = await client.get("/v1/categories", headers={"X-Request-ID": "partner-42.a_b"})
        made = await client.get("/v1/categories")
        hostile = await client.get("/v1/categories", headers={"X-Request-ID": "bad id\r\nSet-Cookie: x"})
        missing = await client.get("/v1/nothing-here")
    assert mine.headers["x-request-id"] == "partner-42.a_b"
    assert len(made.headers["x-request-id"]) == 32
    assert hostile.headers["x-request-id"] != "bad id" and len(hostile.headers["x-request-id"]) == 32
    assert missing.status_code == 404 and missing.headers["x-request-id"]
    lines = [json.loads(record.getMessage()) for record in caplog.records if record.name == "commonground.access"]
    assert {"request_id": "partner-42.a_b", "method": "GET", "path": "/v1/categories", "status": 200}.items() <= lines[
        0
    ].items()
    assert lines[-1]["status"] == 404


def test_cors_origins_come_from_the_environment():
    settings = load_settings({"COMMONGROUND_CORS_ORIGINS": "https://app.example.org, https://211.example.org"})
    assert settings.cors_origins == ("https://app.example.org", "https://211.example.org")
    assert load_settings({}).cors_origins == ()


async def test_cors_allow_list(db_url):
    app = create_app(make_settings(db_url, cors_origins=("https://app.example.org",)))
    async with AsyncTestClient(app=app) as client:
        allowed = await client.get("/v1/categories", headers={"Origin": "https://app.example.org"})
        assert allowed.headers["access-control-allow-origin"] == "https://app.example.org"
        other = await client.get("/v1/categories", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        preflight = await client.options(
            "/v1/resources", headers={"Origin": "https://app.example.org", "Access-Control-Request-Method": "GET"}
        )
        assert preflight.status_code in (200, 204)


def _our_log(caplog) -> str:
    # The test client's own httpx lines show the URL it sent; they are not the server's log.
    return "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("commonground"))


def _access_lines(caplog) -> list[dict]:
    return [json.loads(record.getMessage()) for record in caplog.records if record.name == "commonground.access"]


async def test_credential_like_parameters_are_refused_or_masked_in_the_log(client, caplog):
    refused = [
        "api_key",
        "apikey",
        "api-key",
        "x-api-key",
        "token",
        "access_token",
        "key",
        "secret",
        "password",
        "signature",
        "Client_Secret",
    ]
    masked = ["sig", "auth", "partner_key", "session_id", "my_token2", "db_password", "x-signature"]
    with caplog.at_level(logging.INFO, logger="commonground.access"):
        for name in refused:
            answer = await client.get(f"/v1/categories?limit=5&{name}=hunter2-{name}")
            assert answer.status_code == 400 and answer.json()["invalid_params"][0]["name"] == name.lower()
        for name in masked:
            assert (await client.get(f"/v1/categories?{name}=hunter2-{name}")).status_code == 200
        await client.get(
            "/v1/keys/cg_AbCdEfGh12345678",
            headers={"Authorization": "Bearer cg_wrong-header-key", "X-API-Key": "cg_in-a-header-123"},
        )
    text = _our_log(caplog)
    assert "hunter2" not in text and "cg_AbCdEfGh" not in text and "cg_wrong" not in text and "cg_in-a" not in text
    lines = _access_lines(caplog)
    assert lines[0]["query"] == "limit=5&api_key=***"
    assert lines[len(refused)]["query"] == "sig=***"
    assert lines[-1]["path"] == "/v1/keys/***"


async def test_the_log_holds_no_address_and_no_point_finer_than_a_kilometre(client, caplog):
    with caplog.at_level(logging.INFO, logger="commonground.access"):
        await client.get("/v1/resources?near=45.523123,-122.676543&radius=2")
        await client.get("/v1/resources?bbox=-122.812345,45.412345,-122.512345,45.612345")
        await client.get("/v1/resources?address=1120+SW+5th+Ave,+Portland")
        await client.get("/hsds/service_at_locations?latitude=45.523123&longitude=-122.676543&radius_m=500")
        await client.get("/hsds/service_at_locations?postcode=97201-1234&lat=45.523123&lng=x45.5231")
        await client.get("/v1/nowhere/45.523123,-122.676543")
    # Request ids are random hex, which may hold any of the digits looked for.
    text = re.sub(r'"request_id": "[0-9a-f]+"', "", _our_log(caplog))
    for precise in ("523123", "676543", "812345", "412345", "1120", "Portland", "1234"):
        assert precise not in text
    queries = [line["query"] for line in _access_lines(caplog)]
    assert queries[:5] == [
        "near=45.52,-122.68&radius=2",
        "bbox=-122.81,45.41,-122.51,45.61",
        "address=***",
        "latitude=45.52&longitude=-122.68&radius_m=500",
        "postcode=97201&lat=45.52&lng=***",
    ]
    assert _access_lines(caplog)[5]["path"] == "/v1/nowhere/45.52,-122.68"
