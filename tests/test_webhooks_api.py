"""Webhooks: signed deliveries from an outbox written with the change, retried with backoff, logged."""

import asyncio
import hashlib
import hmac
import json
import time

import asyncpg
from litestar.testing import AsyncTestClient

from service.app import create_app
from tests.conftest import ADMIN, make_settings
from tests.factories import resource_body
from tests.receiver import receiver


def _app(db_url: str, **overrides):
    settings = make_settings(db_url, webhook_allow_insecure=True, webhook_retry_base_s=0.2, **overrides)
    return AsyncTestClient(app=create_app(settings))


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    fields = dict(part.split("=", 1) for part in headers["commonground-signature"].split(","))
    expected = hmac.new(secret.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"]) and abs(time.time() - int(fields["t"])) < 300


async def test_changes_are_delivered_signed_and_retried_until_accepted(db_url):
    async with receiver([500, 503]) as target, _app(db_url) as client:
        hook = await client.post("/v1/webhooks", json={"url": target.url, "events": ["service.create",
                                                                                      "service.update"]},
                                 headers=ADMIN)
        assert hook.status_code == 201 and hook.json()["secret"].startswith("whsec_")
        secret, hook_id = hook.json()["secret"], hook.json()["id"]
        assert "secret" not in (await client.get(f"/v1/webhooks/{hook_id}", headers=ADMIN)).json()
        made = (await client.post("/v1/resources", json=resource_body(45.5, -122.6), headers=ADMIN)).json()
        got = await target.wait_for(3)  # two refusals, then accepted
        bodies = [json.loads(r.body) for r in got]
        assert {b["id"] for b in bodies} == {bodies[0]["id"]}  # one event, retried under one id
        event = bodies[0]
        assert event["type"] == "service.create" and event["data"]["id"] == made["service"]["id"]
        assert all(verify(secret, r.headers, r.body) for r in got)
        assert [r.headers["commonground-attempt"] for r in got] == ["1", "2", "3"]
        assert not verify("whsec_wrong", got[0].headers, got[0].body)
        for _ in range(50):
            log = (await client.get(f"/v1/webhooks/{hook_id}/deliveries", headers=ADMIN)).json()["items"]
            if log and log[0]["status"] == "delivered":
                break
            await asyncio.sleep(0.1)
        assert log[0]["status"] == "delivered" and log[0]["attempts"] == 3 and log[0]["last_status_code"] == 200
        # Location events were not subscribed to.
        assert {item["event_type"] for item in log} == {"service.create"}


async def test_events_survive_a_restart(db_url):
    # Written while no deliverer runs (as if the server crashed right after the commit) ...
    async with _app(db_url, webhooks_enabled=False) as client:
        async with receiver() as first:
            hook_url = first.url
        hook = (await client.post("/v1/webhooks", json={"url": hook_url, "events": ["*"]}, headers=ADMIN)).json()
        await client.post("/v1/resources", json=resource_body(45.5, -122.6), headers=ADMIN)
    # ... and delivered once a server runs again; the receiver comes back on a new port, so point the hook there.
    async with receiver() as target:
        conn = await asyncpg.connect(db_url)
        try:
            await conn.execute("UPDATE webhooks SET url = $1 WHERE id = $2", target.url, hook["id"])
        finally:
            await conn.close()
        async with _app(db_url) as client:
            got = await target.wait_for(3)
            assert sorted(json.loads(r.body)["type"] for r in got) == ["location.create", "organization.create",
                                                                       "service.create"]
            etag = (await client.get(f"/v1/webhooks/{hook['id']}", headers=ADMIN)).headers["etag"]
            assert (await client.delete(f"/v1/webhooks/{hook['id']}", headers={**ADMIN, "If-Match": etag})
                    ).status_code == 204


async def test_a_failing_receiver_ends_failed_and_can_be_retried(db_url):
    async with receiver([500] * 3) as target, _app(db_url, webhook_max_attempts=2) as client:
        hook = (await client.post("/v1/webhooks", json={"url": target.url, "events": ["*"]}, headers=ADMIN)).json()
        ping = await client.post(f"/v1/webhooks/{hook['id']}/ping", headers=ADMIN)
        assert ping.status_code == 202
        await target.wait_for(2)
        for _ in range(50):
            failed = (await client.get(f"/v1/webhooks/{hook['id']}/deliveries", params={"status": "failed"},
                                       headers=ADMIN)).json()["items"]
            if failed:
                break
            await asyncio.sleep(0.1)
        assert failed[0]["id"] == ping.json()["delivery_id"] and failed[0]["last_error"] == "answered 500"
        again = await client.post(f"/v1/webhooks/{hook['id']}/deliveries/{failed[0]['id']}/retry", headers=ADMIN)
        assert again.status_code == 202
        got = await target.wait_for(3)
        assert json.loads(got[-1].body)["type"] == "ping"


async def test_webhook_urls_and_ownership_are_checked(db_url):
    async with AsyncTestClient(app=create_app(make_settings(db_url))) as client:
        for url, reason in [("http://example.org/hook", "https"), ("https://127.0.0.1/hook", "private"),
                            ("https://localhost/hook", "private"), ("https://10.1.2.3/x", "private"),
                            ("ftp://example.org", "matching regex")]:
            response = await client.post("/v1/webhooks", json={"url": url, "events": ["*"]}, headers=ADMIN)
            assert response.status_code == 422 and response.json()["invalid_params"][0]["name"] == "url", url
            assert reason in response.json()["invalid_params"][0]["reason"], response.json()
        bad_event = await client.post("/v1/webhooks", json={"url": "https://example.org/h", "events": ["nope"]},
                                      headers=ADMIN)
        assert bad_event.status_code == 422
        keys = [(await client.post("/v1/keys", json={"name": n, "scopes": ["read"]}, headers=ADMIN)).json()["key"]
                for n in ("a", "b")]
        a, b = ({"Authorization": f"Bearer {key}"} for key in keys)
        mine = (await client.post("/v1/webhooks", json={"url": "https://example.org/a", "events": ["*"]},
                                  headers=a)).json()
        assert (await client.get(f"/v1/webhooks/{mine['id']}", headers=b)).status_code == 404
        assert (await client.delete(f"/v1/webhooks/{mine['id']}", headers={**b, "If-Match": "*"})).status_code == 404
        assert (await client.get("/v1/webhooks", headers=b)).json()["items"] == []
        assert [w["id"] for w in (await client.get("/v1/webhooks", headers=a)).json()["items"]] == [mine["id"]]
        assert (await client.get(f"/v1/webhooks/{mine['id']}", headers=ADMIN)).status_code == 200
        assert (await client.get("/v1/webhooks")).status_code == 401


def test_retries_back_off_exponentially_with_jitter_and_a_cap():
    from service.webhooks import MAX_BACKOFF_S, backoff
    for attempt, expected in [(1, 30), (2, 60), (3, 120), (6, 960)]:
        waits = [backoff(attempt, 30) for _ in range(200)]
        assert expected * 0.8 <= min(waits) and max(waits) <= expected * 1.2 and len(set(waits)) > 100
    assert backoff(40, 30) <= MAX_BACKOFF_S * 1.2


async def test_two_workers_share_the_outbox_without_sending_twice(db_url):
    async with receiver() as target, _app(db_url, webhooks_enabled=False) as writer:
        await writer.post("/v1/webhooks", json={"url": target.url, "events": ["organization.create"]}, headers=ADMIN)
        for n in range(30):
            await writer.post("/v1/organizations", json={"name": f"Org {n}"}, headers=ADMIN)
        # Two deliverers (as two worker processes would run) drain the same outbox at once.
        async with _app(db_url) as _, _app(db_url) as _:
            got = await target.wait_for(30)
            await asyncio.sleep(1.5)  # a second round: nothing more may arrive
        ids = [json.loads(r.body)["id"] for r in target.requests]
        assert len(ids) == 30 and len(set(ids)) == 30, len(ids)
        assert {json.loads(r.body)["type"] for r in got} == {"organization.create"}
