"""Quotas: per key or per client address, exact across worker processes, with RateLimit headers and 429."""

import asyncio
import datetime as dt

import asyncpg
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.http.quotas import QuotaLedger
from tests.conftest import ADMIN, make_settings
from tests.factories import from_addresses


async def test_anonymous_calls_get_a_lower_quota_and_a_clear_429(db_url):
    settings = make_settings(db_url, rate_limit_anonymous=3, rate_limit_key=10)
    async with AsyncTestClient(app=create_app(settings)) as client:
        answers = [await client.get("/v1/categories") for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        first, refused = answers[0], answers[3]
        assert first.headers["ratelimit-limit"] == "3" and first.headers["ratelimit-remaining"] == "2"
        assert first.headers["ratelimit-policy"] == "3;w=60" and 0 < int(first.headers["ratelimit-reset"]) <= 60
        assert refused.headers["content-type"] == "application/problem+json"
        assert 0 < int(refused.headers["retry-after"]) <= 60 and refused.headers["ratelimit-remaining"] == "0"
        assert "a key gets more" in refused.json()["detail"]
        # Health checks are never counted; a key has its own, higher quota.
        assert (await client.get("/healthz")).status_code == 200
        keyed = await client.get("/v1/categories", headers=ADMIN)
        assert keyed.status_code == 200 and keyed.headers["ratelimit-limit"] == "10"


async def test_a_key_s_own_limit_wins_and_throttled_calls_are_counted(db_url):
    async with AsyncTestClient(app=create_app(make_settings(db_url, rate_limit_key=100))) as client:
        made = (
            await client.post("/v1/keys", json={"name": "small", "scopes": ["read"], "rate_limit": 2}, headers=ADMIN)
        ).json()
        mine = {"Authorization": f"Bearer {made['key']}"}
        codes = [(await client.get("/v1/categories", headers=mine)).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        assert (await client.get("/v1/categories", headers=ADMIN)).status_code == 200  # others unaffected
        usage = (await client.get(f"/v1/keys/{made['id']}/usage", headers=ADMIN)).json()
        assert (usage[0]["requests"], usage[0]["throttled"]) == (3, 1)


async def test_the_limit_is_exact_across_worker_processes(db_url):
    # Two apps with their own pools stand in for two worker processes sharing one database.
    settings = make_settings(db_url, rate_limit_anonymous=25)
    async with AsyncTestClient(app=create_app(settings)) as one, AsyncTestClient(app=create_app(settings)) as two:
        answers = await asyncio.gather(*(client.get("/v1/categories") for client in [one, two] * 30))
    codes = [answer.status_code for answer in answers]
    assert codes.count(200) == 25 and codes.count(429) == 35


async def test_guessing_keys_spends_the_address_s_anonymous_quota(db_url):
    settings = make_settings(db_url, rate_limit_anonymous=3)
    async with AsyncTestClient(app=create_app(settings)) as client:
        guesses = [
            await client.get("/v1/categories", headers={"Authorization": f"Bearer cg_guess{n}"}) for n in range(3)
        ]
        assert [g.status_code for g in guesses] == [401, 401, 401]
        assert guesses[0].headers["www-authenticate"].startswith("Bearer")
        refused = await client.get("/v1/categories", headers={"Authorization": "Bearer cg_guess4"})
        assert refused.status_code == 429 and refused.headers["content-type"] == "application/problem+json"
        assert 0 < int(refused.headers["retry-after"]) <= 60
        malformed = await client.get("/v1/categories", headers={"Authorization": "Basic Zm9vOmJhcg=="})
        assert malformed.status_code == 429
        # The same address without a key is in the same bucket; a real key is not.
        assert (await client.get("/v1/categories")).status_code == 429
        assert (await client.get("/v1/categories", headers=ADMIN)).status_code == 200


async def test_ipv6_callers_are_counted_per_64_and_mapped_ipv4_as_ipv4(db_url):
    addresses = [
        "2001:db8:1:2::1",
        "2001:db8:1:2:ffff::9",
        "2001:db8:1:3::1",
        "192.0.2.7",
        "::ffff:192.0.2.7",
        "192.0.2.8",
    ]
    app = from_addresses(create_app(make_settings(db_url, rate_limit_anonymous=1)), addresses)
    async with AsyncTestClient(app=app) as client:
        codes = [(await client.get("/v1/categories")).status_code for _ in range(6)]
    # One /64 shares a bucket, the next /64 has its own; ::ffff:192.0.2.7 is 192.0.2.7.
    assert codes == [200, 429, 200, 200, 429, 200]


async def test_leases_never_admit_more_than_the_limit_across_workers(db_url):
    """Workers reserving requests in leases, concurrently: together they admit no more than the limit,
    and they refuse only once what they have not handed out is all that is left."""
    pool = await asyncpg.create_pool(db_url, min_size=1, max_size=6)
    try:
        window = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
        workers = [QuotaLedger(3) for _ in range(3)]
        answers = await asyncio.gather(*(workers[n % 3].count(pool, "ip:192.0.2.7", window, 500) for n in range(900)))
        admitted = sum(hits <= 500 for hits in answers)
        unused = sum(ledger.leases["ip:192.0.2.7"].left for ledger in workers)
        assert admitted + unused == 500
        assert unused <= 500 // 4
        # Far fewer round trips than requests: the window's total grew in leases.
        assert await pool.fetchval("SELECT hits FROM rate_windows WHERE bucket = 'ip:192.0.2.7'") >= 500
        # One worker alone counts exactly: 1, 2, ... then refuses.
        alone = QuotaLedger(1)
        counted = [await alone.count(pool, "ip:192.0.2.8", window, 50) for _ in range(52)]
        assert counted[:50] == list(range(1, 51)) and all(hits > 50 for hits in counted[50:])
    finally:
        await pool.close()
