"""Exports of the whole directory as HSDS 3.0: JSON, NDJSON, or a tabular datapackage zip."""

import csv
import datetime as dt
import io
import json
import zipfile
from typing import BinaryIO

import asyncpg

from service.queries import exports as queries

EXPORT_FORMATS = ("hsds-json", "ndjson", "hsds-csv")
# Fixed timestamp for zip members: the same data always gives the same bytes.
_ZIP_TIME = (2024, 1, 1, 0, 0, 0)
_NUMBER_FIELDS = {"latitude", "longitude", "minimum_age", "maximum_age"}
_DATE_FIELDS = {"assured_date", "valid_from", "valid_to"}


def datapackage() -> dict[str, object]:
    """The package descriptor: HSDS 3.0 table and field names, with our columns' types."""
    resources = []
    for path, (columns, _) in queries.TABLES.items():
        fields = []
        for column in columns:
            field: dict[str, object] = {"name": column, "type": "string"}
            if column == "id" or column.endswith("_id"):
                field["format"] = "uuid"
            if column in _NUMBER_FIELDS:
                field["type"] = "number"
            if column in _DATE_FIELDS:
                field["type"] = "date"
            fields.append(field)
        name = path.removesuffix(".csv")
        resources.append({"name": name, "path": path, "profile": "tabular-data-resource", "format": "csv",
                          "mediatype": "text/csv", "encoding": "utf-8",
                          "schema": {"fields": fields, "primaryKey": "id"}})
    return {"name": "commonground-hsds", "title": "CommonGround directory (HSDS 3.0)",
            "profile": "tabular-data-package", "version": "3.0", "resources": resources}


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


async def write_export(conn: asyncpg.Connection, format: str, out: BinaryIO) -> None:
    """Stream the directory to a binary file in one consistent snapshot."""
    if format not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {format!r}")
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        if format == "hsds-csv":
            await _write_zip(conn, out)
            return
        first = True
        if format == "hsds-json":
            out.write(b"[")
        async for document in queries.stream_service_documents(conn):
            if format == "ndjson":
                out.write(document.encode() + b"\n")
            else:
                out.write((b"\n" if first else b",\n") + document.encode())
            first = False
        if format == "hsds-json":
            out.write(b"\n]\n" if not first else b"]\n")


async def _write_zip(conn: asyncpg.Connection, out: BinaryIO) -> None:
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        descriptor = zipfile.ZipInfo("datapackage.json", _ZIP_TIME)
        descriptor.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(descriptor, json.dumps(datapackage(), indent=2) + "\n")
        for path, (columns, _) in queries.TABLES.items():
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
