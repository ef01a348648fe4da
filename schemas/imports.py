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
