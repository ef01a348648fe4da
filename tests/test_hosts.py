"""Several API hosts: two `commonground serve` processes on two ports, sharing one database."""

import asyncio
import collections
import datetime as dt
import io
import re
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.conftest import ADMIN, _clone
from tests.factories import free_port, ohana_export, start_serve, stop_serve
from tests.receiver import receiver

ANONYMOUS_LIMIT = 40


@pytest.fixture(scope="module")
async def hosts(
    server_url: str, templates: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[str, list[str]]]:
    """This module's database, and the base URLs of two servers on it (each its own data folder)."""
    async for url in _clone(server_url, templates["empty"]):
        settings = {
            "DATABASE_URL": url,
            "COMMONGROUND_SEED": "false",
            # Servers sharing a database share the key its webhook secrets are sealed with.
            "COMMONGROUND_SECRET_KEY": "two-hosts-share-this-key-of-32-characters-or-more",
            "COMMONGROUND_RATE_LIMIT_ANONYMOUS": str(ANONYMOUS_LIMIT),
            "COMMONGROUND_WEBHOOK_ALLOW_INSECURE": "true",
        }
        ports = [free_port(), free_port()]
        processes = await asyncio.gather(
            *(asyncio.to_thread(start_serve, tmp_path_factory.mktemp("host"), port, **settings) for port in ports)
        )
        try:
            yield url, [f"http://127.0.0.1:{port}" for port in ports]
        finally:
            for process in processes:
                await asyncio.to_thread(stop_serve, process)


async def test_the_anonymous_quota_is_exact_across_both_hosts(hosts):
    _, bases = hosts
    now = dt.datetime.now(dt.UTC)
    if now.second > 45:  # all of it within one quota window
        await asyncio.sleep(61 - now.second)
    async with httpx.AsyncClient(timeout=20) as client:

        async def ask(number: int) -> int:
            return (await client.get(f"{bases[number % 2]}/v1/categories")).status_code

        statuses = collections.Counter(await asyncio.gather(*(ask(number) for number in range(100))))
    # Each host reserves part of the minute from PostgreSQL and hands it out: together they admit the limit,
    # to the request, and refuse the rest.
    assert statuses == {200: ANONYMOUS_LIMIT, 429: 100 - ANONYMOUS_LIMIT}


async def test_each_webhook_is_delivered_once_by_one_of_the_hosts(hosts):
    url, bases = hosts
    async with receiver() as target, httpx.AsyncClient(timeout=20) as client:
        made = await client.post(f"{bases[0]}/v1/webhooks", json={"url": target.url, "events": ["*"]}, headers=ADMIN)
        assert made.status_code == 201, made.text
        for number in range(10):
            created = await client.post(
                f"{bases[number % 2]}/v1/organizations", json={"name": f"Hosted {number}"}, headers=ADMIN
            )
            assert created.status_code == 201, created.text
            # Every write's answer carries its consistency token, replicas or not.
            assert re.fullmatch(r"[0-9A-F]+/[0-9A-F]+", created.headers["CommonGround-Consistency"])
        await target.wait_for(10)
        await asyncio.sleep(2.5)  # both deliverers poll every second: time for a second sending to show
        conn = await asyncpg.connect(url)
        try:
            queued = await conn.fetchval(
                "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $1", made.json()["id"]
            )
        finally:
            await conn.close()
    deliveries = [request.headers["commonground-delivery"] for request in target.requests]
    assert len(deliveries) == len(set(deliveries)) == queued == 10


async def test_an_upload_is_imported_once_whichever_host_is_asked(hosts, tmp_path: Path):
    url, bases = hosts
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        for path in ohana_export(tmp_path / "ohana").iterdir():
            archive.write(path, path.name)
    async with httpx.AsyncClient(timeout=30) as client:
        queued = await client.post(
            f"{bases[0]}/v1/imports", params={"source": "county"}, content=package.getvalue(), headers=ADMIN
        )
        assert queued.status_code == 202, queued.text
        job_id = queued.json()["id"]
        for _ in range(200):  # the other host sees the job run, and end, without running it itself
            job = (await client.get(f"{bases[1]}/v1/imports/{job_id}", headers=ADMIN)).json()
            if job["status"] not in ("queued", "running"):
                break
            await asyncio.sleep(0.1)
        assert job["status"] == "succeeded", job
        await asyncio.sleep(1.5)
        for base in bases:
            jobs = (await client.get(f"{base}/v1/imports", headers=ADMIN)).json()
            assert [listed["id"] for listed in jobs] == [job_id]
    conn = await asyncpg.connect(url)
    try:
        created = await conn.fetchval(
            "SELECT count(*) FROM changes WHERE entity = 'organization' AND op = 'create' "
            "AND entity_id IN (SELECT id FROM organizations WHERE name = 'Harbor House')"
        )
    finally:
        await conn.close()
    assert job["report"]["counts"]["organization"]["created"] >= 1 and created == 1
