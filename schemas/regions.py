"""Regions a phone can download for offline use: US counties, from the offline ZIP table."""

from typing import Annotated

from msgspec import Meta

from schemas.base import Output


class CountyZip(Output):
    """One ZIP code of a county, with its centroid (null for a ZIP the table has no point for)."""

    zip_code: str
    city: str | None
    latitude: float | None
    longitude: float | None


class County(Output):
    """A county and what its listings are: see `bbox` and `zip_codes` for the membership rule."""

    name: Annotated[str, Meta(examples=["Multnomah County"])]
    state: Annotated[str, Meta(description="USPS state code", examples=["OR"])]
    label: Annotated[str, Meta(examples=["Multnomah County, OR"])]
    latitude: Annotated[float, Meta(description="The middle of bbox: where a download searches from")]
    longitude: float
    bbox: Annotated[
        list[float],
        Meta(
            description="minLon,minLat,maxLon,maxLat: the box of the county's ZIP centroids widened by "
            "0.2 degrees, as /v1/resources takes it in bbox=. A listing belongs to the county when its "
            "point is inside this box and its postal code is one of zip_codes, or it has none (or is "
            "confidential, and so shows none)",
            min_length=4,
            max_length=4,
        ),
    ]
    zip_codes: list[CountyZip]
    listings: Annotated[int, Meta(description="Active listings that belong to the county now: what a download brings")]


class CountyPage(Output):
    """Counties matching a ZIP code or a name, best first."""

    items: list[County]
