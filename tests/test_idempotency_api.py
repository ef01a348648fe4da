"""Idempotency-Key: a retried create returns the first result; the same key with another body is a 422."""

import asyncio

from tests.conftest import ADMIN
from tests.factories import resource_body


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
    # Another credential's key of the same name is its own.
    stranger = await client.post("/v1/resources", json=body, headers={"Idempotency-Key": "create-once-1"})
    assert stranger.status_code == 401
    fresh = await client.post("/v1/resources", json=body, headers={**ADMIN, "Idempotency-Key": "create-once-2"})
    assert fresh.status_code == 201 and fresh.json()["id"] != first.json()["id"]


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
