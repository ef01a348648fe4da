"""Resources (a service at a location): the specialist search and one-call creation."""

import datetime as dt
from uuid import UUID

import asyncpg
import msgspec

from schemas.resources import Resource, ResourceCreate
from service.errors import InvalidInput
from service.queries.locations import insert_location
from service.queries.organizations import insert_organization
from service.queries.phones import insert_phones
from service.queries.schedules import insert_schedules
from service.queries.services import insert_service


class SearchFilters(msgspec.Struct, frozen=True, kw_only=True):
    """What a search keeps; categories are already expanded to include children."""

    statuses: list[str]
    categories: list[str] | None
    words: str | None
    open_at: dt.datetime | None
    evaluated_at: dt.datetime


class Hit(msgspec.Struct, frozen=True):
    """One search row: the sort key used for paging and the finished item."""

    sort_key: float | str
    item: Resource


# $1 statuses, $2 categories, $3 words, $4 open at; the item's open_now is evaluated at $5.
_FILTERS = """
       s.status = any($1::text[])
   AND ($2::text[] IS NULL OR EXISTS (SELECT 1 FROM service_categories sc
                                       WHERE sc.service_id = s.id AND sc.category_slug = any($2::text[])))
   AND ($3::text IS NULL OR s.search_vector @@ websearch_to_tsquery('cg_search', $3::text))
   AND ($4::timestamptz IS NULL OR resource_open_at(sal.id, s.id, l.id, l.timezone, $4::timestamptz))
"""

# $6 limit, $7/$8 cursor (chord, id), $9/$10 origin. The GiST index yields rows by chord
# distance; the id breaks ties so pages never overlap or skip.
SELECT_NEAREST = f"""
    WITH page AS MATERIALIZED (
        SELECT sal.id, l.geo <-> ll_to_earth($9, $10) AS chord, l.latitude, l.longitude
          FROM locations l
          JOIN service_at_location sal ON sal.location_id = l.id
          JOIN services s ON s.id = sal.service_id
         WHERE l.geo IS NOT NULL AND {_FILTERS}
           AND ($7::float8 IS NULL OR (l.geo <-> ll_to_earth($9, $10), sal.id) > ($7::float8, $8::uuid))
         ORDER BY l.geo <-> ll_to_earth($9, $10), sal.id
         LIMIT $6
    )
    SELECT page.id, page.chord AS sort_key,
           geodesic_m($9, $10, page.latitude, page.longitude) AS distance_m,
           resource_json(page.id, $5)::text AS document
      FROM page
     ORDER BY page.chord, page.id
"""

# As SELECT_NEAREST, within $11 metres: earth_box is a sphere-based prefilter widened to cover
# the ellipsoid, geodesic_m the exact recheck.
SELECT_WITHIN = f"""
    WITH page AS MATERIALIZED (
        SELECT sal.id, l.geo <-> ll_to_earth($9, $10) AS chord, l.latitude, l.longitude
          FROM locations l
          JOIN service_at_location sal ON sal.location_id = l.id
          JOIN services s ON s.id = sal.service_id
         WHERE earth_box(ll_to_earth($9, $10), $11::float8 * 1.01 + 1) @> l.geo
           AND geodesic_m($9, $10, l.latitude, l.longitude) <= $11::float8
           AND {_FILTERS}
           AND ($7::float8 IS NULL OR (l.geo <-> ll_to_earth($9, $10), sal.id) > ($7::float8, $8::uuid))
         ORDER BY l.geo <-> ll_to_earth($9, $10), sal.id
         LIMIT $6
    )
    SELECT page.id, page.chord AS sort_key,
           geodesic_m($9, $10, page.latitude, page.longitude) AS distance_m,
           resource_json(page.id, $5)::text AS document
      FROM page
     ORDER BY page.chord, page.id
"""

