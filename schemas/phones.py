"""Phone numbers of an organization, service, location or service at a location."""

from typing import Annotated
from uuid import UUID

from msgspec import Meta

from schemas.base import Input, Output
from schemas.fields import PhoneType, ShortText

PhoneNumber = Annotated[str, Meta(min_length=1, max_length=50, pattern=r"[0-9A-Za-z]", examples=["503-555-0100"])]


class PhoneCreate(Input):
    """A phone number to attach."""

    number: PhoneNumber
    extension: Annotated[str, Meta(max_length=20)] | None = None
    type: PhoneType | None = None
    description: ShortText | None = None


class Phone(Output):
    """A phone number as stored."""

    id: UUID
    number: str
    extension: str | None
    type: str | None
    description: str | None
