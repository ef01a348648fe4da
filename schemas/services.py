"""Services: what an organization offers, in our categories."""

import datetime as dt
from typing import Annotated
from uuid import UUID

from msgspec import UNSET, Meta, UnsetType

from schemas.base import Input, Output, Patch
from schemas.fields import (
    Age,
    AttributeSlug,
    CategorySlug,
    Cost,
    Email,
    Gender,
    LanguageCode,
    LongText,
    Name,
    Status,
    Url,
)
from schemas.phones import Phone, PhoneCreate
from schemas.schedules import Schedule, ScheduleCreate
from schemas.service_areas import ServiceArea, ServiceAreas

Categories = Annotated[list[CategorySlug], Meta(min_length=1, max_length=20, description="Category slugs")]
Languages = Annotated[list[LanguageCode], Meta(max_length=50)]
Attributes = Annotated[
    list[AttributeSlug], Meta(max_length=30, description="Eligibility and barrier attributes (GET /v1/attributes)")
]
Genders = Annotated[list[Gender], Meta(max_length=4, description="Genders served; empty means everyone")]
Costs = Annotated[list[Cost], Meta(max_length=4, description="How it is paid for; empty means unknown")]


def _check_ages(minimum: int | None, maximum: int | None) -> None:
    if minimum is not None and maximum is not None and minimum > maximum:
        raise ValueError("minimum_age is above maximum_age")


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
    attributes: Attributes = []
    genders: Genders = []
    minimum_age: Age | None = None
    maximum_age: Age | None = None
    cost: Costs = []
    service_areas: ServiceAreas = []

    def __post_init__(self) -> None:
        _check_ages(self.minimum_age, self.maximum_age)


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
    attributes: Attributes | UnsetType = UNSET
    genders: Genders | UnsetType = UNSET
    minimum_age: Age | None | UnsetType = UNSET
    maximum_age: Age | None | UnsetType = UNSET
    cost: Costs | UnsetType = UNSET
    service_areas: ServiceAreas | UnsetType = UNSET
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
    attributes: list[str]
    genders: list[str]
    minimum_age: int | None
    maximum_age: int | None
    cost: list[str]


class Service(ServiceSummary):
    """A service as stored, with its own phones and hours."""

    organization_id: UUID
    location_ids: list[UUID]
    phones: list[Phone]
    schedules: list[Schedule]
    service_areas: list[ServiceArea]
    created_at: dt.datetime
    updated_at: dt.datetime


class ServicePage(Output):
    """One page of services, ordered by name."""

    items: list[Service]
    next_cursor: str | None
