"""Numbered SQL migrations from schemas/migrations, applied once each under an advisory lock."""

import hashlib
import re
from importlib import resources

import asyncpg
import msgspec

# Any constant shared by every CommonGround process; two starting at once queue on it.
MIGRATION_LOCK = 7_301_947_112


class Migration(msgspec.Struct, frozen=True):
    """One numbered SQL file."""

    version: int
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


CREATE_MIGRATIONS_TABLE = """
    CREATE TABLE IF NOT EXISTS schema_migrations (
        version    int PRIMARY KEY,
        name       text NOT NULL,
        checksum   text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
    )
"""

SELECT_APPLIED = "SELECT version, checksum FROM schema_migrations ORDER BY version"

INSERT_APPLIED = "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)"


async def apply_migrations(conn: asyncpg.Connection) -> list[str]:
    """Apply every pending migration, each in its own transaction; return the names applied."""
    applied_now: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        await conn.execute(CREATE_MIGRATIONS_TABLE)
        applied = {row["version"]: row["checksum"] for row in await conn.fetch(SELECT_APPLIED)}
        for migration in load_migrations():
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
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
    return applied_now
