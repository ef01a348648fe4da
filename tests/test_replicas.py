"""Reads from a real streaming replica: tokens, lag, a replica killed under load, and the change feed."""

import asyncio
import contextlib
import itertools
import os
import random
import re
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.config import load_settings
from service.embedded import embedded_postgres
from service.queries.migrations import apply_migrations
from service.replicas import format_lsn, mask_url, parse_lsn
from tests.conftest import ADMIN, database_url, make_settings, serving
from tests.factories import ISSUE_BODY, Standby, add_resource, make_key

_numbers = itertools.count()


@pytest.fixture(scope="module")
def primary_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL of these tests' own, so that pausing or killing its replica touches no other test."""
    with embedded_postgres(tmp_path_factory.mktemp("primary")) as url:
        yield url


@pytest.fixture(scope="module")
async def standby(primary_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Standby]:
    """A streaming replica of that primary (with a migrated template database on both)."""
    admin = await asyncpg.connect(primary_url)
    try:
        await admin.execute("ALTER SYSTEM SET fsync = off")
        await admin.execute("ALTER SYSTEM SET wal_keep_size = '256MB'")  # a killed replica catches up from it
        await admin.execute("SELECT pg_reload_conf()")
        await admin.execute("CREATE DATABASE cg_replica_template")
    finally:
        await admin.close()
    conn = await asyncpg.connect(database_url(primary_url, "cg_replica_template"))
    try:
        await apply_migrations(conn)
    finally:
        await conn.close()
    replica = await asyncio.to_thread(Standby(primary_url, tmp_path_factory.mktemp("replica")).create)
    yield replica
    await asyncio.to_thread(replica.stop)


