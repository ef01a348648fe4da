"""Live capacity and supplies (HSDS 3.1 service_capacity): beds, naloxone kits, appointments..."""

import datetime as dt
from typing import Annotated

from msgspec import Meta

from schemas.base import Input, Output

UNIT_PATTERN = r"^[a-z][a-z0-9-]{0,63}$"
MAX_COUNT = 1_000_000
Unit = Annotated[
    str,
    Meta(
        pattern=UNIT_PATTERN,
        examples=["bed"],
        description="What is counted: bed, naloxone-kit, test-strip, appointment, ...",
    ),
]
Count = Annotated[int, Meta(ge=0, le=MAX_COUNT)]
# The units other producers' HSDS 3.1 units are matched to by name or identifier (any slug is valid).
KNOWN_UNITS = ("bed", "naloxone-kit", "test-strip", "appointment")


class CapacityCreate(Input):
    """A new count of one unit, as of now."""

    unit: Unit
    available: Count
    maximum: Count | None = None

    def __post_init__(self) -> None:
        if self.maximum is not None and self.available > self.maximum:
            raise ValueError("available is above maximum")


class CapacityReport(Output):
    """The latest count of one unit and how old it is; available is null once it is too old to trust."""

    unit: str
    available: int | None
    maximum: int | None
    reported_available: int
    updated_at: dt.datetime
    age_seconds: int
    current: bool


class CapacityRecord(Output):
    """One count as it was reported."""

    unit: str
    available: int
    maximum: int | None
    updated_at: dt.datetime
