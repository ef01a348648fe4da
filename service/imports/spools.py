"""Rows of an import kept on disk between reading, checking and loading, so memory holds one chunk.

An import of a file near the unpacked-size cap would otherwise hold every row two or three times
over (as read, as checked, as loaded). A spool writes rows in chunks to a temporary folder of this
process and reads them back in the order written; the folder is removed when the import ends, and
by remove_stale_folders when the process was killed first.
"""

import os
import pickle
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Rows a spool holds in memory per kind before writing them out.
CHUNK = 512
# Values kept by key live in a SQLite file beside the spool, written without a journal: it dies with the import.
CREATE_KEPT = """
    PRAGMA journal_mode = OFF;
    PRAGMA synchronous = OFF;
    CREATE TABLE kept (key TEXT PRIMARY KEY, value BLOB);
    BEGIN;
"""
INSERT_KEPT = "INSERT OR IGNORE INTO kept (key, value) VALUES (?, ?)"
SELECT_KEPT = "SELECT value FROM kept WHERE key = ?"


def temporary_prefix(kind: str) -> str:
    """The name start of a temporary folder this process owns."""
    return f"{kind}{os.getpid()}-"


class Spool:
    """Named sequences of rows, appended in chunks and read back in order (as often as wanted)."""

    def __init__(self) -> None:
        self._folder: Path | None = None
        self._buffers: dict[str, list[Any]] = {}
        self._files: dict[str, Path] = {}
        self._tables: sqlite3.Connection | None = None
        self._made = 0

    def _path(self, name: str) -> Path:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix=temporary_prefix("cg-import-")))
        if name not in self._files:
            self._made += 1
            self._files[name] = self._folder / f"{self._made}.spool"
        return self._files[name]

    def write(self, name: str, row: Any) -> None:
        """Append one row to a sequence."""
        buffer = self._buffers.setdefault(name, [])
        buffer.append(row)
        if len(buffer) >= CHUNK:
            self._flush(name)

    def _flush(self, name: str) -> None:
        buffer = self._buffers.get(name)
        if buffer:
            # Our own rows, written and read by this process only: pickle is safe here and keeps dates and times.
            with self._path(name).open("ab") as out:
                pickle.dump(buffer, out, protocol=pickle.HIGHEST_PROTOCOL)
            buffer.clear()

    def read(self, name: str) -> Iterator[Any]:
        """The rows of a sequence in the order written."""
        self._flush(name)
        if name not in self._files:
            return
        with self._files[name].open("rb") as source:
            while True:
                try:
                    chunk = pickle.load(source)
                except EOFError:
                    return
                yield from chunk

    def drop(self, name: str) -> None:
        """Forget a sequence and free its disk."""
        self._buffers.pop(name, None)
        if (path := self._files.pop(name, None)) is not None:
            path.unlink(missing_ok=True)

    def keep(self, key: str, value: Any) -> None:
        """Remember a value under a key, the first one wins (rows joined by key, such as addresses)."""
        if self._tables is None:
            self._path("tables")
            assert self._folder is not None
            # Reading runs in a worker thread and closing in the event loop, one after the other.
            self._tables = sqlite3.connect(
                self._folder / "tables.sqlite", isolation_level=None, check_same_thread=False
            )
            self._tables.executescript(CREATE_KEPT)
        self._tables.execute(INSERT_KEPT, (key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)))

    def kept(self, key: str) -> Any:
        """The value kept under a key, or None."""
        if self._tables is None:
            return None
        found = self._tables.execute(SELECT_KEPT, (key,)).fetchone()
        return None if found is None else pickle.loads(found[0])

    def close(self) -> None:
        """Remove everything spooled."""
        if self._tables is not None:
            self._tables.close()
            self._tables = None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
        self._buffers.clear()
        self._files.clear()
