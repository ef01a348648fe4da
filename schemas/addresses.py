"""Street addresses of locations."""

from typing import Annotated

from msgspec import Meta

from schemas.base import Input, Output
from schemas.fields import CountryCode, Name, ShortText

PostalCode = Annotated[str, Meta(max_length=20, examples=["97201"])]


class AddressInput(Input):
    """A street address."""

    address_1: Name
    city: Name
    address_2: ShortText | None = None
    region: ShortText | None = None
    state_province: ShortText | None = None
    postal_code: PostalCode | None = None
    country: CountryCode | None = None


class Address(Output):
    """A street address as stored."""

    address_1: str
    address_2: str | None
    city: str | None
    region: str | None
    state_province: str | None
    postal_code: str | None
    country: str | None
