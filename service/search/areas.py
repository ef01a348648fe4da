"""Service areas: checking GeoJSON extents (shapely) and the boxes that prefilter them, correct for
areas that touch or cross the antimeridian. The point-in-area test itself runs in PostgreSQL
(serving_services() in schemas/sql/areas.sql), inside the search statement."""

import math
from typing import TYPE_CHECKING, Any

from schemas.service_areas import ServiceAreaCreate
from service.errors import InvalidInput

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

METRES_PER_DEGREE = 111_320.0
Box = tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat


def check_extent(extent: dict[str, Any], field: str) -> "BaseGeometry":
    """The shapely geometry of a GeoJSON Polygon or MultiPolygon, or a 422 saying what is wrong."""
    from shapely.geometry import shape
    from shapely.validation import explain_validity

    if extent.get("type") not in ("Polygon", "MultiPolygon"):
        raise InvalidInput(field, "must be a GeoJSON Polygon or MultiPolygon", "body")
    try:
        geometry = shape(extent)
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as error:
        raise InvalidInput(field, f"not valid GeoJSON coordinates: {error}", "body") from None
    if geometry.is_empty:
        raise InvalidInput(field, "is empty", "body")
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    if not (min_lon >= -180 and max_lon <= 180 and min_lat >= -90 and max_lat <= 90):
        raise InvalidInput(
            field,
            "coordinates must be [longitude, latitude] within -180..180 and -90..90; an area "
            "crossing the antimeridian is split into a MultiPolygon (RFC 7946)",
            "body",
        )
    if not geometry.is_valid:
        raise InvalidInput(field, f"is not a valid polygon: {explain_validity(geometry)}", "body")
    return geometry


def boxes(area: ServiceAreaCreate, field: str) -> list[Box]:
    """Boxes covering an area, for the index (one per polygon part; circles split at ±180)."""
    if area.extent is not None:
        geometry = check_extent(area.extent, field)
        parts = getattr(geometry, "geoms", [geometry])
        return [part.bounds for part in parts]
    if area.center is not None and area.radius_m is not None:
        lat, lon = area.center.latitude, area.center.longitude
        # Degrees of latitude are ~111 km; a 1% margin covers the ellipsoid.
        dlat = area.radius_m * 1.01 / METRES_PER_DEGREE
        if abs(lat) + dlat >= 89.9:
            return [(-180.0, max(-90.0, lat - dlat), 180.0, min(90.0, lat + dlat))]
        dlon = dlat / math.cos(math.radians(abs(lat) + dlat))
        if dlon >= 180:
            return [(-180.0, lat - dlat, 180.0, lat + dlat)]
        west, east = lon - dlon, lon + dlon
        if west < -180:
            return [(west + 360, lat - dlat, 180.0, lat + dlat), (-180.0, lat - dlat, east, lat + dlat)]
        if east > 180:
            return [(west, lat - dlat, 180.0, lat + dlat), (-180.0, lat - dlat, east - 360, lat + dlat)]
        return [(west, lat - dlat, east, lat + dlat)]
    return []  # postal codes: matched by code, not by point
