"""The audit log of a listing, and the requests that restore or remove one."""

import datetime as dt
from typing import Annotated, Any, Literal
from uuid import UUID

from msgspec import Meta

from schemas.base import Input, Output

Entity = Literal["organization", "service", "location"]
Reason = Annotated[
    str,
    Meta(min_length=3, max_length=2000, pattern=r"\S", examples=["the confidential address was published by mistake"]),
]


class HistoryEntry(Output):
    """One write: who (key id and name, or import:<source>), when, in which request, and each changed
    field as [before, after]. op: baseline (when history began), create, update, delete, restore,
    revert, merge, approve, verify or purge."""

    version: int
    op: str
    changes: dict[str, list[Any]] | None
    actor: str | None
    actor_name: str | None
    request_id: str | None
    note: str | None
    at: dt.datetime
    withheld: Annotated[
        bool,
        Meta(
            description=(
                "true when the entry belongs to a confidential location and this key lacks the confidential scope: "
                "its address values are null and its coordinates rounded to about 1 km, as in public answers"
            )
        ),
    ] = False


class HistoryPage(Output):
    """Writes, newest first."""

    items: list[HistoryEntry]
    next_cursor: str | None


class Revert(Input):
    """Which version to go back to: the listing's own fields as they were right after it."""

    version: Annotated[int, Meta(ge=1, description="`version` of a history entry")]


class Purge(Input):
    """A listing to remove for good, with its history's data (the purge itself stays in history)."""

    entity: Entity
    id: UUID
    reason: Reason
