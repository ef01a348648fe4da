"""The change feed partners poll to mirror the directory."""

import datetime as dt
from typing import Literal
from uuid import UUID

from schemas.base import Output


class Change(Output):
    """One creation, update or deletion (a tombstone: fetch the id and get 404)."""

    entity: Literal["organization", "service", "location", "capacity", "meeting", "event"]
    id: UUID
    op: Literal["create", "update", "delete"]
    at: dt.datetime


class ChangePage(Output):
    """Changes after the cursor; next_cursor is always where to poll next (the same one when nothing is new)."""

    items: list[Change]
    next_cursor: str
