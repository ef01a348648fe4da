"""Exports of the whole directory as HSDS 3.0 (or its opt-in 3.1 profile): JSON, NDJSON or a datapackage zip."""

import asyncio
import csv
import datetime as dt
import hashlib
import io
import json
import os
import tempfile
import time
import weakref
import zipfile
from collections.abc import AsyncIterator
from typing import BinaryIO

import asyncpg

from service.db import pooled
from service.http.metrics import Metrics
from service.imports.cells import guard
from service.queries import exports as queries

EXPORT_FORMATS = ("hsds-json", "ndjson", "hsds-csv")
# 3.0 by default; 3.1 adds each service's live capacity (service_capacity with its unit).
PROFILES = ("3.0", "3.1")
# Fixed timestamp for zip members: the same data always gives the same bytes.
_ZIP_TIME = (2024, 1, 1, 0, 0, 0)
_NUMBER_FIELDS = {"latitude", "longitude", "minimum_age", "maximum_age", "available", "maximum", "capacity"}
_DATE_FIELDS = {"assured_date", "valid_from", "valid_to", "start_date"}
_DATETIME_FIELDS = {"updated", "starts_at", "ends_at"}


def datapackage(profile: str = "3.0") -> dict[str, object]:
    """The package descriptor: HSDS table and field names of the profile, with our columns' types."""
    resources = []
    for path, (columns, _) in queries.PROFILE_TABLES[profile].items():
        fields = []
        for column in columns:
            field: dict[str, object] = {"name": column, "type": "string"}
            if column == "id" or column.endswith("_id"):
                field["format"] = "uuid"
            if column in _NUMBER_FIELDS:
                field["type"] = "number"
            if column in _DATE_FIELDS:
                field["type"] = "date"
            if column in _DATETIME_FIELDS:
                field["type"] = "datetime"
            fields.append(field)
        name = path.removesuffix(".csv")
        resource: dict[str, object] = {
            "name": name,
            "path": path,
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "schema": {"fields": fields, "primaryKey": "id"},
        }
        if path == queries.EVENTS_FILE:
            resource["description"] = (
                "CommonGround extension, not HSDS: dated events, once (starts_at, ends_at) or at a local "
                "start_time to end_time in timezone on dates or by an RFC 5545 rrule less exdates"
            )
        resources.append(resource)
    return {
        "name": "commonground-hsds",
        "title": f"CommonGround directory (HSDS {profile})",
        "profile": "tabular-data-package",
        "version": profile,
        "resources": resources,
    }


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return guard(str(value))


async def write_export(conn: asyncpg.Connection, format: str, out: BinaryIO, profile: str = "3.0") -> asyncpg.Record:
    """Stream the directory to a binary file in one consistent snapshot; return that snapshot (text) and
    when the data it holds was last written."""
    if format not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {format!r}")
    if profile not in PROFILES:
        raise ValueError(f"unknown HSDS profile {profile!r}")
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        seen = await queries.select_export_snapshot(conn)
        if format == "hsds-csv":
            await _write_zip(conn, out, profile)
            return seen
        first = True
        if format == "hsds-json":
            out.write(b"[")
        async for document in queries.stream_service_documents(conn, profile):
            if format == "ndjson":
                out.write(document.encode() + b"\n")
            else:
                out.write((b"\n" if first else b",\n") + document.encode())
            first = False
        if format == "hsds-json":
            out.write(b"\n]\n" if not first else b"]\n")
    return seen


async def _write_zip(conn: asyncpg.Connection, out: BinaryIO, profile: str) -> None:
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        descriptor = zipfile.ZipInfo("datapackage.json", _ZIP_TIME)
        descriptor.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(descriptor, json.dumps(datapackage(profile), indent=2) + "\n")
        for path, (columns, _) in queries.PROFILE_TABLES[profile].items():
            member = zipfile.ZipInfo(path, _ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(member, "w", force_zip64=True) as raw:
                handle = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(columns)
                async for row in queries.stream_table(conn, path):
                    writer.writerow([_cell(value) for value in row])
                handle.flush()
                handle.detach()


class BuiltExport:
    """One snapshot's zip, in an unnamed temporary file that goes when the last reader lets go."""

    def __init__(self, snapshot: str, modified_at: dt.datetime | None, file: BinaryIO) -> None:
        self.snapshot, self.file = snapshot, file
        self.built_at = time.monotonic()
        self.modified_at = (modified_at or dt.datetime.now(dt.UTC)).replace(microsecond=0)
        # Closed when the cache has a newer zip and the last download of this one ends.
        weakref.finalize(self, file.close)
        self.size = file.seek(0, os.SEEK_END)
        digest = hashlib.blake2b(digest_size=16)
        offset = 0
        while chunk := os.pread(file.fileno(), 1 << 20, offset):
            digest.update(chunk)
            offset += len(chunk)
        # The same data gives the same bytes, so every worker that builds it has this tag.
        self.etag = f'"{digest.hexdigest()}"'

    async def chunks(self) -> AsyncIterator[bytes]:
        """The zip in pieces; reads by offset, so any number of downloads share the file."""
        offset = 0
        while chunk := os.pread(self.file.fileno(), 1 << 16, offset):
            offset += len(chunk)
            yield chunk


class ExportCache:
    """The HSDS zip of each profile of the data as it is now, built again by this worker only when something
    it holds changed."""

    # Old writers are forgotten after two days (queries.DELETE_OLD_EXPORT_WRITES); a zip older than one
    # day is built again rather than judged against a log that may have lost what it missed.
    MAX_AGE_S = 86_400

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self.current: dict[str, BuiltExport] = {}
        self.locks = {profile: asyncio.Lock() for profile in PROFILES}

    async def fresh(self, pool: asyncpg.Pool, acquire_timeout_s: float, profile: str = "3.0") -> BuiltExport | None:
        """The built zip, if nothing it holds has changed since it was built."""
        current = self.current.get(profile)
        if current is None or time.monotonic() - current.built_at > self.MAX_AGE_S:
            return None
        async with pooled(pool, acquire_timeout_s) as conn:
            return current if await queries.select_export_current(conn, current.snapshot) else None

    async def build(self, pool: asyncpg.Pool, acquire_timeout_s: float, profile: str = "3.0") -> BuiltExport:
        """The zip of the data now, for a caller that found no fresh one; concurrent callers share one build."""
        async with self.locks[profile]:
            if (built := await self.fresh(pool, acquire_timeout_s, profile)) is not None:
                return built
            file = tempfile.TemporaryFile()  # noqa: SIM115 - it outlives this call as the cached export; BuiltExport closes it
            try:
                async with pooled(pool, acquire_timeout_s) as conn:
                    seen = await write_export(conn, "hsds-csv", file, profile)
                built = await asyncio.to_thread(BuiltExport, seen["snapshot"], seen["at"], file)
            except BaseException:
                file.close()
                raise
            self.metrics.export_builds.inc()
            previous = self.current.get(profile)
            if previous is not None and previous.etag == built.etag:
                # A write this profile does not show (a capacity count, for 3.0) leaves its bytes as they
                # were, so If-Modified-Since (curl -z) must not see a change either.
                built.modified_at = previous.modified_at
            self.current[profile] = built
            return built


async def delete_old_export_writes(pool: asyncpg.Pool) -> None:
    """Forget writers older than the current data version (run by every worker)."""
    async with pooled(pool, 5) as conn:
        await queries.delete_old_export_writes(conn)
