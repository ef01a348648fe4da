"""The schema: numbered migrations applied once each, then the live SQL of schemas/sql re-applied
whenever it changed, all under one advisory lock so several processes can start at once.

Migrations (schemas/migrations/NNNN_name.sql) hold what must happen once and in order: tables,
columns, indexes, reference rows and data moves; an applied one is never edited. Functions,
triggers and views live in schemas/sql/, one file per area, each object defined once: they are
applied after the migrations, all in one transaction, whenever any file's checksum changed.
"""

import hashlib
import re
from importlib import resources

import asyncpg
import msgspec

# Any constant shared by every CommonGround process; two starting at once queue on it.
MIGRATION_LOCK = 7_301_947_112
# Applied last: drops what earlier versions defined and no area defines any more.
RETIRED_AREA = "retired"
# The series 0001_core .. 0017_curation that 0001_baseline squashed: (name, checksum) by version. A
# database that applied exactly this series holds the baseline's schema, and is carried over.
LEGACY_SERIES = {
    1: ("core", "ed5283ca5a0067ba0f24c6aa4147211c26f01d6fe0b4f66b641395aa3be05d60"),
    2: ("categories", "0a75694139e9c963d283b3059dd8d6f30a27ddd0aa04b916c99b196940f55813"),
    3: ("documents", "723c42751ed76f077525e0302e5f8ce62981ab077ac2af66cef259574a677111"),
    4: ("resource_index", "e7ac35bc5742a240b71417a9616a37b2f84816c34b1e309dc242db5da9ffe861"),
    5: ("hsds", "00a9f875c024aec3522e86724f22364ee87d9bc582f8dc2db4bc59c5ea6033c5"),
    6: ("bulk_index", "7a66140e779ad45605615d835edcf2052614076f7436d696bf34bcb8bbd442e2"),
    7: ("eligibility", "c0afa2e00bf8fce6b6b11f43b657f894ffbc2d20cb805b1fe6ca9fb6404a6e89"),
    8: ("words", "69a2c9a1569b8151a8bf3ce83a580e07229f94406378ac2f905b45933a7e5f9a"),
    9: ("capacity", "c1306c397f4091c9819bd390df192683972f090cde39310d457d2e4a41f60734"),
    10: ("exceptions", "01578c878a3eecd069e695952726a231dff52900bf5d64b84c4300aeb3548d6c"),
    11: ("confidential", "a6b291a788f93390b5b622ba2482a5aefc6d7b72710039aa271639a1f7e8b972"),
    12: ("service_areas", "9c63e671f6b68c880b69dc1073969a18814149f4ab07223fcb85b13c4217bae1"),
    13: ("idempotency", "91f7d5831fa00dfe6fd4102b5520cb188aa82057bdedef51d2b60aef6b3bc079"),
    14: ("changes", "0619ae74b71559c25c2bcd1faaf4b38e70ce9215021edc29c08773734a306542"),
    15: ("keys", "fbd69fe75b28b8a2b0fe6b9d947f39a4a5803b007073d3ef281b71193044fb4f"),
    16: ("webhooks", "d9a08a6bbb73f2c1e23a05828f613265dc404fa5b5208b5be258956284e5836e"),
    17: ("curation", "f0c4afce3b2a106613a7aff9ba3857595b40f95eb016dd6252ef1cec44d904c0"),
}


class Migration(msgspec.Struct, frozen=True):
    """One numbered SQL file."""

    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


class Area(msgspec.Struct, frozen=True):
    """One file of live SQL objects."""

    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


class MigrationError(RuntimeError):
    """The database holds migrations this code does not match."""


