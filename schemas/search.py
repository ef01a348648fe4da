"""A resource search as the service understands it, once the query string has been read."""

import datetime as dt
from typing import Literal
from uuid import UUID

import msgspec

from schemas.resources import Origin


class BoundingBox(msgspec.Struct, frozen=True):
    """A map viewport; min_lon > max_lon means it crosses the antimeridian. Its centre, and the box of
    earth coordinates around it (earthdistance's cube: its lowest and highest corner, metres) the GiST
    index prefilters with; None when the viewport is too big."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float
    centre: tuple[float, float] | None
    earth: tuple[tuple[float, float, float], tuple[float, float, float]] | None


class SearchFilters(msgspec.Struct, frozen=True, kw_only=True):
    """What a search keeps; categories are already expanded to include children."""

    statuses: list[str]
    categories: list[str] | None
    words: str | None
    open_at: dt.datetime | None
    evaluated_at: dt.datetime
    attributes: list[str] | None = None
    age: int | None = None
    cost: list[str] | None = None
    languages: list[str] | None = None
    gender: str | None = None
    has_capacity: str | None = None
    capacity_max_age: dt.timedelta = dt.timedelta(hours=24)
    bbox: BoundingBox | None = None
    verified_since: dt.date | None = None
    # Services, locations or organizations: only their listings (how a downloaded area learns what changed in it).
    listings: list[UUID] | None = None


class SearchRequest(msgspec.Struct, frozen=True, kw_only=True):
    """One validated search: where from, how far, what it keeps, which page, and in what shape."""

    origin: Origin | None
    radius_m: float | None
    zip_code: str | None
    filters: SearchFilters
    limit: int
    cursor: str | None
    # The digest a cursor is bound to: every input that changes the answer.
    query: str
    shape: Literal["json", "geojson"]
