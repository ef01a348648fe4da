"""Mutual-aid meetings: weekly, at a place and/or online, with Meeting Guide's vocabulary mapped to ours."""

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

from msgspec import UNSET, Meta, UnsetType

from schemas.base import Input, Output, Patch
from schemas.fields import (
    ClockTime,
    CountryCode,
    Email,
    LanguageCode,
    Latitude,
    Longitude,
    LongText,
    Name,
    ShortText,
    TimeZone,
    Url,
    Weekday,
)

MeetingType = Literal[
    "open",
    "closed",
    "speaker",
    "discussion",
    "spanish",
    "asl",
    "wheelchair",
    "lgbtq",
    "women",
    "men",
    "young-people",
    "newcomer",
    "child-friendly",
    "proof-of-attendance",
]
Slug = Annotated[
    str, Meta(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._~-]*$", examples=["sun-7pm"])
]
StartTime = Annotated[
    str, Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="Local wall-clock time HH:MM", examples=["19:00"])
]
Minutes = Annotated[int, Meta(ge=1, le=1440, description="How long it lasts, in minutes (at most a day)")]
Phone = Annotated[str, Meta(max_length=100, pattern=r"^[0-9+() .,*#-]+$", examples=["+1-503-555-0100,,123#"])]
Region = Annotated[str, Meta(min_length=1, max_length=200)]


class MeetingAddress(Input):
    """A meeting's own place when it is not at a CommonGround location."""

    address_1: ShortText | None = None
    city: ShortText | None = None
    state_province: ShortText | None = None
    postal_code: Annotated[str, Meta(max_length=20)] | None = None
    country: CountryCode | None = None


class ContactInput(Input):
    """Someone to ask about the meeting; a name is stored as a first name and an initial at most."""

    name: ShortText | None = None
    email: Email | None = None
    phone: Phone | None = None


class MeetingFields(Input):
    """What describes a meeting, wherever it is written."""

    name: Name
    slug: Slug
    days: Annotated[list[Weekday], Meta(min_length=1, max_length=7)]
    start_time: StartTime
    end_time: ClockTime | None = None
    duration_minutes: Minutes | None = None
    timezone: TimeZone | None = None
    location_id: UUID | None = None
    location_name: ShortText | None = None
    location_notes: LongText | None = None
    address: MeetingAddress | None = None
    formatted_address: ShortText | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    approximate: bool = False
    conference_url: Url | None = None
    conference_url_notes: LongText | None = None
    conference_phone: Phone | None = None
    conference_phone_notes: LongText | None = None
    types: list[MeetingType] = []
    other_types: list[Annotated[str, Meta(min_length=1, max_length=20)]] = []
    languages: list[LanguageCode] = []
    fellowship: ShortText | None = None
    group: ShortText | None = None
    notes: LongText | None = None
    regions: Annotated[list[Region], Meta(max_length=10)] = []
    contacts: Annotated[list[ContactInput], Meta(max_length=3)] = []
    url: Url | None = None
    updated: dt.datetime | None = None

    def __post_init__(self) -> None:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude go together: give both or neither")
        if self.end_time is not None and self.duration_minutes is not None:
            raise ValueError("give end_time or duration_minutes, not both")
        has_place = self.location_id is not None or self.latitude is not None or self.address is not None
        has_place = has_place or self.formatted_address is not None
        if self.location_id is not None and (self.latitude is not None or self.address is not None):
            raise ValueError("a meeting at location_id takes its place from it: give no address or coordinates")
        if not has_place and self.conference_url is None and self.conference_phone is None:
            raise ValueError("a meeting needs a place (location_id, address or coordinates) or an online join")


class MeetingCreate(MeetingFields):
    """A new meeting."""


