"""Service areas: store a service's areas with their index boxes (the rings follow by trigger)."""

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
