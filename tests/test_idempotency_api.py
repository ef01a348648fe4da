"""Idempotency-Key: a retried create returns the first result; the same key with another body is a 422."""

import asyncio

from litestar.testing import AsyncTestClient

from service.app import create_app
from service.http.idempotency import SHOWN_ONCE
from tests.conftest import ADMIN, make_settings
from tests.factories import (
    PUBLIC_ADDRESS,
    StubResolver,
    assert_not_in_dump,
    bearer,
    from_addresses,
    make_key,
    pg_dump_text,
    resource_body,
)


async def test_a_retried_create_returns_the_first_answer(client, conn):
    body = resource_body(45.5, -122.6, name="Once")
    headers = {**ADMIN, "Idempotency-Key": "create-once-1"}
    first = await client.post("/v1/resources", json=body, headers=headers)
    again = await client.post("/v1/resources", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert await conn.fetchval("SELECT count(*) FROM services") == 1
    other = await client.post("/v1/resources", json=resource_body(45.5, -122.6, name="Twice"), headers=headers)
    assert other.status_code == 422 and other.json()["invalid_params"][0]["name"] == "Idempotency-Key"
    fresh = await client.post("/v1/resources", json=body, headers={**ADMIN, "Idempotency-Key": "create-once-2"})
    assert fresh.status_code == 201 and fresh.json()["id"] != first.json()["id"]


async def test_keys_belong_to_their_caller(client, conn):
    one = bearer((await make_key(client, scopes=["write"]))["key"], **{"Idempotency-Key": "same-key"})
    two = bearer((await make_key(client, scopes=["write"]))["key"], **{"Idempotency-Key": "same-key"})
    body = resource_body(45.5, -122.6, name="Mine")
    mine = await client.post("/v1/resources", json=body, headers=one)
    theirs = await client.post("/v1/resources", json=body, headers=two)
    assert mine.status_code == theirs.status_code == 201
    assert "idempotent-replayed" not in theirs.headers and theirs.json()["id"] != mine.json()["id"]
    # Nor can another caller spoil it: a different body under the same key name is theirs to send.
    other = await client.post("/v1/resources", json=resource_body(45.5, -122.6, name="Other"), headers=two)
    assert other.status_code == 422
    replay = await client.post("/v1/resources", json=body, headers=one)
    assert replay.headers["idempotent-replayed"] == "true" and replay.json()["id"] == mine.json()["id"]
    assert await conn.fetchval("SELECT count(*) FROM services") == 2


async def test_concurrent_retries_run_once_and_bad_keys_are_refused(client, conn):
    body = resource_body(45.5, -122.6, name="Race")
    headers = {**ADMIN, "Idempotency-Key": "race-1"}
    answers = await asyncio.gather(*(client.post("/v1/resources", json=body, headers=headers) for _ in range(4)))
    assert {a.status_code for a in answers} <= {201, 409}
    assert await conn.fetchval("SELECT count(*) FROM services") == 1
    bad = await client.post("/v1/resources", json=body, headers={**ADMIN, "Idempotency-Key": "x" * 300})
    assert bad.status_code == 422
    invalid = await client.post("/v1/resources", json={"nope": 1}, headers={**ADMIN, "Idempotency-Key": "k-422"})
    replayed = await client.post("/v1/resources", json={"nope": 1}, headers={**ADMIN, "Idempotency-Key": "k-422"})
    assert invalid.status_code == replayed.status_code == 422 and replayed.json() == invalid.json()


async def test_a_replayed_secret_is_withheld_and_never_stored(client, db_url):
    once = {**ADMIN, "Idempotency-Key": "new-key-1"}
    body = {"name": "partner", "scopes": ["read"]}
    created = await client.post("/v1/keys", json=body, headers=once)
    replayed = await client.post("/v1/keys", json=body, headers=once)
    assert created.status_code == replayed.status_code == 201
    secret = created.json()["key"]
    assert replayed.json() == {**created.json(), "key": SHOWN_ONCE}
    assert replayed.headers["location"] == created.headers["location"]
    assert (await client.get("/v1/keys/current", headers=bearer(secret))).status_code == 200
    rotated = await client.post(
        f"/v1/keys/{created.json()['id']}/rotate", headers={**ADMIN, "Idempotency-Key": "rotate-1"}
    )
    assert rotated.status_code == 201
    secret = rotated.json()["key"]
    client.app.state.resolver = StubResolver(default=[PUBLIC_ADDRESS])  # registration looks the host up
    hook = {"url": "https://hooks.example.org/cg", "events": ["*"]}
    webhook = await client.post("/v1/webhooks", json=hook, headers={**bearer(secret), "Idempotency-Key": "hook-1"})
    assert webhook.status_code == 201, webhook.text
    again = await client.post("/v1/webhooks", json=hook, headers={**bearer(secret), "Idempotency-Key": "hook-1"})
    assert again.json()["secret"] == SHOWN_ONCE and again.json()["id"] == webhook.json()["id"]
    dump = pg_dump_text(db_url)
    assert "idempotency_keys" in dump
    for shown in (created.json()["key"], secret, webhook.json()["secret"]):
        assert_not_in_dump(dump, shown)


async def test_an_answer_postgresql_could_not_keep_is_kept_once_it_is_back(client, conn, monkeypatch):
    from service.http import idempotency
    from service.queries import idempotency as queries

    stored = queries.store_answer
    failures = []

    async def store_once_unreachable(*args: object) -> None:
        if not failures:
            failures.append(args)
            raise ConnectionRefusedError("the database went away after the write committed")
        await stored(*args)

    monkeypatch.setattr(queries, "store_answer", store_once_unreachable)
    monkeypatch.setattr(idempotency, "SETTLE_RETRY_S", 0.05)
    body = resource_body(45.5, -122.6, name="Kept later")
    headers = {**ADMIN, "Idempotency-Key": "kept-later-1"}
    first = await client.post("/v1/resources", json=body, headers=headers)
    assert first.status_code == 201 and failures
    waiting = await client.post("/v1/resources", json=body, headers=headers)
    assert waiting.status_code == 409 and waiting.headers["retry-after"] == "1"
    for _ in range(50):
        await asyncio.sleep(0.05)
        again = await client.post("/v1/resources", json=body, headers=headers)
        if again.status_code != 409:
            break
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert await conn.fetchval("SELECT count(*) FROM services") == 1


async def test_a_report_retried_from_another_network_is_filed_once(db_url, conn):
    addresses = ["198.51.100.7", "203.0.113.9", "203.0.113.9", "203.0.113.9"]
    async with AsyncTestClient(app=from_addresses(create_app(make_settings(db_url)), addresses)) as client:
        made = (await client.post("/v1/resources", json=resource_body(45.5, -122.6, name="Fax"), headers=ADMIN)).json()
        report = {"kind": "problem", "service_id": made["service"]["id"], "note": "Wrong phone: it rings a fax"}
        # Sent on the clinic's wifi, its answer lost; retried over the phone's network with the same key.
        first = await client.post("/v1/suggestions", json=report, headers={"Idempotency-Key": "report-7f3a"})
        again = await client.post("/v1/suggestions", json=report, headers={"Idempotency-Key": "report-7f3a"})
        assert first.status_code == again.status_code == 201, again.text
        assert again.headers["idempotent-replayed"] == "true" and again.json()["id"] == first.json()["id"]
        # Another report under the same key is another request, not a way to read or spoil this one.
        other = await client.post(
            "/v1/suggestions", json={**report, "note": "Closed for good"}, headers={"Idempotency-Key": "report-7f3a"}
        )
        assert other.status_code == 201 and "idempotent-replayed" not in other.headers
    assert await conn.fetchval("SELECT count(*) FROM suggestions") == 2
