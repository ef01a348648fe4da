"""Services: what an organization offers, in our categories."""

import datetime as dt
from typing import Annotated
from uuid import UUID

from msgspec import UNSET, Meta, UnsetType

from schemas.base import Input, Output, Patch
from schemas.fields import CategorySlug, Email, LanguageCode, LongText, Name, Status, Url
from schemas.phones import Phone, PhoneCreate
from schemas.schedules import Schedule, ScheduleCreate

Categories = Annotated[list[CategorySlug], Meta(min_length=1, max_length=20, description="Category slugs")]
Languages = Annotated[list[LanguageCode], Meta(max_length=50)]


class ServiceFields(Input):
    """What describes a service, wherever it is written."""

    name: Name
    categories: Categories
    alternate_name: Name | None = None
    description: LongText | None = None
    status: Status = "active"
    url: Url | None = None
    email: Email | None = None
    eligibility_description: LongText | None = None
    fees_description: LongText | None = None
    application_process: LongText | None = None
    languages: Languages = []
    assured_date: dt.date | None = None


class ServiceCreate(ServiceFields, kw_only=True):
    """A new service of an existing organization."""

    organization_id: UUID
    phones: list[PhoneCreate] = []
    schedules: list[ScheduleCreate] = []


class ServicePatch(Patch):
    """Fields to change; omitted fields stay, null clears, lists replace the whole list."""

    name: Name | UnsetType = UNSET
    categories: Categories | UnsetType = UNSET
    alternate_name: Name | None | UnsetType = UNSET
    description: LongText | None | UnsetType = UNSET
    status: Status | UnsetType = UNSET
    url: Url | None | UnsetType = UNSET
    email: Email | None | UnsetType = UNSET
    eligibility_description: LongText | None | UnsetType = UNSET
    fees_description: LongText | None | UnsetType = UNSET
    application_process: LongText | None | UnsetType = UNSET
    languages: Languages | UnsetType = UNSET
    assured_date: dt.date | None | UnsetType = UNSET
    phones: list[PhoneCreate] | UnsetType = UNSET
    schedules: list[ScheduleCreate] | UnsetType = UNSET


class ServiceSummary(Output):
    """A service as it appears inside a search result."""

    id: UUID
    name: str
    alternate_name: str | None
    description: str | None
    categories: list[str]
    status: str
    url: str | None
    email: str | None
    eligibility_description: str | None
    fees_description: str | None
    application_process: str | None
    languages: list[str]
    assured_date: dt.date | None


class Service(ServiceSummary):
    """A service as stored, with its own phones and hours."""

    organization_id: UUID
    location_ids: list[UUID]
    phones: list[Phone]
    schedules: list[Schedule]
    created_at: dt.datetime
    updated_at: dt.datetime


class ServicePage(Output):
    """One page of services, ordered by name."""

    items: list[Service]
    next_cursor: str | None
