"""Organizations that provide services."""

import datetime as dt
from uuid import UUID

from msgspec import UNSET, UnsetType

from schemas.base import Input, Output, Patch
from schemas.fields import Email, LongText, Name, Url
from schemas.phones import Phone, PhoneCreate


class OrganizationCreate(Input):
    """A new organization."""

    name: Name
    alternate_name: Name | None = None
    description: LongText | None = None
    email: Email | None = None
    website: Url | None = None
    phones: list[PhoneCreate] = []


class OrganizationPatch(Patch):
    """Fields to change; omitted fields stay, null clears, phones replace the whole list."""

    name: Name | UnsetType = UNSET
    alternate_name: Name | None | UnsetType = UNSET
    description: LongText | None | UnsetType = UNSET
    email: Email | None | UnsetType = UNSET
    website: Url | None | UnsetType = UNSET
    phones: list[PhoneCreate] | UnsetType = UNSET


class OrganizationRef(Output):
    """The organization behind a resource."""

    id: UUID
    name: str


class Organization(Output):
    """An organization as stored."""

    id: UUID
    name: str
    alternate_name: str | None
    description: str | None
    email: str | None
    website: str | None
    phones: list[Phone]
    created_at: dt.datetime
    updated_at: dt.datetime


class OrganizationPage(Output):
    """One page of organizations, ordered by name."""

    items: list[Organization]
    next_cursor: str | None
