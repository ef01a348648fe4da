"""Weekly opening hours."""

import datetime as dt
from uuid import UUID

from schemas.base import Input, Output
from schemas.fields import ClockTime, ShortText, TimeZone, Weekday


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")[:2]
    return int(hours) * 60 + int(minutes)


class ScheduleCreate(Input):
    """One weekly opening: closes_at at or before opens_at runs past midnight into the next day."""

    weekday: Weekday
    opens_at: ClockTime
    closes_at: ClockTime
    timezone: TimeZone | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    description: ShortText | None = None

    def __post_init__(self) -> None:
        if _minutes(self.opens_at) == 24 * 60:
            raise ValueError("opens_at cannot be 24:00; use 00:00 of the next weekday")
        if _minutes(self.opens_at) == _minutes(self.closes_at):
            raise ValueError("opens_at and closes_at are equal; for all day use 00:00 to 24:00")
        if self.valid_from and self.valid_to and self.valid_from > self.valid_to:
            raise ValueError("valid_from is after valid_to")


class Schedule(Output):
    """A weekly opening as stored; timezone null means the location's time zone applies."""

    id: UUID
    weekday: int
    opens_at: str
    closes_at: str
    timezone: str | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    description: str | None
