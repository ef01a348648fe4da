"""Service areas: store a service's areas with their index boxes; find the areas that may cover a point."""

import json
from uuid import UUID

import asyncpg

from schemas.service_areas import ServiceAreaCreate
from service.search.areas import Box, boxes

DELETE_AREAS = "DELETE FROM service_areas WHERE service_id = $1"

INSERT_AREA = """
    INSERT INTO service_areas (service_id, name, extent, postal_codes, center_latitude, center_longitude, radius_m,
                               position)
    VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8)
    RETURNING id
"""

INSERT_BOXES = """
    INSERT INTO service_area_boxes (area_id, extent)
    SELECT $1, box(point(b.west, b.south), point(b.east, b.north))
      FROM unnest($2::float8[], $3::float8[], $4::float8[], $5::float8[]) AS b(west, south, east, north)
"""


def checked_boxes(areas: list[ServiceAreaCreate], field: str) -> list[list[Box]]:
    """Each area's index boxes; a bad extent is a 422 naming it (service_areas[2].extent)."""
    return [boxes(area, f"{field}[{index}].extent") for index, area in enumerate(areas)]


async def replace_areas(
    conn: asyncpg.Connection, service_id: UUID, areas: list[ServiceAreaCreate], field: str = "service_areas"
) -> None:
    """Make these the service's areas (the caller holds the transaction)."""
    area_boxes = checked_boxes(areas, field)
    await conn.execute(DELETE_AREAS, service_id)
    for position, (area, found) in enumerate(zip(areas, area_boxes, strict=True)):
        area_id = await conn.fetchval(
            INSERT_AREA,
            service_id,
            area.name,
            None if area.extent is None else json.dumps(area.extent),
            sorted(set(code.strip() for code in area.postal_codes or [])),
            area.center.latitude if area.center else None,
            area.center.longitude if area.center else None,
            area.radius_m,
            position,
        )
        if found:
            await conn.execute(INSERT_BOXES, area_id, *[[box[i] for box in found] for i in range(4)])


# Areas whose box holds the point. Circles are decided here (ellipsoidal distance); polygons get
# their exact test in service/search/areas.py.
SELECT_CANDIDATES = """
    SELECT a.service_id, a.extent::text AS extent,
           geodesic_m(a.center_latitude, a.center_longitude, $1, $2) <= a.radius_m AS in_circle
      FROM service_areas a
     WHERE a.id IN (SELECT b.area_id FROM service_area_boxes b WHERE b.extent @> point($2, $1))
"""


async def select_candidates(conn: asyncpg.Connection, latitude: float, longitude: float) -> list[asyncpg.Record]:
    """Areas that may cover a point."""
    return await conn.fetch(SELECT_CANDIDATES, latitude, longitude)


SELECT_BY_POSTAL_CODE = "SELECT DISTINCT service_id FROM service_areas WHERE postal_codes @> ARRAY[$1::text]"


async def select_by_postal_code(conn: asyncpg.Connection, code: str) -> list[UUID]:
    """Services whose areas list this postal code."""
    return [row["service_id"] for row in await conn.fetch(SELECT_BY_POSTAL_CODE, code)]
