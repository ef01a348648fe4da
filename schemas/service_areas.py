"""Service areas: a GeoJSON (Multi)Polygon, a list of postal codes, or a circle."""

from typing import Annotated, Any
from uuid import UUID

from msgspec import Meta

from schemas.base import Input, Output
from schemas.fields import Latitude, Longitude, ShortText

PostalCodes = Annotated[list[Annotated[str, Meta(min_length=1, max_length=20)]], Meta(max_length=5000)]
RadiusM = Annotated[float, Meta(gt=0, le=20_000_000, description="Metres")]


class Point(Input):
    """A WGS-84 point."""

    latitude: Latitude
    longitude: Longitude


class ServiceAreaCreate(Input):
    """Exactly one of: extent (a GeoJSON Polygon or MultiPolygon, holes honoured; per RFC 7946 an area
    crossing the antimeridian arrives split into a MultiPolygon), postal_codes, or center with radius_m."""

    name: ShortText | None = None
    extent: dict[str, Any] | None = None
    postal_codes: PostalCodes | None = None
    center: Point | None = None
    radius_m: RadiusM | None = None

    def __post_init__(self) -> None:
        given = [
            kind
            for kind, value in (("extent", self.extent), ("postal_codes", self.postal_codes), ("center", self.center))
            if value
        ]
        if len(given) != 1:
            raise ValueError("give exactly one of extent, postal_codes, or center with radius_m")
        if (self.center is None) != (self.radius_m is None):
            raise ValueError("center and radius_m go together")


ServiceAreas = Annotated[list[ServiceAreaCreate], Meta(max_length=100)]


class ServiceArea(Output):
    """A stored service area."""

    id: UUID
    name: str | None
    extent: dict[str, Any] | None
    postal_codes: list[str]
    center: dict[str, float] | None
    radius_m: float | None