def load_migrations() -> list[Migration]:
    """Read NNNN_name.sql files in version order."""
    found = []
    for entry in (resources.files("schemas") / "migrations").iterdir():
        if match := re.fullmatch(r"(\d{4})_([a-z0-9_]+)\.sql", entry.name):
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda migration: migration.version)
    versions = [migration.version for migration in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migrations share a number: {versions}")
    return found


def load_areas() -> list[Area]:
    """Read the area files by name, the retired objects' file last."""
    found = [
        Area(entry.name[:-4], entry.read_text(encoding="utf-8"))
        for entry in (resources.files("schemas") / "sql").iterdir()
        if re.fullmatch(r"[a-z0-9_]+\.sql", entry.name)
    ]
    return sorted(found, key=lambda area: (area.name == RETIRED_AREA, area.name))


CREATE_MIGRATIONS_TABLE = """
    CREATE TABLE IF NOT EXISTS schema_migrations (
        version    int PRIMARY KEY,
        name       text NOT NULL,
        checksum   text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
    )
"""

CREATE_AREAS_TABLE = """
    CREATE TABLE IF NOT EXISTS schema_areas (
        name       text PRIMARY KEY,
        checksum   text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
    )
"""

SELECT_APPLIED = "SELECT version, name, checksum FROM schema_migrations ORDER BY version"

INSERT_APPLIED = "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)"

DELETE_APPLIED = "DELETE FROM schema_migrations"

SELECT_AREAS = "SELECT name, checksum FROM schema_areas"

DELETE_AREAS = "DELETE FROM schema_areas"

INSERT_AREAS = "INSERT INTO schema_areas (name, checksum) SELECT * FROM unnest($1::text[], $2::text[])"


async def apply_migrations(conn: asyncpg.Connection) -> list[str]:
    """Apply every pending migration, each in its own transaction, then the live SQL if it changed;
    return what was applied (migrations as NNNN_name, areas as sql/name)."""
    applied_now: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        await conn.execute(CREATE_MIGRATIONS_TABLE)
        rows = await conn.fetch(SELECT_APPLIED)
        migrations = load_migrations()
        if rows and _is_legacy(rows):
            await _carry_over(conn, migrations[0])
            rows = await conn.fetch(SELECT_APPLIED)
            applied_now.append("legacy 0001-0017 recorded as 0001_baseline")
        applied = {row["version"]: row["checksum"] for row in rows}
        for migration in migrations:
            if migration.version in applied:
                if applied[migration.version] != migration.checksum:
                    raise MigrationError(
                        f"migration {migration.version:04d}_{migration.name} changed after it was applied"
                    )
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(INSERT_APPLIED, migration.version, migration.name, migration.checksum)
            applied_now.append(f"{migration.version:04d}_{migration.name}")
        applied_now += await _apply_areas(conn)
        if applied_now:
            await _lay_out_timelines(conn)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
    return applied_now


# Rows written before timelines existed (resource_index.timeline_*): searches answer them through the
# hours functions until they are laid out, which this does in batches, each its own transaction.
REFRESH_UNLAID_TIMELINES = "SELECT refresh_timelines('-infinity', $1)"


async def _lay_out_timelines(conn: asyncpg.Connection, batch: int = 5_000) -> None:
    """Lay out every timeline never laid out."""
    while await conn.fetchval(REFRESH_UNLAID_TIMELINES, batch) == batch:
        pass


def _is_legacy(rows: list[asyncpg.Record]) -> bool:
    """Whether the database was migrated by the squashed series; refuse a part of it."""
    found = {row["version"]: (row["name"], row["checksum"]) for row in rows}
    if found.get(1, ("",))[0] != LEGACY_SERIES[1][0]:
        return False
    if found != LEGACY_SERIES:
        missing = sorted(set(LEGACY_SERIES) - set(found))
        raise MigrationError(
            "this database was made by a development version that applied only part of the migrations "
            f"0001-0017 (missing {missing}); migrate it with that version first, or start a new database"
        )
    return True


async def _carry_over(conn: asyncpg.Connection, baseline: Migration) -> None:
    """Record that the legacy series equals the baseline; the areas are then applied as for any change."""
    async with conn.transaction():
        await conn.execute(DELETE_APPLIED)
        await conn.execute(INSERT_APPLIED, baseline.version, baseline.name, baseline.checksum)


async def _apply_areas(conn: asyncpg.Connection) -> list[str]:
    """Re-apply every area file in one transaction when any of them changed (or is new, or went)."""
    await conn.execute(CREATE_AREAS_TABLE)
    areas = load_areas()
    stored = {row["name"]: row["checksum"] for row in await conn.fetch(SELECT_AREAS)}
    if stored == {area.name: area.checksum for area in areas}:
        return []
    async with conn.transaction():
        # Bodies refer to each other across files; each is checked when it first runs, as pg_dump does.
        await conn.execute("SET LOCAL check_function_bodies = off")
        for area in areas:
            await conn.execute(area.sql)
        await conn.execute(DELETE_AREAS)
        await conn.execute(INSERT_AREAS, [area.name for area in areas], [area.checksum for area in areas])
    return [f"sql/{area.name}" for area in areas]
