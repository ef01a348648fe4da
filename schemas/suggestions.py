"""Reports from the field: corrections, closures and new resources, applied only when an admin approves."""

import datetime as dt
from typing import Annotated, Any, Literal
from uuid import UUID

from msgspec import Meta

from schemas.base import Input, Output
from schemas.history import Reason

SuggestionKind = Literal["correction", "closure", "new", "problem"]
SuggestionStatus = Literal["pending", "approved", "rejected"]


class SuggestionCreate(Input):
    """correction: `changes` as in PATCH /v1/services/{id}; closure: the service closed; new: `changes` as in a
    POST /v1/resources body; problem: something wrong, said in `note` ("wrong phone", "full tonight") for an
    admin to fix by hand. `service_id` names the service for a correction, a closure or a problem."""

    kind: SuggestionKind
    service_id: UUID | None = None
    changes: Annotated[dict[str, Any], Meta(examples=[{"description": "Open until 9 pm on Fridays"}])] = {}
    note: Annotated[str, Meta(max_length=4000, examples=["Called them today; the Friday hours changed"])] | None = None

    def __post_init__(self) -> None:
        if self.kind in ("correction", "closure", "problem") and self.service_id is None:
            raise ValueError(f"a {self.kind} needs service_id")
        if self.kind == "problem" and (self.changes or not (self.note or "").strip()):
            raise ValueError("a problem is said in note (what is wrong), with no changes")
        if self.kind == "new" and self.service_id is not None:
            raise ValueError("a new resource has no service_id; describe it in changes")
        if self.kind in ("correction", "new") and not self.changes:
            raise ValueError(f"a {self.kind} needs changes")


class SuggestionReceipt(Output):
    """What the submitter keeps: the id to check the status with."""

    id: UUID
    status: SuggestionStatus


class Suggestion(Output):
    """A suggestion. changes, note, submitted_by and diff (field: [current, proposed]) are shown to admins
    and to the key that sent it; everyone holding the id sees its status and the reason of a decision."""

    id: UUID
    kind: SuggestionKind
    service_id: UUID | None
    status: SuggestionStatus
    created_at: dt.datetime
    decided_at: dt.datetime | None
    reason: str | None
    result_id: UUID | None
    changes: dict[str, Any] | None = None
    note: str | None = None
    submitted_by: str | None = None
    diff: dict[str, list[Any]] | None = None


class SuggestionPage(Output):
    """The queue, oldest first."""

    items: list[Suggestion]
    next_cursor: str | None


class SuggestionReject(Input):
    """Why a suggestion was not applied (the submitter sees it)."""

    reason: Reason