class MeetingPatch(Patch):
    """Fields to change; omitted fields stay, null clears, lists replace the whole list."""

    name: Name | UnsetType = UNSET
    slug: Slug | UnsetType = UNSET
    days: Annotated[list[Weekday], Meta(min_length=1, max_length=7)] | UnsetType = UNSET
    start_time: StartTime | UnsetType = UNSET
    end_time: ClockTime | None | UnsetType = UNSET
    duration_minutes: Minutes | None | UnsetType = UNSET
    timezone: TimeZone | None | UnsetType = UNSET
    location_id: UUID | None | UnsetType = UNSET
    location_name: ShortText | None | UnsetType = UNSET
    location_notes: LongText | None | UnsetType = UNSET
    address: MeetingAddress | None | UnsetType = UNSET
    formatted_address: ShortText | None | UnsetType = UNSET
    latitude: Latitude | None | UnsetType = UNSET
    longitude: Longitude | None | UnsetType = UNSET
    approximate: bool | UnsetType = UNSET
    conference_url: Url | None | UnsetType = UNSET
    conference_url_notes: LongText | None | UnsetType = UNSET
    conference_phone: Phone | None | UnsetType = UNSET
    conference_phone_notes: LongText | None | UnsetType = UNSET
    types: list[MeetingType] | UnsetType = UNSET
    other_types: list[Annotated[str, Meta(min_length=1, max_length=20)]] | UnsetType = UNSET
    languages: list[LanguageCode] | UnsetType = UNSET
    fellowship: ShortText | None | UnsetType = UNSET
    group: ShortText | None | UnsetType = UNSET
    notes: LongText | None | UnsetType = UNSET
    regions: Annotated[list[Region], Meta(max_length=10)] | UnsetType = UNSET
    contacts: Annotated[list[ContactInput], Meta(max_length=3)] | UnsetType = UNSET
    url: Url | None | UnsetType = UNSET
    updated: dt.datetime | None | UnsetType = UNSET


class MeetingPlace(Output):
    """Where a meeting happens; at a confidential location only its rounded point, no address."""

    location_id: UUID | None
    name: str | None
    notes: str | None
    address_1: str | None
    city: str | None
    state_province: str | None
    postal_code: str | None
    country: str | None
    formatted_address: str | None
    latitude: float | None
    longitude: float | None
    approximate: bool


class MeetingOnline(Output):
    """How to join from anywhere."""

    conference_url: str | None
    conference_url_notes: str | None
    conference_phone: str | None
    conference_phone_notes: str | None


class Contact(Output):
    """Someone to ask: a first name and an initial at most."""

    name: str | None
    email: str | None
    phone: str | None


class Meeting(Output):
    """A weekly meeting as stored."""

    id: UUID
    source: str | None
    slug: str
    name: str
    days: list[int]
    start_time: str
    end_time: str
    duration_minutes: int
    timezone: str
    place: MeetingPlace | None
    online: MeetingOnline | None
    types: list[str]
    other_types: list[str]
    languages: list[str]
    fellowship: str | None
    group: str | None
    notes: str | None
    regions: list[str]
    contacts: list[Contact]
    url: str | None
    updated: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class MeetingResult(Meeting):
    """A meeting in a search answer, with its next (or current) occurrence as of the search's instant."""

    distance_m: float | None
    next_start: Annotated[dt.datetime, Meta(description="The next (or current) start, in the meeting's local time")]
    next_end: Annotated[dt.datetime, Meta(description="When that occurrence ends, in the meeting's local time")]
    in_progress: bool
    starts_in_minutes: int | None
    started_minutes_ago: int | None
    status: str


class MeetingPage(Output):
    """One page of meetings: in-person ones nearest first, then online-only ones by start."""

    items: list[MeetingResult]
    next_cursor: str | None


class MeetingGuideRecord(Output, omit_defaults=True):
    """One meeting of a Meeting Guide JSON feed (github.com/code4recovery/spec); empty fields are left out."""

    name: str
    slug: str
    day: Annotated[int | list[int], Meta(description="0 = Sunday ... 6 = Saturday, or an array of them")]
    time: str
    end_time: str | None = None
    timezone: str | None = None
    location: str | None = None
    location_notes: str | None = None
    address: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    formatted_address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    approximate: Literal["yes", "no"] | None = None
    conference_url: str | None = None
    conference_url_notes: str | None = None
    conference_phone: str | None = None
    conference_phone_notes: str | None = None
    types: list[str] = []
    notes: str | None = None
    group: str | None = None
    regions: list[str] = []
    contact_1_name: str | None = None
    contact_1_email: str | None = None
    contact_1_phone: str | None = None
    contact_2_name: str | None = None
    contact_2_email: str | None = None
    contact_2_phone: str | None = None
    contact_3_name: str | None = None
    contact_3_email: str | None = None
    contact_3_phone: str | None = None
    url: str | None = None
    updated: Annotated[str | None, Meta(description="YYYY-MM-DD HH:MM:SS, UTC")] = None


class MeetingSourceCreate(Input):
    """A source of meetings: the Meeting Guide feed it publishes, fetched only when fetching is on."""

    feed_url: Url | None = None


class MeetingSource(Output):
    """A registered source of meetings."""

    name: str
    feed_url: str | None
    created_at: dt.datetime
    imported_at: dt.datetime | None
