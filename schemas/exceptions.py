"""Schedule exceptions: holidays and one-off hours that replace a date's weekly openings."""

import datetime as dt
from typing import Annotated
from uuid import UUID

from msgspec import Meta

from schemas.base import Input, Output
from schemas.fields import ClockTime, ShortText


class ScheduleExceptionCreate(Input):
    """A date's own hours: closed all day without times, else open from opens_at to closes_at instead of the
    weekly hours that start that day (closes_at at or before opens_at runs past midnight)."""

    date: dt.date
    opens_at: ClockTime | None = None
    closes_at: ClockTime | None = None
    description: ShortText | None = None

    def __post_init__(self) -> None:
        if (self.opens_at is None) != (self.closes_at is None):
            raise ValueError("give both opens_at and closes_at, or neither (closed all day)")
        if self.opens_at is not None and self.closes_at is not None and self.opens_at[:5] == self.closes_at[:5]:
            raise ValueError("opens_at and closes_at are equal; for all day use 00:00 to 24:00")
        if self.opens_at is not None and self.opens_at.startswith("24"):
            raise ValueError("opens_at cannot be 24:00")


ScheduleExceptions = Annotated[list[ScheduleExceptionCreate], Meta(max_length=500)]


class ScheduleException(Output):
    """A stored exception; closed means closed all day."""

    id: UUID
    date: dt.date
    closed: bool
    opens_at: str | None
    closes_at: str | None
    description: str | None
