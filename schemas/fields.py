"""Named constraints shared by every shape."""

from typing import Annotated, Literal

from msgspec import Meta

Latitude = Annotated[float, Meta(ge=-90, le=90, description="WGS-84 latitude in degrees", examples=[45.5231])]
Longitude = Annotated[float, Meta(ge=-180, le=180, description="WGS-84 longitude in degrees", examples=[-122.6765])]
Name = Annotated[str, Meta(min_length=1, max_length=300, pattern=r"\S")]
ShortText = Annotated[str, Meta(max_length=300)]
LongText = Annotated[str, Meta(max_length=20_000)]
# A host name or address (no brackets, user info or spaces), then an optional path, query or fragment.
Url = Annotated[
    str, Meta(max_length=2_000, pattern=r"^https?://[^\s/?#\[\]@]+(?:[/?#]\S*)?$", examples=["https://example.org"])
]
Email = Annotated[str, Meta(max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
CategorySlug = Annotated[str, Meta(pattern=r"^[a-z][a-z0-9-]*$", max_length=64, examples=["naloxone"])]
LanguageCode = Annotated[
    str,
    Meta(
        pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
        max_length=35,
        description="ISO 639 language code (BCP 47 tags allowed)",
        examples=["es"],
    ),
]
CountryCode = Annotated[str, Meta(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2", examples=["US"])]
TimeZone = Annotated[
    str, Meta(min_length=1, max_length=64, description="IANA time zone name", examples=["America/Los_Angeles"])
]
Weekday = Annotated[int, Meta(ge=1, le=7, description="ISO weekday: 1 = Monday ... 7 = Sunday")]
ClockTime = Annotated[
    str,
    Meta(
        pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?|24:00(:00)?)$",
        description="Local wall-clock time HH:MM; 24:00 means the end of the day",
        examples=["09:00"],
    ),
]
Status = Literal["active", "inactive", "defunct", "temporarily closed"]
AttributeSlug = Annotated[
    str,
    Meta(
        pattern=r"^[a-z][a-z0-9-]*$",
        max_length=64,
        examples=["no-id-required"],
        description="An attribute slug from GET /v1/attributes",
    ),
]
Gender = Literal["women", "men", "transgender", "nonbinary"]
Cost = Literal["free", "sliding-scale", "insurance", "fee"]
Age = Annotated[int, Meta(ge=0, le=130, description="Age in years")]
LocationType = Literal["physical", "postal", "virtual"]
PhoneType = Literal["text", "voice", "fax", "cell", "video", "pager", "textphone"]
