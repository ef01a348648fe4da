"""Likely duplicate listings, and merging two of them."""

from uuid import UUID

from schemas.base import Input, Output
from schemas.history import Entity


class Listed(Output):
    """One side of a pair."""

    id: UUID
    name: str | None


class DuplicatePair(Output):
    """Two listings that may be one; score 0..1 and the reasons behind it."""

    entity: Entity
    a: Listed
    b: Listed
    score: float
    reasons: list[str]


class Merge(Input):
    """Fold duplicate_id into survivor_id: links move, the duplicate is deleted, and its id answers 308."""

    entity: Entity
    survivor_id: UUID
    duplicate_id: UUID

    def __post_init__(self) -> None:
        if self.survivor_id == self.duplicate_id:
            raise ValueError("survivor_id and duplicate_id must differ")


class Merged(Output):
    """What a merge did."""

    entity: Entity
    survivor_id: UUID
    duplicate_id: UUID
    moved: dict[str, int]