@pytest.fixture
async def databases(primary_url: str, standby: Standby) -> AsyncIterator[tuple[str, str]]:
    """One test's database: its URL on the primary, and on the replica once it has arrived there."""
    name = f"cg_replica_{os.getpid()}_{next(_numbers)}"
    admin = await asyncpg.connect(primary_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE cg_replica_template')
        await _until(lambda: _connects(standby.url(name)), "the new database reaches the replica")
        yield database_url(primary_url, name), standby.url(name)
        await _replica(standby.url("postgres"), "SELECT pg_wal_replay_resume()")
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def replica_app(databases: tuple[str, str], **overrides: object) -> AsyncTestClient:
    """The API over the primary, reading from the replica; checked every 0.1 s, at most 1 s behind."""
    primary, replica = databases
    values: dict[str, object] = {"replica_urls": (replica,), "replica_check_s": 0.1, "replica_max_lag_s": 1.0}
    return AsyncTestClient(app=create_app(make_settings(primary, **(values | overrides))))


async def _connects(url: str) -> bool:
    with contextlib.suppress(OSError, asyncpg.PostgresError):
        await (await asyncpg.connect(url, timeout=2)).close()
        return True
    return False


async def _replica(url: str, sql: str) -> object:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def _until(check, what: str, within_s: float = 10.0) -> float:  # type: ignore[no-untyped-def]
    """Wait for an async check to hold: how long it took."""
    started = time.monotonic()
    while not await check():
        assert time.monotonic() - started < within_s, f"{what}: not within {within_s} s"
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def _state(client: AsyncTestClient | httpx.AsyncClient) -> str:
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    return response.json()["replicas"][0]["state"]


async def _replica_reads(client: AsyncTestClient | httpx.AsyncClient) -> float:
    """Reads answered by a replica so far, from /metrics."""
    text = (await client.get("/metrics")).text
    found = re.search(r'^commonground_replica_reads_total\{reason="ok",target="replica"\} (\S+)$', text, re.M)
    return float(found[1]) if found else 0.0


async def test_a_read_with_the_token_sees_the_write_a_stale_replica_does_not(databases):
    standby_url = databases[1]
    async with replica_app(databases, replica_max_lag_s=60.0) as client:
        assert await _state(client) == "up"
        key = await make_key(client, scopes=["write"])
        await _replica(standby_url, "SELECT pg_wal_replay_pause()")
        created = await client.post("/v1/resources", json=ISSUE_BODY, headers={"Authorization": f"Bearer {key['key']}"})
        assert created.status_code == 201, created.text
        token = created.headers["CommonGround-Consistency"]
        path = f"/v1/resources/{created.json()['id']}"
        # Someone else, without a token, is served by the paused replica: it has not seen the write.
        before = await _replica_reads(client)
        assert (await client.get(path)).status_code == 404
        assert await _replica_reads(client) == before + 1
        # The token, or the writer's own session within its window, read from the primary.
        assert (await client.get(path, headers={"CommonGround-Consistency": token})).status_code == 200
        assert (await client.get(path, headers={"Authorization": f"Bearer {key['key']}"})).status_code == 200
        assert await _replica_reads(client) == before + 1
        await _replica(standby_url, "SELECT pg_wal_replay_resume()")
        # Once the replica has replayed past the token, the same read is the replica's, and sees the write.
        await _until(lambda: _served_by_replica(client, path, token), "the replica takes the token's reads")
        # Writes and reads in a row: no read with its write's token ever misses the write.
        for number in range(15):
            body = {**ISSUE_BODY, "service": {**ISSUE_BODY["service"], "name": f"Row {number}"}}
            made = await client.post("/v1/resources", json=body, headers=ADMIN)
            read = await client.get(
                f"/v1/resources/{made.json()['id']}",
                headers={"CommonGround-Consistency": made.headers["CommonGround-Consistency"]},
            )
            assert read.status_code == 200 and read.json()["service"]["name"] == f"Row {number}"
        bad = await client.get(path, headers={"CommonGround-Consistency": "yesterday"})
        assert bad.status_code == 422 and bad.json()["invalid_params"][0]["name"] == "CommonGround-Consistency"


async def test_another_worker_learns_of_a_session_s_write_at_once(databases):
    standby_url = databases[1]
    async with (
        replica_app(databases, replica_max_lag_s=60.0) as one,
        replica_app(databases, replica_max_lag_s=60.0) as other,
    ):
        assert await _state(one) == "up" and await _state(other) == "up"
        key = await make_key(one, scopes=["write"])
        writer = {"Authorization": f"Bearer {key['key']}"}
        await _replica(standby_url, "SELECT pg_wal_replay_pause()")
        created = await one.post("/v1/resources", json=ISSUE_BODY, headers=writer)
        assert created.status_code == 201, created.text
        path = f"/v1/resources/{created.json()['id']}"
        # The other worker was told by the primary (NOTIFY) that this key wrote: its reads skip the stale
        # replica, while another caller's are still the replica's.
        await asyncio.sleep(0.2)
        assert (await other.get(path, headers=writer)).status_code == 200
        assert (await other.get(path)).status_code == 404


async def _served_by_replica(client: AsyncTestClient, path: str, token: str) -> bool:
    before = await _replica_reads(client)
    response = await client.get(path, headers={"CommonGround-Consistency": token})
    assert response.status_code == 200, response.text
    return await _replica_reads(client) > before


async def test_a_replica_paused_past_the_lag_limit_loses_its_reads_until_it_catches_up(databases):
    primary_url, standby_url = databases
    async with replica_app(databases) as client:
        assert await _state(client) == "up"
        await _replica(standby_url, "SELECT pg_wal_replay_pause()")
        conn = await asyncpg.connect(primary_url)
        try:
            made = await add_resource(conn, 45.52, -122.68, "After the pause")
        finally:
            await conn.close()
        took = await _until(lambda: _is(client, "lagging"), "a paused replica counts as lagging", 5.0)
        assert took < 3.0  # max lag 1 s, checked every 0.1 s
        readiness = (await client.get("/readyz")).json()["replicas"][0]
        assert readiness["lag_bytes"] > 0 and readiness["lag_s"] > 1.0
        assert "password" not in str(readiness) and readiness["replica"].startswith("127.0.0.1:")
        # Anonymous, without a token: the primary answers, so the new listing is there.
        before = await _replica_reads(client)
        assert (await client.get(f"/v1/resources/{made}")).status_code == 200
        assert await _replica_reads(client) == before
        metrics = (await client.get("/metrics")).text
        assert re.search(r'^commonground_replica_up\{replica="127\.0\.0\.1:\d+/cg_replica_\w+"\} 0\.0$', metrics, re.M)
        await _replica(standby_url, "SELECT pg_wal_replay_resume()")
        await _until(lambda: _is(client, "up"), "a resumed replica serves again", 5.0)
        assert (await client.get(f"/v1/resources/{made}")).status_code == 200
        assert await _replica_reads(client) == before + 1


async def _is(client: AsyncTestClient | httpx.AsyncClient, state: str) -> bool:
    return await _state(client) == state


async def test_no_read_fails_while_the_replica_is_killed_and_it_comes_back(databases, standby):
    primary_url, replica_url = databases
    conn = await asyncpg.connect(primary_url)
    try:
        ids = [await add_resource(conn, 45.5 + n / 100, -122.6, f"Listing {n}") for n in range(5)]
    finally:
        await conn.close()
    settings = make_settings(primary_url, replica_urls=(replica_url,), replica_check_s=0.1, replica_max_lag_s=1.0)
    # A real server on this event loop, so that the readers run at the same time.
    async with serving(settings) as base, httpx.AsyncClient(base_url=base, timeout=20) as client:
        await _until(lambda: _is(client, "up"), "the replica serves")
        statuses: list[int] = []
        stop = asyncio.Event()

        async def reader(number: int) -> None:
            paths = [f"/v1/resources/{listing}" for listing in ids] + ["/v1/resources?near=45.5,-122.6", "/v1/changes"]
            while not stop.is_set():
                statuses.append((await client.get(paths[number % len(paths)])).status_code)
                number += 1

        readers = [asyncio.create_task(reader(number)) for number in range(8)]
        try:
            await asyncio.sleep(0.5)
            assert await _replica_reads(client) > 0
            await asyncio.to_thread(standby.kill)
            await _until(lambda: _is(client, "down"), "a killed replica counts as down", 5.0)
            await asyncio.sleep(0.5)
            during = len(statuses)
            await asyncio.to_thread(standby.start)
            back = await _until(lambda: _is(client, "up"), "a restarted replica serves again", 15.0)
            served = await _replica_reads(client)
            await _until(lambda: _more_replica_reads(client, served), "reads go to the replica again", 5.0)
        finally:
            stop.set()
            await asyncio.gather(*readers)
        assert during > 0 and set(statuses) == {200}, {status: statuses.count(status) for status in set(statuses)}
        print(f"{len(statuses)} reads, all 200; the replica served again {back:.1f} s after it started")


async def _more_replica_reads(client: AsyncTestClient | httpx.AsyncClient, than: float) -> bool:
    return await _replica_reads(client) > than


async def test_the_change_feed_read_from_the_replica_skips_and_repeats_nothing(databases):
    primary_url = databases[0]
    pool = await asyncpg.create_pool(primary_url, min_size=4, max_size=4)
    written = 0

    async def writer(number: int) -> None:
        nonlocal written
        async with pool.acquire() as conn:
            for round_number in range(6):
                # Transactions that start in one order and commit in another: the feed's hard case.
                async with conn.transaction():
                    await add_resource(conn, 45.5, -122.6, f"Writer {number} round {round_number}")
                    await asyncio.sleep(random.uniform(0, 0.1))
                written += 1

    try:
        async with replica_app(databases) as client:
            await _until(lambda: _is(client, "up"), "the replica serves")
            before = await _replica_reads(client)
            writers = asyncio.gather(*(writer(number) for number in range(4)))
            seen: list[tuple[str, str, str]] = []
            cursor = None
            while True:
                params = {"limit": 7} | ({"since": cursor} if cursor else {})
                page = await client.get("/v1/changes", params=params)
                assert page.status_code == 200, page.text
                seen += [(item["entity"], item["id"], item["op"]) for item in page.json()["items"]]
                cursor = page.json()["next_cursor"]
                if writers.done() and not page.json()["items"]:
                    expected = await pool.fetchval("SELECT count(*) FROM changes")
                    if len(seen) >= expected:
                        break
                await asyncio.sleep(0.02)
            await writers
            assert await _replica_reads(client) > before + 10  # the pages did come from the replica
        everything = [(row["entity"], str(row["entity_id"]), row["op"]) for row in await pool.fetch(ALL_CHANGES)]
    finally:
        await pool.close()
    assert written == 24
    # Every change once, in the primary's order: nothing skipped, nothing repeated.
    assert seen == everything


ALL_CHANGES = "SELECT entity, entity_id, op FROM changes ORDER BY txid, seq"


async def test_standby_is_a_real_streaming_replica(standby: Standby) -> None:
    """The fixture is what it says: a hot standby made by pg_basebackup, following the primary."""
    assert (Path(standby.data) / "standby.signal").exists()
    assert "primary_conninfo" in (Path(standby.data) / "postgresql.auto.conf").read_text()


def test_replica_settings_and_what_probes_show_of_them() -> None:
    """The list is read like the other comma-separated settings; a URL is shown without its credentials."""
    settings = load_settings({"DATABASE_REPLICA_URLS": " postgresql://a:pw@r1:5433/cg , postgresql://r2/cg,"})
    assert settings.replica_urls == ("postgresql://a:pw@r1:5433/cg", "postgresql://r2/cg")
    assert load_settings({}).replica_urls == () and load_settings({}).replica_max_lag_s == 5.0
    assert mask_url("postgresql://a:s3cret@r1:5433/cg") == "r1:5433/cg"
    assert mask_url("postgresql://a:s3cret@/cg?host=/run/pg") == "/run/pg/cg"
    assert format_lsn(parse_lsn("16/B374D848")) == "16/B374D848"
    with pytest.raises(ValueError):
        parse_lsn("16/B374D848; DROP")
