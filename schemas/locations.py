"""Locations: where services happen (a door, a mailing address, or online)."""

import datetime as dt
from uuid import UUID

from msgspec import UNSET, UnsetType

from schemas.addresses import Address, AddressInput
from schemas.base import Input, Output, Patch
from schemas.fields import Latitude, LocationType, Longitude, LongText, Name, ShortText, TimeZone, Url
from schemas.phones import Phone, PhoneCreate
from schemas.schedules import Schedule, ScheduleCreate


class LocationFields(Input):
    """What describes a location, wherever it is written."""

    name: Name | None = None
    alternate_name: Name | None = None
    description: LongText | None = None
    location_type: LocationType = "physical"
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    address: AddressInput | None = None
    timezone: TimeZone | None = None
    transportation: ShortText | None = None
    url: Url | None = None
    confidential: bool = False

    def __post_init__(self) -> None:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude go together: give both or neither")


class LocationCreate(LocationFields):
    """A new location, optionally owned by an organization."""

    organization_id: UUID | None = None
    phones: list[PhoneCreate] = []
    schedules: list[ScheduleCreate] = []


class LocationPatch(Patch):
    """Fields to change; omitted fields stay, null clears, lists replace the whole list."""

    name: Name | None | UnsetType = UNSET
    alternate_name: Name | None | UnsetType = UNSET
    description: LongText | None | UnsetType = UNSET
    location_type: LocationType | UnsetType = UNSET
    latitude: Latitude | None | UnsetType = UNSET
    longitude: Longitude | None | UnsetType = UNSET
    address: AddressInput | None | UnsetType = UNSET
    timezone: TimeZone | None | UnsetType = UNSET
    transportation: ShortText | None | UnsetType = UNSET
    url: Url | None | UnsetType = UNSET
    confidential: bool | UnsetType = UNSET
    organization_id: UUID | None | UnsetType = UNSET
    phones: list[PhoneCreate] | UnsetType = UNSET
    schedules: list[ScheduleCreate] | UnsetType = UNSET

    def __post_init__(self) -> None:
        if (self.latitude is UNSET) != (self.longitude is UNSET) or (
            (self.latitude is None) != (self.longitude is None)
        ):
            raise ValueError("latitude and longitude go together: change both or neither")


class LocationSummary(Output):
    """A location as it appears inside a search result."""

    id: UUID
    name: str | None
    location_type: str
    latitude: float | None
    longitude: float | None
    address: Address | None
    timezone: str | None
    approximate: bool


class Location(LocationSummary):
    """A location as stored; a confidential one shows its real place only to admin calls."""

    confidential: bool

    organization_id: UUID | None
    alternate_name: str | None
    description: str | None
    transportation: str | None
    url: str | None
    service_ids: list[UUID]
    phones: list[Phone]
    schedules: list[Schedule]
    created_at: dt.datetime
    updated_at: dt.datetime


class LocationPage(Output):
    """One page of locations, ordered by name."""

    items: list[Location]
    next_cursor: str | None
