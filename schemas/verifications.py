"""A person checking a listing, and the listings most in need of it."""

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

from msgspec import Meta

from schemas.base import Input, Output

VerificationMethod = Literal["phone", "visit", "email", "provider-update"]


class VerificationCreate(Input):
    """How the listing was checked."""

    method: VerificationMethod
    note: Annotated[str, Meta(max_length=2000, examples=["Called the front desk; hours confirmed"])] | None = None


class Verification(Output):
    """One check; it set the service's assured_date to its day (UTC)."""

    id: int
    service_id: UUID
    method: VerificationMethod
    note: str | None
    actor: str | None
    at: dt.datetime


class StaleListing(Output):
    """A service to re-check: days since a person verified it (null: never) and how often it was shown lately."""

    service_id: UUID
    name: str
    organization_id: UUID
    assured_date: dt.date | None
    verified_at: dt.datetime | None
    days_since_verified: int | None
    served_30d: int
    score: float


class StalePage(Output):
    """Services to re-check, most urgent first."""

    items: list[StaleListing]
    next_cursor: str | None
