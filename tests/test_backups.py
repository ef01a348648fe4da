"""Backups: one consistent snapshot while writes go on, checked before a restore, restored whole."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from service.backups import BackupError, backup, checksum_path, restore, verify

SELECT_TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"


async def rows_by_table(url: str) -> dict[str, set[str]]:
    """Every row of every table, as text."""
    conn = await asyncpg.connect(url)
    try:
        tables = [row["tablename"] for row in await conn.fetch(SELECT_TABLES)]
        # Table names come from the catalogue, never from input.
        return {t: {r[0] for r in await conn.fetch(f'SELECT x::text FROM public."{t}" AS x')} for t in tables}
    finally:
        await conn.close()


async def write_pairs(url: str, stop: asyncio.Event) -> int:
    """Add two organizations per transaction until told to stop; how many pairs were written."""
    conn = await asyncpg.connect(url)
    pairs = 0
    try:
        while not stop.is_set():
            async with conn.transaction():
                for part in ("a", "b"):
                    await conn.execute("INSERT INTO organizations (name) VALUES ($1)", f"pair {pairs} {part}")
            pairs += 1
            await asyncio.sleep(0)
    finally:
        await conn.close()
    return pairs


async def test_a_backup_taken_under_writes_restores_one_consistent_moment(seeded_db_url, bare_db_url, tmp_path):
    stop = asyncio.Event()
    writer = asyncio.create_task(write_pairs(seeded_db_url, stop))
    await asyncio.sleep(0.2)
    path = tmp_path / "store.backup"
    digest = await asyncio.to_thread(backup, seeded_db_url, path)
    await asyncio.sleep(0.2)
    stop.set()
    written = await writer
    assert checksum_path(path).read_text() == f"{digest}  store.backup\n"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]

    await asyncio.to_thread(restore, bare_db_url, path)
    source, restored = await rows_by_table(seeded_db_url), await rows_by_table(bare_db_url)
    assert set(restored) == set(source)
    for table, rows in restored.items():
        assert rows <= source[table], table  # nothing that was never there
    conn = await asyncpg.connect(bare_db_url)
    try:
        names = [row[0] for row in await conn.fetch("SELECT name FROM organizations WHERE name LIKE 'pair %'")]
        seeded = await conn.fetchval("SELECT count(*) FROM services")
    finally:
        await conn.close()
    pairs = {name.rsplit(" ", 1)[0] for name in names}
    assert len(names) == 2 * len(pairs), "a transaction is in the backup whole or not at all"
    assert 0 < len(pairs) < written, "the snapshot fell while writes went on"
    assert seeded > 0 and seeded == len(source["services"])


async def test_a_damaged_backup_is_refused_and_the_store_left_as_it_was(seeded_db_url, bare_db_url, tmp_path):
    path = tmp_path / "store.backup"
    await asyncio.to_thread(backup, seeded_db_url, path)
    whole = path.read_bytes()

    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(BackupError, match="does not match its checksum"):
        await asyncio.to_thread(restore, bare_db_url, path)
    path.write_bytes(whole)
    good = checksum_path(path).read_text()
    checksum_path(path).unlink()
    with pytest.raises(BackupError, match="missing"):
        await asyncio.to_thread(verify, path)

    # A checksum that matches a file that is no backup at all.
    path.write_bytes(b"PGDMP not really")
    import hashlib

    checksum_path(path).write_text(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  store.backup\n")
    with pytest.raises(BackupError, match="pg_restore failed"):
        await asyncio.to_thread(restore, bare_db_url, path)
    assert await rows_by_table(bare_db_url) == {}

    path.write_bytes(whole)
    checksum_path(path).write_text(good)
    with pytest.raises(BackupError, match="already holds"):
        await asyncio.to_thread(restore, seeded_db_url, path)
    await asyncio.to_thread(restore, bare_db_url, path)
    assert await rows_by_table(bare_db_url) == await rows_by_table(seeded_db_url)


def cli(url: str, *arguments: str | Path) -> subprocess.CompletedProcess[str]:
    """`commonground` against a database, as an admin runs it."""
    env = {**os.environ, "DATABASE_URL": url, "COMMONGROUND_LOG_LEVEL": "warning"}
    command = [sys.executable, "-m", "service.cli", *map(str, arguments)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


async def test_the_commands_say_in_one_line_what_happened(seeded_db_url, bare_db_url, tmp_path):
    path = tmp_path / "nightly.backup"
    made = await asyncio.to_thread(cli, seeded_db_url, "backup", path)
    assert made.returncode == 0 and made.stderr.startswith(f"backup written to {path}"), made.stderr
    checksum_path(path).write_text("0" * 64 + "  nightly.backup\n")
    refused = await asyncio.to_thread(cli, bare_db_url, "restore", path)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert refused.stderr.strip().splitlines() == [
        f"commonground restore: {path} does not match its checksum: the file is damaged, truncated or another backup's"
    ]
