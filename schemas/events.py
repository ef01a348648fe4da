"""Dated events: once, on a list of dates, or recurring by an RRULE, at a service, a location, a place or online."""

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

from msgspec import UNSET, Meta, UnsetType

from schemas.base import Input, Output, Patch
from schemas.fields import (
    Age,
    AttributeSlug,
    Gender,
    LanguageCode,
    Latitude,
    Longitude,
    LongText,
    Name,
    ShortText,
    TimeZone,
    Url,
)
from schemas.meetings import MeetingAddress as EventAddress

LocalTime = Annotated[
    str, Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="Local wall-clock time HH:MM", examples=["18:00"])
]
Recurrence = Annotated[
    str,
    Meta(
        max_length=500,
        description="An RFC 5545 RRULE: FREQ=WEEKLY with BYDAY and INTERVAL, or FREQ=MONTHLY with BYDAY (2TU, "
        "-1FR) or BYMONTHDAY; UNTIL or COUNT; WKST",
        examples=["FREQ=MONTHLY;BYDAY=2TU"],
    ),
]
Dates = Annotated[list[dt.date], Meta(max_length=400)]
Languages = Annotated[list[LanguageCode], Meta(max_length=50)]
Attributes = Annotated[
    list[AttributeSlug], Meta(max_length=30, description="Eligibility attributes (GET /v1/attributes)")
]
Genders = Annotated[list[Gender], Meta(max_length=4, description="Genders it is for; empty means everyone")]
Capacity = Annotated[int, Meta(ge=0, le=1_000_000, description="How many places there are")]
# An occurrence lasts at most two weeks: a longer one is not an event but a service.
MAX_MINUTES = 14 * 24 * 60
# The years an event's dates may fall in: enough for any real one, and far from the calendar's ends.
YEARS = range(1900, 2201)


class EventFields(Input):
    """What describes an event, wherever it is written."""

    title: Name
    description: LongText | None = None
    service_id: UUID | None = None
    location_id: UUID | None = None
    location_name: ShortText | None = None
    address: EventAddress | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    online_url: Url | None = None
    online_notes: LongText | None = None
    starts_at: Annotated[dt.datetime, Meta(description="A one-off event's start, RFC 3339 with offset")] | None = None
    ends_at: Annotated[dt.datetime, Meta(description="A one-off event's end, RFC 3339 with offset")] | None = None
    start_date: Annotated[dt.date, Meta(description="The local date a recurrence starts from")] | None = None
    start_time: LocalTime | None = None
    end_time: Annotated[LocalTime, Meta(description="Local end time; not later than start_time: next day")] | None = (
        None
    )
    timezone: TimeZone | None = None
    recurrence: Recurrence | None = None
    exdates: Annotated[Dates, Meta(description="Local dates the recurrence skips (EXDATE)")] = []
    dates: Annotated[Dates, Meta(description="Instead of a recurrence: the local dates it happens on")] = []
    capacity: Capacity | None = None
    registration_url: Url | None = None
    free: bool | None = None
    fee: (
        Annotated[ShortText, Meta(description="What it costs, as text", examples=["$10, waived on request"])] | None
    ) = None
    languages: Languages = []
    attributes: Attributes = []
    genders: Genders = []
    minimum_age: Age | None = None
    maximum_age: Age | None = None

    def __post_init__(self) -> None:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude go together: give both or neither")
        if self.location_id is not None and (self.latitude is not None or self.address is not None):
            raise ValueError("an event at location_id takes its place from it: give no address or coordinates")
        placed = self.location_id is not None or self.latitude is not None or self.address is not None
        if not placed and self.service_id is None and self.online_url is None:
            raise ValueError("an event needs a service_id, a location_id, an address or coordinates, or an online_url")
        if self.minimum_age is not None and self.maximum_age is not None and self.minimum_age > self.maximum_age:
            raise ValueError("minimum_age is above maximum_age")
        if self.free and self.fee is not None:
            raise ValueError("a free event has no fee")
        for day in [self.starts_at, self.ends_at, self.start_date, *self.dates, *self.exdates]:
            if day is not None and day.year not in YEARS:
                raise ValueError(f"{day.isoformat()} is not between the years 1900 and 2200")
        once = self.starts_at is not None or self.ends_at is not None
        local = self.start_time is not None or self.end_time is not None or self.start_date is not None
        if once == local or (local and self.dates and self.start_date is not None):
            raise ValueError(
                "give starts_at and ends_at (once), or start_time and end_time with start_date and a recurrence, "
                "or with dates"
            )
        if once:
            if self.starts_at is None or self.ends_at is None:
                raise ValueError("starts_at and ends_at go together")
            if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
                raise ValueError("starts_at and ends_at need a UTC offset, e.g. 2027-05-14T18:00:00-07:00")
            if not dt.timedelta(0) < self.ends_at - self.starts_at <= dt.timedelta(minutes=MAX_MINUTES):
                raise ValueError("ends_at must be after starts_at, by at most 14 days")
            if self.recurrence is not None or self.dates or self.exdates:
                raise ValueError("a one-off event (starts_at) has no recurrence, dates or exdates")
            return
        if self.start_time is None or self.end_time is None:
            raise ValueError("start_time and end_time go together")
        if (self.recurrence is None) == (not self.dates):
            raise ValueError("a local-time event has a recurrence (with start_date) or a list of dates, one of them")
        if self.recurrence is not None and self.start_date is None:
            raise ValueError("a recurrence needs the start_date it starts from")
        if self.exdates and self.recurrence is None:
            raise ValueError("exdates go with a recurrence")


