"""What a region holds: how many listings belong to a county by its membership rule."""

import asyncpg

from schemas.search import BoundingBox

# Active listings whose public point (a confidential location's rounded one) is inside the box and
# whose postal code is one of the ZIP codes, or that show none (a confidential location shows none).
# $1-$4: south, north, west, east (west > east: across 180°); $5, $6: the lowest and highest corner of the
# box of earth coordinates around it, for the GiST index; $7: ZIPs.
COUNT_COUNTY_LISTINGS = """
    SELECT count(*)
      FROM service_at_location sal
      JOIN services s ON s.id = sal.service_id
      JOIN locations l ON l.id = sal.location_id
     WHERE s.status = 'active'
       AND cube($5::float8[], $6::float8[]) @> l.public_geo
       AND latitude(l.public_geo) BETWEEN $1::float8 AND $2::float8
       AND (longitude(l.public_geo) BETWEEN $3::float8 AND $4::float8
            OR ($3::float8 > $4::float8
                AND (longitude(l.public_geo) >= $3::float8 OR longitude(l.public_geo) <= $4::float8)))
       AND (l.confidential OR coalesce(btrim(l.postal_code), '') = ''
            OR left(btrim(l.postal_code), 5) = any($7::text[]))
"""


async def count_county_listings(conn: asyncpg.Connection, box: BoundingBox, zip_codes: list[str]) -> int:
    """How many active listings belong to the county with this box and these ZIP codes."""
    if box.earth is None:
        raise ValueError("a county's box is never larger than a hemisphere")
    count = await conn.fetchval(
        COUNT_COUNTY_LISTINGS,
        box.min_lat,
        box.max_lat,
        box.min_lon,
        box.max_lon,
        list(box.earth[0]),
        list(box.earth[1]),
        zip_codes,
    )
    return int(count)
