"""Request ids, access logs and CORS."""

import json
import logging

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
    assert {"request_id": "partner-42.a_b", "method": "GET", "path": "/v1/categories", "status": 200} \
        .items() <= lines[0].items()
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
        preflight = await client.options("/v1/resources", headers={
            "Origin": "https://app.example.org", "Access-Control-Request-Method": "GET"})
        assert preflight.status_code in (200, 204)