class EventCreate(EventFields):
    """A new event."""


class EventPatch(Patch):
    """Fields to change; omitted fields stay, null clears, lists replace the whole list."""

    title: Name | UnsetType = UNSET
    description: LongText | None | UnsetType = UNSET
    service_id: UUID | None | UnsetType = UNSET
    location_id: UUID | None | UnsetType = UNSET
    location_name: ShortText | None | UnsetType = UNSET
    address: EventAddress | None | UnsetType = UNSET
    latitude: Latitude | None | UnsetType = UNSET
    longitude: Longitude | None | UnsetType = UNSET
    online_url: Url | None | UnsetType = UNSET
    online_notes: LongText | None | UnsetType = UNSET
    starts_at: dt.datetime | None | UnsetType = UNSET
    ends_at: dt.datetime | None | UnsetType = UNSET
    start_date: dt.date | None | UnsetType = UNSET
    start_time: LocalTime | None | UnsetType = UNSET
    end_time: LocalTime | None | UnsetType = UNSET
    timezone: TimeZone | None | UnsetType = UNSET
    recurrence: Recurrence | None | UnsetType = UNSET
    exdates: Dates | UnsetType = UNSET
    dates: Dates | UnsetType = UNSET
    capacity: Capacity | None | UnsetType = UNSET
    registration_url: Url | None | UnsetType = UNSET
    free: bool | None | UnsetType = UNSET
    fee: ShortText | None | UnsetType = UNSET
    languages: Languages | UnsetType = UNSET
    attributes: Attributes | UnsetType = UNSET
    genders: Genders | UnsetType = UNSET
    minimum_age: Age | None | UnsetType = UNSET
    maximum_age: Age | None | UnsetType = UNSET


class EventPlace(Output):
    """Where an event happens; at a confidential location only its rounded point, no address."""

    location_id: UUID | None
    name: str | None
    address_1: str | None
    city: str | None
    state_province: str | None
    postal_code: str | None
    country: str | None
    latitude: float | None
    longitude: float | None
    approximate: bool


class Event(Output):
    """An event as stored; at a confidential location its place has only the rounded point, no street."""

    id: UUID
    title: str
    description: str | None
    service_id: UUID | None
    place: EventPlace | None
    online_url: str | None
    online_notes: str | None
    starts_at: Annotated[dt.datetime | None, Meta(description="A one-off event's start, in its local offset")]
    ends_at: dt.datetime | None
    start_date: dt.date | None
    start_time: str | None
    end_time: str | None
    duration_minutes: int
    timezone: str
    recurrence: str | None
    exdates: list[dt.date]
    dates: list[dt.date]
    capacity: int | None
    registration_url: str | None
    free: bool | None
    fee: str | None
    languages: list[str]
    attributes: list[str]
    genders: list[str]
    minimum_age: int | None
    maximum_age: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class Occurrence(Output):
    """One occurrence of an event in a search window, with the event."""

    starts_at: Annotated[dt.datetime, Meta(description="In the event's local offset")]
    ends_at: dt.datetime
    distance_m: float | None
    event: Event


class OccurrencePage(Output):
    """One page of occurrences, by start then distance, or by distance then start."""

    items: list[Occurrence]
    next_cursor: str | None


EventOrder = Literal["start", "distance"]
