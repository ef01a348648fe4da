"""Regions to download for offline use: a county found by a ZIP code or its name."""

from typing import Annotated

import asyncpg
from litestar import get
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import QueryParameter

from schemas.regions import County, CountyPage, CountyZip
from service.counties import Area, counties_named, county_of_zip
from service.errors import InvalidInput
from service.queries import regions as queries
from service.replicas import REPLICA_READS
from service.search.geo import parse_bbox


async def _county(conn: asyncpg.Connection, area: Area) -> County:
    box = parse_bbox(f"{area.min_lon},{area.min_lat},{area.max_lon},{area.max_lat}")
    if box.centre is None:
        raise ValueError("a county's box is never larger than a hemisphere")
    return County(
        name=area.name,
        state=area.state,
        label=area.label,
        latitude=round(box.centre[0], 5),
        longitude=round(box.centre[1], 5),
        bbox=[round(value, 5) for value in (area.min_lon, area.min_lat, area.max_lon, area.max_lat)],
        zip_codes=[CountyZip(p.zip_code, p.city, p.latitude, p.longitude) for p in area.places],
        listings=await queries.count_county_listings(conn, box, [place.zip_code for place in area.places]),
    )


@get("/v1/regions/counties", operation_id="findCounties", tags=["regions"], dependencies=REPLICA_READS)
async def find_counties(
    conn: NamedDependency[asyncpg.Connection],
    q: Annotated[
        str | None,
        QueryParameter(
            max_length=100,
            description="The start of a county's name, optionally with its state: multnomah, Cook County, IL",
            examples=[Example(value="multnomah")],
        ),
    ] = None,
    zip_code: Annotated[
        str | None,
        QueryParameter(
            name="zip",
            max_length=10,
            description="The county this US ZIP code lies in",
            examples=[Example(value="97201")],
        ),
    ] = None,
) -> CountyPage:
    """US counties (offline ZIP table) with their ZIP codes, box and how many listings belong to each:
    what a phone downloads as a region pack (bbox= on /v1/resources, then the membership rule)."""
    if (q is None) == (zip_code is None):
        raise InvalidInput("q", "give q (a county's name) or zip (a ZIP code in it), one of them")
    areas = [county_of_zip(zip_code)] if zip_code is not None else counties_named(q or "")
    return CountyPage(items=[await _county(conn, area) for area in areas])
