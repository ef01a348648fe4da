"""Imports through the API: upload a file, then follow the background job."""

import re
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import FromPath, QueryParameter

from schemas.imports import ImportJob
from service.errors import InvalidInput, NotFound
from service.http.auth import caller_of, require_admin
from service.imports.formats import Limits
from service.imports.importer import start_job
from service.imports.spools import temporary_prefix
from service.queries import imports as queries
from service.state import AppState

# What an upload's Content-Type says about its format (the file name, when given, says more).
SUFFIXES = {
    "application/zip": ".zip",
    "application/x-zip-compressed": ".zip",
    "application/json": ".json",
    "application/x-ndjson": ".ndjson",
    "application/ndjson": ".ndjson",
    "application/jsonl": ".ndjson",
    "text/csv": ".csv",
}

Source = Annotated[
    str,
    QueryParameter(
        description="Names the publisher; re-importing the same source updates in place",
        examples=[Example(value="baltimore-211")],
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$",
    ),
]
FileName = Annotated[
    str | None,
    QueryParameter(
        max_length=200,
        description="The uploaded file's name (its extension helps detect the format)",
        examples=[Example(value="directory.zip")],
    ),
]
ImportFormat = Annotated[
    Literal["hsds-json", "ndjson", "tabular", "flat-csv", "meeting-guide"] | None,
    QueryParameter(
        description="Skip detection: hsds-json, ndjson, tabular (zip of CSV), flat-csv or meeting-guide (a Meeting "
        "Guide JSON feed of meetings)"
    ),
]
DryRun = Annotated[bool, QueryParameter(description="Check and report only; nothing is written")]
Strict = Annotated[bool, QueryParameter(description="Fail, writing nothing, if any row is rejected")]
Prune = Annotated[
    bool,
    QueryParameter(
        description="The upload is a full snapshot of the source: delete its "
        "listings the upload lacks (the report's prune and removed)"
    ),
]
JobLimit = Annotated[int, QueryParameter(ge=1, le=100, description="How many recent jobs")]


def job(row: asyncpg.Record) -> ImportJob:
    """A job row as the API shape."""
    values = dict(row)
    values["report"] = msgspec.json.decode(values["report"]) if values["report"] else None
    return msgspec.convert(values, ImportJob)


class ImportController(Controller):
    """Bulk imports of HSDS and Ohana directories (admin)."""

    path = "/v1/imports"
    tags = ["imports"]
    guards = [require_admin]

    @post("/", operation_id="createImport", status_code=202, request_max_body_size=None)
    async def create_import(
        self,
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
        state: AppState,
        source: Source,
        filename: FileName = None,
        format: ImportFormat = None,
        dry_run: DryRun = False,
        strict: Strict = False,
        prune: Prune = False,
    ) -> Response[ImportJob]:
        """Upload a directory as the request body (HSDS JSON or NDJSON, a zip of HSDS/Ohana CSV, or a flat CSV);
        the import runs in the background as one transaction: follow it at the Location returned (admin)."""
        limit: int = state.settings.max_import_bytes
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type.startswith("multipart/"):
            raise InvalidInput(
                "body",
                "send the file itself as the request body (curl --data-binary @file), not as a multipart form",
                "body",
            )
        suffix = Path(filename).suffix.lower() if filename else SUFFIXES.get(content_type, "")
        folder = Path(tempfile.mkdtemp(prefix=temporary_prefix("cg-upload-")))
        path = folder / ("upload" + re.sub(r"[^a-z0-9.]", "", suffix))
        size = 0
        try:
            with path.open("wb") as handle:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > limit:
                        raise InvalidInput("body", f"larger than {limit} bytes (COMMONGROUND_MAX_IMPORT_BYTES)", "body")
                    handle.write(chunk)
            if size == 0:
                raise InvalidInput("body", "empty: send the file as the request body", "body")
            row = await queries.insert_job(conn, source, format, filename, dry_run, strict, size)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        caller = caller_of(request)
        start_job(
            state.jobs,
            state.dsn,
            state.pool,
            row["id"],
            path,
            source,
            format,
            dry_run,
            strict,
            prune,
            str(caller.key_id) if caller.key_id else None,
            Limits.of(state.settings),
        )
        return Response(job(row), status_code=202, headers={"Location": f"/v1/imports/{row['id']}"})

    @get("/", operation_id="listImports")
    async def list_imports(self, conn: NamedDependency[asyncpg.Connection], limit: JobLimit = 20) -> list[ImportJob]:
        """The most recent imports, newest first (admin)."""
        return [job(row) for row in await queries.select_jobs(conn, limit)]

    @get("/{import_id:uuid}", operation_id="getImport")
    async def get_import(self, conn: NamedDependency[asyncpg.Connection], import_id: FromPath[UUID]) -> ImportJob:
        """An import's status, progress and, once finished, its full report (admin)."""
        row = await queries.select_job(conn, import_id)
        if row is None:
            raise NotFound(f"no import has id {import_id}")
        return job(row)