# Without a location: by service name, then id.
SELECT_BY_NAME = f"""
    WITH page AS MATERIALIZED (
        SELECT sal.id, s.name
          FROM services s
          JOIN service_at_location sal ON sal.service_id = s.id
          JOIN locations l ON l.id = sal.location_id
         WHERE {_FILTERS}
           AND ($7::text IS NULL OR (s.name, sal.id) > ($7::text, $8::uuid))
         ORDER BY s.name, sal.id
         LIMIT $6
    )
    SELECT page.id, page.name AS sort_key, NULL::float8 AS distance_m,
           resource_json(page.id, $5)::text AS document
      FROM page
     ORDER BY page.name, page.id
"""


def _hits(rows: list[asyncpg.Record]) -> list[Hit]:
    hits = []
    for row in rows:
        item = msgspec.json.decode(row["document"], type=Resource)
        if row["distance_m"] is not None:
            item = msgspec.structs.replace(item, distance_m=round(row["distance_m"], 1))
        hits.append(Hit(row["sort_key"], item))
    return hits


def _filter_args(filters: SearchFilters) -> list[object]:
    return [filters.statuses, filters.categories, filters.words, filters.open_at, filters.evaluated_at]


async def select_nearest(
    conn: asyncpg.Connection, latitude: float, longitude: float, radius_m: float | None,
    filters: SearchFilters, after: tuple[float, UUID] | None, limit: int,
) -> list[Hit]:
    """Up to limit resources nearest a point (within radius_m when given), after a cursor key."""
    chord, last_id = after or (None, None)
    args = [*_filter_args(filters), limit, chord, last_id, latitude, longitude]
    if radius_m is None:
        return _hits(await conn.fetch(SELECT_NEAREST, *args))
    return _hits(await conn.fetch(SELECT_WITHIN, *args, radius_m))


async def select_by_name(
    conn: asyncpg.Connection, filters: SearchFilters, after: tuple[str, UUID] | None, limit: int
) -> list[Hit]:
    """Up to limit resources by service name, after a cursor key."""
    name, last_id = after or (None, None)
    return _hits(await conn.fetch(SELECT_BY_NAME, *_filter_args(filters), limit, name, last_id))


SELECT_RESOURCE = "SELECT resource_json($1, $2)::text"


async def select_resource(conn: asyncpg.Connection, resource_id: UUID, at: dt.datetime) -> Resource | None:
    """One resource, its open_now evaluated at an instant."""
    raw = await conn.fetchval(SELECT_RESOURCE, resource_id, at)
    return None if raw is None else msgspec.json.decode(raw, type=Resource)


SELECT_ORGANIZATION_EXISTS = "SELECT EXISTS (SELECT 1 FROM organizations WHERE id = $1)"

SELECT_LOCATION_EXISTS = "SELECT EXISTS (SELECT 1 FROM locations WHERE id = $1)"

INSERT_SERVICE_AT_LOCATION = """
    INSERT INTO service_at_location (service_id, location_id, description)
    VALUES ($1, $2, $3)
    RETURNING id
"""


async def insert_resource(conn: asyncpg.Connection, new: ResourceCreate) -> UUID:
    """Create what the body describes and link it, all or nothing; return the resource id."""
    async with conn.transaction():
        if new.organization is not None:
            organization_id = await insert_organization(conn, new.organization)
        else:
            organization_id = new.organization_id
            if not await conn.fetchval(SELECT_ORGANIZATION_EXISTS, organization_id):
                raise InvalidInput("organization_id", f"no organization has id {organization_id}", "body")
        assert organization_id is not None
        service_id = await insert_service(conn, organization_id, new.service)
        if new.location is not None:
            location_id = await insert_location(conn, organization_id, new.location)
        else:
            location_id = new.location_id
            if not await conn.fetchval(SELECT_LOCATION_EXISTS, location_id):
                raise InvalidInput("location_id", f"no location has id {location_id}", "body")
        resource_id: UUID = await conn.fetchval(INSERT_SERVICE_AT_LOCATION, service_id, location_id, new.description)
        await insert_phones(conn, "service_at_location", resource_id, new.phones)
        await insert_schedules(conn, "service_at_location", resource_id, new.schedules)
    return resource_id
