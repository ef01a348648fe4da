"""Imports: what an import did, row by row, and the job that runs one."""

import datetime as dt
from typing import Literal
from uuid import UUID

from schemas.base import Output

ImportStatus = Literal["queued", "running", "succeeded", "failed"]


class EntityCounts(Output):
    """One kind of record: rows read, rejected, what the accepted ones did to the database, and how many
    stored rows of this source the import removed (deleted, for listings pruned by a full snapshot)."""

    read: int = 0
    accepted: int = 0
    rejected: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    # Placeholder rows made for what others referenced and the input lacked (organizations only).
    placeholders: int = 0
    # Rows listed again with the same content (a phone, a taxonomy link): kept once, not rejections.
    duplicates_collapsed: int = 0
    # Rows that hold words, not a usable value (hours "by appointment"): not stored, kept as a flag.
    text_only: int = 0


class Rejection(Output):
    """A row that was skipped, where it was and why."""

    file: str
    line: int
    entity: str
    source_id: str | None
    reason: str


class Flag(Output):
    """A row that was kept but needs a person's attention (for example no coordinates)."""

    file: str
    line: int
    entity: str
    source_id: str | None
    flag: str
    detail: str


class UnmappedTerm(Output):
    """An incoming taxonomy term that no category mapping matches; edit category_mappings to map it."""

    vocabulary: str | None
    code: str | None
    name: str
    services: int


class ImportReport(Output):
    """Everything an import read, kept, skipped and changed."""

    source: str
    format: str
    dry_run: bool
    committed: bool
    counts: dict[str, EntityCounts]
    rejections: list[Rejection]
    flags: list[Flag]
    unmapped_terms: list[UnmappedTerm]
    ignored_files: list[str]
    seconds: float
    prune: bool = False  # a full snapshot of the source: its listings the input lacked were deleted
    # Each CSV file read and the encoding it was read in (UTF-8, UTF-16, UTF-32 or Windows-1252).
    encodings: dict[str, str] = {}
    # Each table file of a package and how it was found: by its "declared path" in datapackage.json, by
    # its "file name" elsewhere in the package (exports that moved their files), or "in the package folder".
    found_by: dict[str, str] = {}
    # Files datapackage.json declares that the package does not hold (listed, not fatal).
    missing_files: list[str] = []


class ImportJob(Output):
    """An import started through the API: its state, progress and, when finished, its report."""

    id: UUID
    source: str
    format: str | None
    filename: str | None
    status: ImportStatus
    dry_run: bool
    strict: bool
    phase: str | None
    processed: int
    total: int | None
    report: ImportReport | None
    error: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
