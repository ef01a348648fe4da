"""The schema: migrations apply in order and once, live SQL is defined once and re-applied when it
changes, and a database made by the squashed series is carried over to the same schema."""

import asyncio
import re
import subprocess
from importlib import resources
from pathlib import Path

import asyncpg
import pytest

from service.embedded import pg_binary
from service.queries.migrations import MigrationError, apply_migrations, load_areas, load_migrations
from tests.conftest import database_url
from tests.factories import assert_index_is_current, pg_dump_text

# A database migrated by the squashed series 0001_core .. 0017_curation (at commit 5370f48) with the
# seed data loaded: `pg_dump -Fc -Z 9 --no-owner` of it, restored with pg_restore.
LEGACY_DUMP = Path(__file__).parent / "fixtures" / "legacy_0017.dump"
LIVE_OBJECT = re.compile(r"CREATE (?:OR REPLACE )?(?:FUNCTION|TRIGGER|VIEW) (\w+)", re.IGNORECASE)


@pytest.fixture
async def blank_db_url(server_url):
    admin = await asyncpg.connect(server_url)
    names = ["cg_blank", "cg_legacy"]
    for name in names:
        await admin.execute(f"DROP DATABASE IF EXISTS {name}")
        await admin.execute(f"CREATE DATABASE {name}")
    yield database_url(server_url, "cg_blank")
    for name in names:
        await admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
    await admin.close()


def schema_of(url: str) -> str:
    """The schema as pg_dump writes it, without comments and settings."""
    dump = pg_dump_text(url, "--schema-only")
    return "\n".join(
        line
        for line in dump.splitlines()
        if line.strip() and not line.startswith(("--", "SET ", "SELECT pg_catalog", "\\"))
    )


def test_migrations_are_numbered_in_order():
    versions = [migration.version for migration in load_migrations()]
    assert versions == sorted(versions) == list(range(1, len(versions) + 1))


def test_every_live_object_is_defined_once_and_never_in_a_migration():
    defined: dict[str, str] = {}
    for area in load_areas():
        for name in LIVE_OBJECT.findall(area.sql):
            assert name not in defined, f"{name} is defined in sql/{defined[name]} and sql/{area.name}"
            defined[name] = area.name
    for migration in load_migrations():
        assert not LIVE_OBJECT.findall(migration.sql), f"{migration.name} defines live objects"
    assert {"refresh_resource_index", "geodesic_m", "audit_rows", "hsds_service", "reindex_after"} <= set(defined)


async def test_concurrent_starts_apply_each_migration_once(blank_db_url):
    connections = [await asyncpg.connect(blank_db_url) for _ in range(4)]
    try:
        results = await asyncio.gather(*(apply_migrations(conn) for conn in connections))
        applied = [name for result in results for name in result]
        assert sorted(name for name in applied if not name.startswith("sql/")) == sorted(
            f"{m.version:04d}_{m.name}" for m in load_migrations()
        )
        assert sorted(name for name in applied if name.startswith("sql/")) == sorted(
            f"sql/{area.name}" for area in load_areas()
        )
        assert await connections[0].fetchval("SELECT count(*) FROM schema_migrations") == len(load_migrations())
        assert await apply_migrations(connections[0]) == []
    finally:
        for conn in connections:
            await conn.close()


async def test_a_changed_migration_is_refused(conn):
    await conn.execute("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1")
    with pytest.raises(MigrationError, match="changed after it was applied"):
        await apply_migrations(conn)


async def test_live_sql_is_applied_again_when_it_changes(conn):
    await conn.execute(
        "CREATE OR REPLACE FUNCTION geodesic_m(lat1 float8, lon1 float8, lat2 float8, lon2 float8) "
        "RETURNS float8 LANGUAGE sql AS 'SELECT -1::float8'"
    )
    assert await apply_migrations(conn) == []  # nothing changed on file: nothing re-applied
    await conn.execute("UPDATE schema_areas SET checksum = 'older' WHERE name = 'geo'")
    assert await apply_migrations(conn) == [f"sql/{area.name}" for area in load_areas()]
    assert 0 < await conn.fetchval("SELECT geodesic_m(45.5, -122.6, 45.6, -122.6)") < 12_000


async def test_a_database_of_the_squashed_series_is_carried_over(blank_db_url, server_url):
    legacy_url = database_url(server_url, "cg_legacy")
    subprocess.run(
        [str(pg_binary("pg_restore")), "--no-owner", "--exit-on-error", "--dbname", legacy_url, str(LEGACY_DUMP)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    legacy = await asyncpg.connect(legacy_url)
    fresh = await asyncpg.connect(blank_db_url)
    try:
        before = await legacy.fetchval("SELECT count(*) FROM resource_index")
        applied = await apply_migrations(legacy)
        assert applied[0] == "legacy 0001-0017 recorded as 0001_baseline"
        assert [row["name"] for row in await legacy.fetch("SELECT name FROM schema_migrations ORDER BY version")] == [
            m.name for m in load_migrations()
        ]
        await apply_migrations(fresh)
        assert schema_of(legacy_url) == schema_of(blank_db_url)
        assert before > 300 and await legacy.fetchval("SELECT count(*) FROM resource_index") == before
        assert (
            await legacy.fetchval("SELECT count(*) FROM locations WHERE latitude IS NOT NULL AND public_geo IS NULL")
            == 0
        )
        await assert_index_is_current(legacy)
        assert await apply_migrations(legacy) == []
        await legacy.execute("DELETE FROM schema_migrations WHERE version = 1")
        await legacy.execute("INSERT INTO schema_migrations (version, name, checksum) VALUES (1, 'core', 'x')")
        with pytest.raises(MigrationError, match="part of the migrations"):
            await apply_migrations(legacy)
    finally:
        await legacy.close()
        await fresh.close()


def test_area_files_ship_with_the_package():
    assert {area.name for area in load_areas()} == {
        entry.name[:-4] for entry in (resources.files("schemas") / "sql").iterdir() if entry.name.endswith(".sql")
    }
