"""Resources: one service at one location, the unit a specialist searches for."""

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

from msgspec import UNSET, Meta, UnsetType

from schemas.base import Input, Output
from schemas.capacity import CapacityReport
from schemas.events import Occurrence
from schemas.fields import Latitude, Longitude, LongText
from schemas.locations import LocationFields, LocationSummary
from schemas.meetings import MeetingResult
from schemas.organizations import OrganizationCreate, OrganizationRef
from schemas.phones import Phone, PhoneCreate
from schemas.schedules import Schedule, ScheduleCreate
from schemas.services import ServiceFields, ServiceSummary


class ResourceCreate(Input):
    """Organization (new or existing), service, location (new or existing) and their link in one call."""

    service: ServiceFields
    organization: OrganizationCreate | None = None
    organization_id: UUID | None = None
    location: LocationFields | None = None
    location_id: UUID | None = None
    description: LongText | None = None
    phones: list[PhoneCreate] = []
    schedules: list[ScheduleCreate] = []

    def __post_init__(self) -> None:
        if (self.organization is None) == (self.organization_id is None):
            raise ValueError("give exactly one of organization or organization_id")
        if (self.location is None) == (self.location_id is None):
            raise ValueError("give exactly one of location or location_id")


class HoursToday(Output):
    """One opening that starts today (local time; closes_at 24:00 means midnight)."""

    opens_at: str
    closes_at: str


class Resource(Output):
    """A service at a location, with everything a specialist needs to send someone there."""

    id: UUID
    service: ServiceSummary
    organization: OrganizationRef
    location: LocationSummary
    description: str | None
    phones: list[Phone]
    schedules: list[Schedule]
    open_now: bool | None
    distance_m: float | None
    capacity: list[CapacityReport]
    closes_at: dt.datetime | None
    opens_next_at: dt.datetime | None
    hours_today: list[HoursToday]
    match: Literal["nearby", "serves_area"] | None
    kind: Annotated[
        Literal["service"] | UnsetType, Meta(description="Only in a search with include: what the item is")
    ] = UNSET


class Origin(Output):
    """The point distances are measured from."""

    latitude: Latitude
    longitude: Longitude
    source: Literal["near", "zip", "address"]
    label: str | None


class IncludedMeeting(MeetingResult, tag_field="kind", tag="meeting"):
    """A meeting beside the services of a search with include=meetings."""


class IncludedOccurrence(Occurrence, tag_field="kind", tag="event"):
    """An event's occurrence beside the services of a search with include=events."""


class ResourcePage(Output):
    """One page of search results; pass next_cursor back as cursor for the next page."""

    items: list[Resource]
    next_cursor: str | None
    origin: Origin | None
    included: Annotated[
        list[IncludedMeeting | IncludedOccurrence] | UnsetType,
        Meta(
            description="Only with include: meetings and event occurrences near the origin starting within "
            "starts_within, nearest first (online-only meetings and placeless events last, by start; with a radius, "
            "only what has a place within it), up to limit; on the first page only (empty on the pages after)"
        ),
    ] = UNSET


class ResourceCount(Output):
    """How many resources a search within a radius holds, before downloading them all."""

    count: int
    nearby: int
    serves_area: int
    radius_m: float
    origin: Origin
