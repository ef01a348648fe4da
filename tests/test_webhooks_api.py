"""Webhooks: signed deliveries from an outbox written with the change, retried with backoff, logged."""

import asyncio
import base64
import hashlib
import hmac
import json
import os
import time
import uuid

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.platform.sealing import ServerKey, Unsealable, load_server_key
from tests.conftest import ADMIN, ANY_VERSION, make_settings
from tests.factories import PUBLIC_ADDRESS, StubResolver, pg_dump_text, resource_body
from tests.receiver import receiver, tls_contexts


def _app(db_url: str, **overrides):
    settings = make_settings(db_url, webhook_allow_insecure=True, webhook_retry_base_s=0.2, **overrides)
    return AsyncTestClient(app=create_app(settings))


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    fields = dict(part.split("=", 1) for part in headers["commonground-signature"].split(","))
    expected = hmac.new(secret.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"]) and abs(time.time() - int(fields["t"])) < 300


async def test_changes_are_delivered_signed_and_retried_until_accepted(db_url):
    async with receiver([500, 503]) as target, _app(db_url) as client:
        hook = await client.post(
            "/v1/webhooks", json={"url": target.url, "events": ["service.create", "service.update"]}, headers=ADMIN
        )
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
            assert sorted(json.loads(r.body)["type"] for r in got) == [
                "location.create",
                "organization.create",
                "service.create",
            ]
            etag = (await client.get(f"/v1/webhooks/{hook['id']}", headers=ADMIN)).headers["etag"]
            assert (
                await client.delete(f"/v1/webhooks/{hook['id']}", headers={**ADMIN, "If-Match": etag})
            ).status_code == 204


async def test_a_failing_receiver_ends_failed_and_can_be_retried(db_url):
    async with receiver([500] * 3) as target, _app(db_url, webhook_max_attempts=2) as client:
        hook = (await client.post("/v1/webhooks", json={"url": target.url, "events": ["*"]}, headers=ADMIN)).json()
        ping = await client.post(f"/v1/webhooks/{hook['id']}/ping", headers=ADMIN)
        assert ping.status_code == 202
        await target.wait_for(2)
        for _ in range(50):
            failed = (
                await client.get(f"/v1/webhooks/{hook['id']}/deliveries", params={"status": "failed"}, headers=ADMIN)
            ).json()["items"]
            if failed:
                break
            await asyncio.sleep(0.1)
        assert failed[0]["id"] == ping.json()["delivery_id"] and failed[0]["last_error"] == "answered 500"
        again = await client.post(f"/v1/webhooks/{hook['id']}/deliveries/{failed[0]['id']}/retry", headers=ADMIN)
        assert again.status_code == 202
        got = await target.wait_for(3)
        assert json.loads(got[-1].body)["type"] == "ping"


async def test_webhook_urls_and_ownership_are_checked(db_url):
    app = create_app(make_settings(db_url, webhooks_enabled=False))
    app.state.resolver = StubResolver(
        {"inside.example.org": ["10.0.0.5"], "mixed.example.org": [PUBLIC_ADDRESS, "::ffff:192.168.1.1"]},
        default=[PUBLIC_ADDRESS],
    )
    async with AsyncTestClient(app=app) as client:
        for url, reason in [
            ("http://example.org/hook", "https"),
            ("https://127.0.0.1/hook", "private"),
            ("https://localhost/hook", "private"),
            ("https://10.1.2.3/x", "private"),
            ("https://inside.example.org/x", "resolves to 10.0.0.5"),
            ("https://mixed.example.org/x", "::ffff:192.168.1.1"),
            ("https://169.254.169.254/x", "private"),
            ("https://224.0.0.1/x", "private"),
            ("ftp://example.org", "matching regex"),
        ]:
            response = await client.post("/v1/webhooks", json={"url": url, "events": ["*"]}, headers=ADMIN)
            assert response.status_code == 422 and response.json()["invalid_params"][0]["name"] == "url", url
            assert reason in response.json()["invalid_params"][0]["reason"], response.json()
        bad_event = await client.post(
            "/v1/webhooks", json={"url": "https://example.org/h", "events": ["nope"]}, headers=ADMIN
        )
        assert bad_event.status_code == 422
        keys = [
            (await client.post("/v1/keys", json={"name": n, "scopes": ["read"]}, headers=ADMIN)).json()["key"]
            for n in ("a", "b")
        ]
        a, b = ({"Authorization": f"Bearer {key}"} for key in keys)
        mine = (
            await client.post("/v1/webhooks", json={"url": "https://example.org/a", "events": ["*"]}, headers=a)
        ).json()
        assert (await client.get(f"/v1/webhooks/{mine['id']}", headers=b)).status_code == 404
        assert (await client.delete(f"/v1/webhooks/{mine['id']}", headers={**b, "If-Match": "*"})).status_code == 404
        assert (await client.get("/v1/webhooks", headers=b)).json()["items"] == []
        assert [w["id"] for w in (await client.get("/v1/webhooks", headers=a)).json()["items"]] == [mine["id"]]
        assert (await client.get(f"/v1/webhooks/{mine['id']}", headers=ADMIN)).status_code == 200
        assert (await client.get("/v1/webhooks")).status_code == 401


def test_retries_back_off_exponentially_with_jitter_and_a_cap():
    from service.platform.webhooks import MAX_BACKOFF_S, backoff

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


def _forms(secret: str) -> set[str]:
    """The secret as it could appear in a dump: as is, without its prefix, base64, hex."""
    token = secret.removeprefix("whsec_")
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    return {
        secret,
        token,
        base64.b64encode(secret.encode()).decode(),
        secret.encode().hex(),
        raw.hex(),
        base64.b64encode(raw).decode().rstrip("="),
    }


async def test_signing_secrets_are_sealed_at_rest(db_url):
    async with receiver() as target, _app(db_url) as client:
        hook = (await client.post("/v1/webhooks", json={"url": target.url, "events": ["*"]}, headers=ADMIN)).json()
        await client.post(f"/v1/webhooks/{hook['id']}/ping", headers=ADMIN)
        got = await target.wait_for(1)
    assert verify(hook["secret"], got[0].headers, got[0].body)  # the deliverer opened it to sign
    dump = pg_dump_text(db_url)
    assert "CREATE TABLE public.webhooks" in dump and hook["id"] in dump
    for form in _forms(hook["secret"]):
        assert form.lower() not in dump.lower(), form


async def test_secrets_kept_in_plain_text_before_sealing_are_sealed_at_start(db_url):
    conn = await asyncpg.connect(db_url)
    try:
        # A row as migration 0016 stored it (the check added with sealing refuses new ones).
        await conn.execute("ALTER TABLE webhooks DROP CONSTRAINT webhooks_secret_sealed")
        hook_id = await conn.fetchval(
            "INSERT INTO webhooks (key_id, url, events, secret) "
            "VALUES (gen_random_uuid(), 'http://127.0.0.1:9/x', '{*}', $1) RETURNING id",
            "whsec_plain-from-0016",
        )
        await conn.execute(
            "ALTER TABLE webhooks ADD CONSTRAINT webhooks_secret_sealed "
            "CHECK (secret IS NULL AND secret_sealed IS NOT NULL) NOT VALID"
        )
    finally:
        await conn.close()
    async with receiver() as target, _app(db_url) as client:
        conn = await asyncpg.connect(db_url)
        try:
            assert await conn.fetchval("SELECT count(*) FROM webhooks WHERE secret IS NOT NULL") == 0
            await conn.execute("UPDATE webhooks SET url = $1 WHERE id = $2", target.url, hook_id)
        finally:
            await conn.close()
        await client.post(f"/v1/webhooks/{hook_id}/ping", headers=ADMIN)
        got = await target.wait_for(1)
    assert verify("whsec_plain-from-0016", got[0].headers, got[0].body)
    assert "whsec_plain-from-0016" not in pg_dump_text(db_url)


async def test_new_rows_cannot_hold_a_plain_secret(conn):
    with pytest.raises(asyncpg.CheckViolationError):
        await conn.execute(
            "INSERT INTO webhooks (key_id, url, events, secret) "
            "VALUES (gen_random_uuid(), 'https://example.org/x', '{*}', 'whsec_plain')"
        )


def test_the_server_key_file_is_made_once_private_and_reused(tmp_path):
    settings = make_settings("postgresql://unused", data_dir=str(tmp_path / "data"))
    first, again = load_server_key(settings), load_server_key(settings)
    assert first.id == again.id and (tmp_path / "data" / "secret.key").stat().st_mode & 0o777 == 0o600
    assert list((tmp_path / "data").iterdir()) == [tmp_path / "data" / "secret.key"]  # no temporary left
    context = uuid.uuid4().bytes
    sealed = first.seal("whsec_x", context)
    assert again.open(sealed, context, first.id) == "whsec_x" and b"whsec_x" not in sealed
    with pytest.raises(Unsealable):
        first.open(sealed, uuid.uuid4().bytes)  # bound to its row
    other = ServerKey(os.urandom(32))
    with pytest.raises(Unsealable, match="COMMONGROUND_SECRET_KEY"):
        other.open(sealed, context, first.id)
    configured = load_server_key(make_settings("postgresql://unused", secret_key="k" * 40))
    assert configured.id == load_server_key(make_settings("postgresql://unused", secret_key="k" * 40)).id != first.id
    with pytest.raises(SystemExit, match="at least 32"):
        load_server_key(make_settings("postgresql://unused", secret_key="short"))


async def _log(client: AsyncTestClient, hook_id: str, done: set[str] = frozenset({"delivered", "failed"})) -> list:
    """The delivery log once its newest delivery has ended (or after ~10 s)."""
    for _ in range(100):
        log = (await client.get(f"/v1/webhooks/{hook_id}/deliveries", headers=ADMIN)).json()["items"]
        if log and log[0]["status"] in done:
            return log
        await asyncio.sleep(0.1)
    return log


async def test_a_host_that_resolves_to_a_private_address_at_delivery_is_refused_without_connecting(db_url):
    # Public when registered, loopback when delivered: what a rebinding DNS server answers.
    resolver = StubResolver({"hooks.example.test": [PUBLIC_ADDRESS]})
    async with receiver() as target:
        app = create_app(make_settings(db_url, webhook_retry_base_s=0.2))
        app.state.resolver = resolver
        async with AsyncTestClient(app=app) as client:
            hook = await client.post(
                "/v1/webhooks",
                json={"url": f"https://hooks.example.test:{target.port}/hook", "events": ["*"]},
                headers=ADMIN,
            )
            assert hook.status_code == 201, hook.text
            resolver.answers["hooks.example.test"] = ["127.0.0.1"]
            await client.post(f"/v1/webhooks/{hook.json()['id']}/ping", headers=ADMIN)
            log = await _log(client, hook.json()["id"])
        assert log[0]["status"] == "failed" and log[0]["attempts"] == 1, log  # refused for good, not retried
        assert "resolves to 127.0.0.1" in log[0]["last_error"] and "refused" in log[0]["last_error"]
        assert resolver.asked == ["hooks.example.test", "hooks.example.test"]  # at registration and at delivery
        assert target.connections == 0


@pytest.mark.parametrize(
    "answers",
    [
        ["10.0.0.5"],
        [PUBLIC_ADDRESS, "10.0.0.5"],
        ["::ffff:10.0.0.5"],
        ["fe80::1"],
        ["100.64.0.1"],
        ["0.0.0.0"],
        ["::1"],
        ["2002:a00:5::1"],
        ["ff02::1"],
    ],
)
async def test_every_answer_must_be_public(answers):
    from service.platform.webhooks import Refused, addresses_for

    with pytest.raises(Refused, match="refused"):
        await addresses_for("hooks.example.test", 443, StubResolver({"hooks.example.test": answers}), False)
    assert await addresses_for("hooks.example.test", 443, StubResolver(default=[PUBLIC_ADDRESS]), False) == [
        PUBLIC_ADDRESS
    ]


async def test_delivery_connects_to_the_checked_address_and_keeps_the_host_name(db_url):
    resolver = StubResolver({"hooks.example.test": ["127.0.0.1"]})
    async with receiver() as target:
        app = create_app(make_settings(db_url, webhook_allow_insecure=True))
        app.state.resolver = resolver
        async with AsyncTestClient(app=app) as client:
            hook = (
                await client.post(
                    "/v1/webhooks",
                    json={"url": f"http://hooks.example.test:{target.port}/hook", "events": ["*"]},
                    headers=ADMIN,
                )
            ).json()
            await client.post(f"/v1/webhooks/{hook['id']}/ping", headers=ADMIN)
            got = await target.wait_for(1)
    assert got[0].headers["host"] == f"hooks.example.test:{target.port}" and got[0].path == "/hook"
    assert verify(hook["secret"], got[0].headers, got[0].body)


async def test_tls_checks_the_certificate_and_sends_sni_for_the_host_name_not_the_address(db_url):
    from service.http.metrics import Metrics
    from service.platform.webhooks import Deliverer

    server_tls, client_tls = tls_contexts("hooks.example.test")
    resolver = StubResolver({"hooks.example.test": ["127.0.0.1"], "other.example.test": ["127.0.0.1"]})
    settings = make_settings(db_url, webhook_allow_insecure=True, webhooks_enabled=False)
    async with receiver(tls=server_tls) as target, AsyncTestClient(app=create_app(settings)) as client:
        hooks = [
            (
                await client.post(
                    "/v1/webhooks", json={"url": f"https://{host}:{target.port}/hook", "events": ["*"]}, headers=ADMIN
                )
            ).json()
            for host in ("hooks.example.test", "other.example.test")
        ]
        for hook in hooks:
            await client.post(f"/v1/webhooks/{hook['id']}/ping", headers=ADMIN)
        pool = await asyncpg.create_pool(db_url, min_size=1, max_size=2)
        try:
            deliverer = Deliverer(pool, settings, Metrics(None), load_server_key(settings), resolver, client_tls)
            assert await deliverer.deliver_due() == 2
        finally:
            await pool.close()
        good, wrong_name = [await _log(client, hook["id"], {"delivered", "pending"}) for hook in hooks]
    assert len(target.requests) == 1 and target.requests[0].headers["host"] == f"hooks.example.test:{target.port}"
    assert good[0]["status"] == "delivered"
    # The certificate names hooks.example.test only: the check was made against the URL's host, not 127.0.0.1.
    assert wrong_name[0]["status"] == "pending" and "certificate" in wrong_name[0]["last_error"].lower(), wrong_name
    assert sorted(target.server_names) == ["hooks.example.test", "other.example.test"]


async def test_a_worker_whose_lease_ran_out_cannot_overwrite_the_next_one(db_url):
    from service.http.metrics import Metrics
    from service.platform.webhooks import Deliverer

    settings = make_settings(db_url, webhook_allow_insecure=True, webhooks_enabled=False)
    async with receiver([500, 200], delays=[1.5]) as target, AsyncTestClient(app=create_app(settings)) as client:
        hook = (await client.post("/v1/webhooks", json={"url": target.url, "events": ["*"]}, headers=ADMIN)).json()
        await client.post(f"/v1/webhooks/{hook['id']}/ping", headers=ADMIN)
        pool = await asyncpg.create_pool(db_url, min_size=1, max_size=4)
        try:
            key = load_server_key(settings)
            first, second = (Deliverer(pool, settings, Metrics(None), key) for _ in range(2))
            stalled = asyncio.create_task(first.deliver_due())
            await target.wait_for(1)
            # The first worker stalls past its lease, as a paused process would; the second takes the delivery.
            await pool.execute("UPDATE webhook_deliveries SET locked_until = now() - interval '1 second'")
            assert await second.deliver_due() == 1
            assert await stalled == 1  # its 500 arrives late, and must not make the delivery pending again
            delivery = await pool.fetchrow("SELECT status, attempts, lease_owner FROM webhook_deliveries")
            attempts = await pool.fetch("SELECT attempt, status_code FROM webhook_attempts ORDER BY attempt")
        finally:
            await pool.close()
    assert dict(delivery) == {"status": "delivered", "attempts": 2, "lease_owner": None}
    assert [tuple(attempt) for attempt in attempts] == [(2, 200)]
    assert len(target.requests) == 2


async def test_deleting_a_webhook_cancels_its_pending_deliveries(db_url):
    async with receiver([500], delays=[1.0]) as target:
        # Queued while no deliverer runs, then deleted: never sent.
        async with _app(db_url, webhooks_enabled=False) as writer:
            queued = (
                await writer.post(
                    "/v1/webhooks", json={"url": target.url, "events": ["organization.create"]}, headers=ADMIN
                )
            ).json()
            for n in range(2):
                await writer.post("/v1/organizations", json={"name": f"Org {n}"}, headers=ADMIN)
            assert (await writer.delete(f"/v1/webhooks/{queued['id']}", headers=ANY_VERSION)).status_code == 204
        # In flight when deleted: its failure would have been retried within a second.
        async with _app(db_url) as client:
            in_flight = (
                await client.post("/v1/webhooks", json={"url": target.url, "events": ["*"]}, headers=ADMIN)
            ).json()
            await client.post(f"/v1/webhooks/{in_flight['id']}/ping", headers=ADMIN)
            await target.wait_for(1)
            assert (await client.delete(f"/v1/webhooks/{in_flight['id']}", headers=ANY_VERSION)).status_code == 204
            await asyncio.sleep(2)
        assert [json.loads(r.body)["type"] for r in target.requests] == ["ping"]
    conn = await asyncpg.connect(db_url)
    try:
        assert [row["status"] for row in await conn.fetch("SELECT status FROM webhook_deliveries")] == ["cancelled"] * 3
    finally:
        await conn.close()


async def test_a_slow_receiver_does_not_hold_up_other_webhooks_and_times_out(db_url):
    async with receiver(delays=[30]) as slow, receiver() as fast, _app(db_url, webhook_timeout_s=2) as client:
        slow_hook, fast_hook = [
            (await client.post("/v1/webhooks", json={"url": target.url, "events": ["*"]}, headers=ADMIN)).json()
            for target in (slow, fast)
        ]
        await client.post(f"/v1/webhooks/{slow_hook['id']}/ping", headers=ADMIN)
        stuck = (await slow.wait_for(1))[0]
        await client.post(f"/v1/webhooks/{fast_hook['id']}/ping", headers=ADMIN)
        arrived = (await fast.wait_for(1))[0]
        assert arrived.at - stuck.at < 1.6  # within a poll, not after the slow attempt's 2 s deadline
        for _ in range(50):
            log = (await client.get(f"/v1/webhooks/{slow_hook['id']}/deliveries", headers=ADMIN)).json()["items"]
            if log[0]["last_error"]:
                break
            await asyncio.sleep(0.1)
        assert log[0]["last_error"] == "timed out: no complete answer within 2 s", log
        assert (await _log(client, fast_hook["id"]))[0]["status"] == "delivered"


async def test_a_receiver_answering_too_much_is_cut_off(db_url):
    # Reading its endless answer to the end would run into the deadline instead.
    async with receiver(endless=True) as target, _app(db_url, webhook_timeout_s=3) as client:
        hook = (await client.post("/v1/webhooks", json={"url": target.url, "events": ["*"]}, headers=ADMIN)).json()
        await client.post(f"/v1/webhooks/{hook['id']}/ping", headers=ADMIN)
        assert (await _log(client, hook["id"]))[0]["status"] == "delivered"


async def test_a_shutdown_gives_back_the_deliveries_it_was_sending(db_url):
    from service.http.metrics import Metrics
    from service.platform.webhooks import Deliverer

    settings = make_settings(db_url, webhook_allow_insecure=True, webhooks_enabled=False, webhook_timeout_s=30)
    async with receiver(delays=[30]) as slow, AsyncTestClient(app=create_app(settings)) as client:
        hook = (await client.post("/v1/webhooks", json={"url": slow.url, "events": ["*"]}, headers=ADMIN)).json()
        await client.post(f"/v1/webhooks/{hook['id']}/ping", headers=ADMIN)
        pool = await asyncpg.create_pool(db_url, min_size=1, max_size=4)
        try:
            key = load_server_key(settings)
            running = asyncio.create_task(Deliverer(pool, settings, Metrics(None), key).run())
            await slow.wait_for(1)
            held = await pool.fetchrow("SELECT attempts, lease_owner, locked_until FROM webhook_deliveries")
            assert held["attempts"] == 1 and held["lease_owner"] is not None
            # The app's lifespan cancels the deliverer on SIGTERM: the delivery is due again at once, not
            # after its lease (30 s x 3 + 30 here), and the cut attempt is not counted.
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
            given_back = await pool.fetchrow(
                "SELECT status, attempts, lease_owner, locked_until FROM webhook_deliveries"
            )
            assert dict(given_back) == {"status": "pending", "attempts": 0, "lease_owner": None, "locked_until": None}
            assert await pool.fetchval("SELECT count(*) FROM webhook_attempts") == 0
            next_worker = Deliverer(
                pool, make_settings(db_url, webhook_allow_insecure=True, webhook_timeout_s=1), Metrics(None), key
            )
            assert await next_worker.deliver_due() == 1
        finally:
            await pool.close()
