"""Migrations apply in order, once, and safely from two processes at once."""

import asyncio

import asyncpg
import pytest

from service.queries.migrations import MigrationError, apply_migrations, load_migrations
from tests.conftest import database_url


@pytest.fixture
async def blank_db_url(server_url):
    admin = await asyncpg.connect(server_url)
    await admin.execute("DROP DATABASE IF EXISTS cg_blank")
    await admin.execute("CREATE DATABASE cg_blank")
    yield database_url(server_url, "cg_blank")
    await admin.execute("DROP DATABASE cg_blank WITH (FORCE)")
    await admin.close()


def test_migrations_are_numbered_in_order():
    versions = [migration.version for migration in load_migrations()]
    assert versions == sorted(versions) == list(range(1, len(versions) + 1))


async def test_concurrent_starts_apply_each_migration_once(blank_db_url):
    connections = [await asyncpg.connect(blank_db_url) for _ in range(4)]
    try:
        results = await asyncio.gather(*(apply_migrations(conn) for conn in connections))
        applied = [name for result in results for name in result]
        assert sorted(applied) == sorted(f"{m.version:04d}_{m.name}" for m in load_migrations())
        assert await connections[0].fetchval("SELECT count(*) FROM schema_migrations") == len(load_migrations())
        assert await apply_migrations(connections[0]) == []
    finally:
        for conn in connections:
            await conn.close()


async def test_a_changed_migration_is_refused(conn):
    await conn.execute("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1")
    with pytest.raises(MigrationError, match="changed after it was applied"):
        await apply_migrations(conn)
