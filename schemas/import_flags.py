"""Import flags: rows an import kept that need a person's look, as the curation queue lists them."""

import datetime as dt
from uuid import UUID

from schemas.base import Output


class ImportFlag(Output):
    """One flagged row: where it came from, what is wrong, and the stored record it concerns (null when
    the flag is about a row that was not stored, such as a collapsed duplicate)."""

    id: UUID
    source: str
    entity: str
    record_id: UUID | None
    source_id: str | None
    flag: str
    detail: str
    file: str
    line: int
    flagged_at: dt.datetime


class ImportFlagPage(Output):
    """Flags still open, oldest first and in file order within an import."""

    items: list[ImportFlag]
    next_cursor: str | None
