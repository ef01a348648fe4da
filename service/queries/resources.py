"""Resources (a service at a location): the specialist search and one-call creation."""

import datetime as dt
import math
from collections.abc import Callable
from typing import Literal, NamedTuple
from uuid import UUID

import asyncpg

from schemas.resources import ResourceCreate
from schemas.search import SearchFilters
from service.errors import InvalidInput
from service.queries.locations import insert_location
from service.queries.organizations import insert_organization
from service.queries.phones import insert_phones
from service.queries.schedules import insert_schedules
from service.queries.services import insert_service
from service.search.moments import Moment


class Hit(NamedTuple):
    """One search row: its sort key for paging, its distance and its finished JSON item."""

    id: UUID
    sort_key: float | str
    distance_m: float | None
    item: str


NO_HOURS = '"closes_at":null,"opens_next_at":null,"hours_today":[]'


def finish_item(
    head: str,
    open_now: bool | None,
    distance_m: float | None,
    capacity: str = "[]",
    hours: str = NO_HOURS,
    match: str | None = None,
) -> str:
    """Close a stored document head (see resource_index.head) with the per-request fields."""
    opened = "null" if open_now is None else "true" if open_now else "false"
    distance = "null" if distance_m is None else f"{distance_m:.1f}"
    matched = "null" if match is None else f'"{match}"'
    return f'{head},"open_now":{opened},"distance_m":{distance},"capacity":{capacity},{hours},"match":{matched}}}'


def _hits(rows: list[asyncpg.Record], filters: SearchFilters, match: str | None = None) -> list[Hit]:
    """Search rows (id, sort_key, distance_m, head and the EXTRAS columns) as finished hits at the
    filters' instant; each matched as given, else as its own match column says (if it has one)."""
    moment = Moment(filters.evaluated_at, filters.capacity_max_age)
    return [_hit(moment, row, row, match or row.get("match")) for row in rows]


def _hit(moment: Moment, key: asyncpg.Record, document: asyncpg.Record, match: str | None) -> Hit:
    """One hit: its id, sort key and distance from key, its item finished from document's columns."""
    capacity, hours = moment.fields(document)
    item = finish_item(document["head"], document["open_now"], key["distance_m"], capacity, hours, match)
    return Hit(key["id"], key["sort_key"], key["distance_m"], item)


# An indexed filter that can pick a search's rows when it leaves few (count_candidates); "facets" is
# categories and attributes together (their bitmaps ANDed).
Driver = Literal["open_at", "categories", "attributes", "facets", "listings"]


class _Search:
    """A search statement composed from the constant fragments below and its parameter list.

    Every template and fragment names its holes ({where}, {limit}, {radius}, ...) and is filled by
    str.format; only the choice of fragments depends on the request, every value travels as a
    $n parameter (row counts excepted: see row_count). Composing per filter set, instead of one
    statement with "$n IS NULL OR ..." branches, lets PostgreSQL cache one good plan per shape
    rather than re-plan on every execution.
    """

    def __init__(self, *args: object) -> None:
        self.args = list(args)
        self.where: list[str] = []

    def param(self, value: object) -> str:
        self.args.append(value)
        return f"${len(self.args)}"

    def keep(self, fragment: str, **values: object) -> None:
        """Add a condition, each of its named holes bound to a new parameter."""
        self.where.append(fragment.format(**{name: self.param(value) for name, value in values.items()}))

    def filter(self, filters: SearchFilters, driver: Driver | None = None, near: bool = False) -> None:
        """The conditions of the filters. With a driver, that indexed test picks the rows (a bitmap scan
        of the few it leaves, see count_candidates) and the others test each of them; without one, the
        search walks an index in its order, and the indexed tests are written so that PostgreSQL
        cannot pick their indexes instead and sort every match (a generic plan did: 230 ms at 1M).
        A walk from a point (near) tests categories and attributes in its index (resource_index_geo_facets)."""

        def indexed(name: Driver, fragment: str) -> str:
            return fragment if driver in (name, "facets") else "(" + fragment + ") IS TRUE"

        facets = near and driver is None and facet_query(filters.categories, filters.attributes)
        self.keep(_WHERE_STATUS, statuses=filters.statuses)
        if facets:
            self.keep(_WHERE_FACETS, facets=facets)
        elif filters.categories is not None:
            self.keep(indexed("categories", _WHERE_CATEGORIES), categories=filters.categories)
        if filters.open_at is not None:
            if driver == "open_at":
                self.keep(OPEN_CANDIDATES, at=filters.open_at)
            self.keep(OPEN_AT, at=filters.open_at)
        if filters.attributes and not facets:
            self.keep(indexed("attributes", _WHERE_ATTRIBUTES), attributes=filters.attributes)
        if filters.age is not None:
            self.keep(_WHERE_AGE, age=filters.age)
        if filters.cost:
            self.keep(_WHERE_COST, cost=filters.cost)
        if filters.languages:
            self.keep(_WHERE_LANGUAGES, languages=filters.languages)
        if filters.gender is not None:
            self.keep(_WHERE_GENDER, gender=filters.gender)
        if filters.verified_since is not None:
            self.keep(_WHERE_VERIFIED, since=filters.verified_since)
        if (box := filters.bbox) is not None:
            self.keep(_WHERE_BBOX_LAT, south=box.min_lat, north=box.max_lat)
            lon_test = _WHERE_BBOX_LON_INSIDE if box.min_lon <= box.max_lon else _WHERE_BBOX_LON_ACROSS
            self.keep(lon_test, west=box.min_lon, east=box.max_lon)
            if box.earth is not None:
                self.keep(_WHERE_EARTH_BOX, low=list(box.earth[0]), high=list(box.earth[1]))
        if filters.listings is not None:
            self.keep(indexed("listings", _WHERE_LISTINGS), ids=filters.listings)
        if filters.has_capacity is not None:
            self.keep(_WHERE_CAPACITY, unit=filters.has_capacity, since=filters.evaluated_at - filters.capacity_max_age)

    def extras(self, at: str) -> str:
        """The columns each result needs as of the request (EXTRAS), at the parameter `at`."""
        return EXTRAS.format(at=at, open_now=OPEN_AT.format(at=at))

    def sql(self, template: str, limit: int | None = None, **parts: str) -> str:
        """The template with its conditions, its limit and the other named parts."""
        if limit is not None:
            parts["limit"] = row_count(limit)
        return template.format(where=" AND ".join(self.where) or "true", **parts)


def row_count(count: int) -> str:
    """A LIMIT written into the statement: with a $n there, PostgreSQL's generic plan assumes a tenth of
    the table and keeps planning each execution anew (1 ms of a 1.5 ms search). Only ever a bounded
    integer (a page size the API validated, plus a few), never text from a request."""
    if not (isinstance(count, int) and 0 < count <= 20_000):
        raise ValueError(f"not a row count: {count!r}")
    return str(count)


# What each result needs as of the request ({at}), for the rows a search returns only: open_now, the
# latest capacity reports as stored, and while the row's timeline covers the instant the end of the
# opening it falls in and the next opening's start (seconds since the epoch: compared and formatted
# faster than datetimes) and the day's hours, which service.search.moments
# turns into the result's fields; else the hours ready-made by resource_hours().
_COVERS = "r.timeline_since <= {at}::timestamptz AND {at}::timestamptz < r.timeline_until"
_SPAN = "width_bucket({at}::timestamptz, r.timeline_starts)"
EXTRAS = (
    "{open_now} AS open_now, CASE WHEN r.capacity <> '[]'::jsonb THEN r.capacity END AS capacity, "
    f"CASE WHEN {_COVERS} THEN date_part('epoch', r.timeline_ends[{_SPAN}]) END AS span_end, "
    f"CASE WHEN {_COVERS} THEN date_part('epoch', r.timeline_starts[coalesce({_SPAN}, 0) + 1]) END AS next_start, "
    f"CASE WHEN {_COVERS} THEN r.timeline_days[({{at}}::timestamptz AT TIME ZONE r.timezone)::date"
    " - r.timeline_from + 1] END AS today, r.timezone, "
    f"CASE WHEN {_COVERS} THEN NULL ELSE resource_hours_by_id(r.id, {{at}}::timestamptz) END AS hours"
)

_WHERE_STATUS = "r.status = any({statuses}::text[])"
_WHERE_CATEGORIES = "r.categories && {categories}::text[]"
# resource_open_at() with its fast paths written out, as a filter and as a column: the weekly
# hours for resources without exceptions (1.5 us a row instead of 7), else the timeline laid out
# when the row was written (refresh_resource_index()) while it covers the instant. The weekly hours
# come first: on a DST night an opening that ends at a local time the clocks skip ends on the
# timeline an hour later than on the wall clock, which is what the weekly hours follow.
OPEN_AT = (
    "CASE WHEN r.hours_simple AND cardinality(r.exception_dates) = 0 "
    "THEN r.week_open @> week_second({at}::timestamptz, r.timezone) "
    f"WHEN {_COVERS} "
    "THEN coalesce({at}::timestamptz < r.timeline_ends[width_bucket({at}::timestamptz, r.timeline_starts)], false) "
    "ELSE resource_open_at_by_id(r.id, {at}::timestamptz) END"
)
# Every row that may be open at the instant, from indexes: keyed for its hour (open_keys, migration
# 0007), unkeyed, or with a timeline that does not cover it. OPEN_AT decides among them.
OPEN_CANDIDATES = (
    "(r.open_keys && instant_keys({at}::timestamptz) OR r.open_keys IS NULL"
    " OR r.timeline_since > {at}::timestamptz OR r.timeline_until <= {at}::timestamptz)"
)
_WHERE_ATTRIBUTES = "r.attributes @> {attributes}::text[]"
# Both, as the walk's index (resource_index_geo_facets, migration 0016) tests them: the same rows as the two
# conditions above (facet_vector() in schemas/sql/search_index.sql).
_WHERE_FACETS = "r.facets @@ {facets}::tsquery"


def facet_query(categories: list[str] | None, attributes: list[str] | None) -> str | None:
    """The tsquery text of _WHERE_FACETS: any of the categories and all of the attributes, each slug
    quoted as one lexeme; None when there is neither (or no category at all is asked for: nothing matches)."""
    if categories == [] or not (categories or attributes):
        return None
    terms = [_lexeme("a." + attribute) for attribute in attributes or []]
    if categories:
        terms.insert(0, "(" + " | ".join(_lexeme("c." + category) for category in categories) + ")")
    return " & ".join(terms)


def _lexeme(text: str) -> str:
    """A tsquery operand that is exactly this text (quoted: no operator, weight or prefix in it is read)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


# Unknown ages do not exclude: a service without a minimum takes everyone up to its maximum.
_WHERE_AGE = "coalesce(r.minimum_age, 0) <= {age}::int AND coalesce(r.maximum_age, 130) >= {age}::int"
_WHERE_COST = "r.cost && {cost}::text[]"
_WHERE_LANGUAGES = "r.languages @> {languages}::text[]"
# No genders listed means the service serves everyone.
_WHERE_GENDER = "(r.genders = '{{}}' OR {gender}::text = any(r.genders))"
# A map viewport: the exact test, and a covering circle the GiST index can use.
_WHERE_BBOX_LAT = "r.latitude BETWEEN {south}::float8 AND {north}::float8"
_WHERE_BBOX_LON_INSIDE = "r.longitude BETWEEN {west}::float8 AND {east}::float8"
_WHERE_BBOX_LON_ACROSS = "(r.longitude >= {west}::float8 OR r.longitude <= {east}::float8)"
_WHERE_EARTH_BOX = "cube({low}::float8[], {high}::float8[]) @> r.geo"
# A person verified the listing (assured_date) on or after the date.
# The listings of some services, locations or organizations: picked by the primary key from the few
# links they have (each part by its own index), so it always drives the search (CandidateCounts.driver).
_WHERE_LISTINGS = (
    "r.id = any(ARRAY(SELECT x.id FROM service_at_location x WHERE x.service_id = any({ids}::uuid[]) "
    "UNION SELECT x.id FROM service_at_location x WHERE x.location_id = any({ids}::uuid[]) "
    "UNION SELECT x.id FROM service_at_location x JOIN services s ON s.id = x.service_id "
    "WHERE s.organization_id = any({ids}::uuid[])))"
)
_WHERE_VERIFIED = (
    "EXISTS (SELECT 1 FROM service_at_location x JOIN services s ON s.id = x.service_id "
    "WHERE x.id = r.id AND s.assured_date >= {since}::date)"
)
# A current count (reported within the max age) with something available.
_WHERE_CAPACITY = (
    "EXISTS (SELECT 1 FROM jsonb_array_elements(r.capacity) AS e WHERE e->>'unit' = {unit}::text "
    "AND (e->>'available')::int > 0 AND (e->>'updated_at')::timestamptz >= {since}::timestamptz)"
)
# earth_box is a sphere-based prefilter the GiST index can use, widened to cover the ellipsoid;
# geodesic_m is the exact recheck. $1, $2: the origin.
_WHERE_WITHIN = (
    "earth_box(ll_to_earth($1, $2), {radius}::float8 * 1.01 + 1) @> r.geo"
    " AND geodesic_m($1, $2, r.latitude, r.longitude) <= {radius}::float8"
)
_WHERE_AFTER_CHORD = "(r.geo <-> ll_to_earth($1, $2), r.id) > ({key}::float8, {id}::uuid)"
_WHERE_AFTER_NAME = "(r.name, r.id) > ({key}::text, {id}::uuid)"
_WHERE_AFTER_ID = "r.id > {id}::uuid"

# Searches read only resource_index: one row per resource, kept current by triggers
# (schemas/sql/search_index.sql). $1/$2 the origin, $3 when open_now is evaluated. Rows come from
# the GiST index by chord distance (a sphere); the id breaks ties so pages never overlap or skip.
# distance_m is ellipsoidal.
#
# Before PostgreSQL 17 the planner cannot put an incremental sort on a KNN index scan, so
# "ORDER BY distance, id" would sort the whole table. The inner query therefore orders by
# distance alone (KNN on every version) over a window a little longer than the page, and the
# outer query sorts that window by (distance, id). When the window ends inside the page's last
# group of equal distances, the window may have cut that group short: the exact statements
# (SELECT_NEAREST_IDS_EXACT) then answer instead.
TIE_WINDOW = 16

# The nearest part of a search: ids and sort keys only, from the GiST index. Windowed: the
# nearest `window` rows by distance alone, sorted by (distance, id).
SELECT_NEAREST_IDS = """
    SELECT 'nearby'::text AS match, k.id, k.sort_key, k.window_edge, k.window_rows
      FROM (SELECT r.id, r.geo <-> ll_to_earth($1, $2) AS sort_key,
                   max(r.geo <-> ll_to_earth($1, $2)) OVER () AS window_edge, count(*) OVER () AS window_rows
              FROM (SELECT r.id, r.geo
                      FROM resource_index r
                     WHERE r.geo IS NOT NULL AND {where}
                     ORDER BY r.geo <-> ll_to_earth($1, $2)
                     LIMIT {window}) AS r) AS k
     ORDER BY k.sort_key, k.id
     LIMIT {limit}
"""

# The nearest part in its exact order (distance, id): from PostgreSQL 17 an incremental sort of the
# KNN walk; or, when its indexed filters leave few rows (count_candidates), all of them ranked
# (BY_DISTANCE_RANKED). Ids and sort keys only: SELECT_PAGE adds the documents and the per-request
# columns for the page's rows after the sort. Carrying them through the sort cost more than the
# join back (10k, PostgreSQL CPU per plain search: 920 us against 530-800).
SELECT_NEAREST_IDS_EXACT = """
    SELECT 'nearby'::text AS match, r.id, r.geo <-> ll_to_earth($1, $2) AS sort_key,
           NULL::float8 AS window_edge, NULL::bigint AS window_rows
      FROM resource_index r
     WHERE r.geo IS NOT NULL AND {where}
     ORDER BY {distance}, r.id
     LIMIT {limit}
"""

# Services whose area covers the search point, one resource each (the lowest id), listed before
# nearby ones: their sort key is 0, the chord distance of a resource standing on the point. Read from
# the few services served (tens at 100k), each link checked by key: LATERAL with LIMIT keeps the
# planner from running a selective filter's bitmap scans over the whole index a second time (they
# were the nearby part's, and the area part found nothing in them but paid 1.2 ms at 10k).
SELECT_SERVING = """
    SELECT 'serves_area'::text AS match, r.id, 0::float8 AS sort_key,
           NULL::float8 AS window_edge, NULL::bigint AS window_rows
      FROM resource_index r
     WHERE r.id IN (SELECT DISTINCT ON (sal.service_id) sal.id
                      FROM service_at_location sal
                     CROSS JOIN LATERAL (SELECT 1 FROM resource_index r WHERE r.id = sal.id AND {where} LIMIT 1) kept
                     WHERE sal.service_id = any((SELECT ids FROM served)::uuid[])
                     ORDER BY sal.service_id, sal.id)
       AND {after}
     ORDER BY r.id
     LIMIT {limit}
"""

# The page of a search from a point: the parts' best rows by (sort key, id), and only for those
# the document and what is evaluated per request. With area matches, `served` holds the services
# whose area covers the point (circles and extents decided by serving_services() in
# schemas/sql/areas.sql).
SELECT_PAGE = """
    {served}
    SELECT p.match, p.id, p.sort_key, p.window_edge, p.window_rows, r.head,
           CASE WHEN p.match = 'nearby' THEN geodesic_m($1, $2, r.latitude, r.longitude) END AS distance_m, {extras}
      FROM (SELECT u.* FROM ({parts}) AS u ORDER BY u.sort_key, u.id LIMIT {limit}) AS p
      JOIN resource_index r ON r.id = p.id
"""
# Walking the nearest-first index, or (with a driver) ranking the few rows it leaves, the "+ 0"
# keeping PostgreSQL from walking the index instead and testing every row it passes.
BY_DISTANCE = "r.geo <-> ll_to_earth($1, $2)"
BY_DISTANCE_RANKED = "(r.geo <-> ll_to_earth($1, $2)) + 0"

WITH_SERVED = "WITH served AS MATERIALIZED (SELECT serving_services($1, $2, {postal_code}::text) AS ids)"
# Nearby places leave out the services already listed for their area.
_WHERE_NOT_SERVED = (
    "(cardinality((SELECT ids FROM served)::uuid[]) = 0 OR NOT EXISTS (SELECT 1 FROM service_at_location x "
    "WHERE x.id = r.id AND x.service_id = any((SELECT ids FROM served)::uuid[])))"
)


def nearest_statement(
    latitude: float,
    longitude: float,
    radius_m: float | None,
    filters: SearchFilters,
    after: tuple[float, UUID] | None,
    limit: int,
    exact: bool = False,
    driver: Driver | None = None,
) -> tuple[str, list[object]]:
    """The SQL and parameters of a nearest-first search: windowed, or exact (fast from PostgreSQL 17);
    with a driver, ranking the few rows that filter leaves."""
    search = _Search(latitude, longitude, filters.evaluated_at)
    search.filter(filters, driver, near=True)
    extras = search.extras("$3")
    parts = _nearest_ids(search, radius_m, after, limit, driver is not None, exact)
    return SELECT_PAGE.format(served="", parts=parts, limit=row_count(limit), extras=extras), search.args


def _nearest_ids(
    search: _Search, radius_m: float | None, after: tuple[float, UUID] | None, limit: int, few: bool, exact: bool
) -> str:
    """The nearest part of a search (ids and sort keys), within the radius and after the cursor:
    exact, ranked when few, else windowed."""
    if radius_m is not None:
        search.keep(_WHERE_WITHIN, radius=radius_m)
    if after is not None:
        search.keep(_WHERE_AFTER_CHORD, key=after[0], id=after[1])
    if few or exact:
        distance = BY_DISTANCE_RANKED if few else BY_DISTANCE
        return search.sql(SELECT_NEAREST_IDS_EXACT, limit, distance=distance)
    return search.sql(SELECT_NEAREST_IDS, limit, window=row_count(limit + TIE_WINDOW))


def nearby_statement(
    latitude: float,
    longitude: float,
    postal_code: str | None,
    radius_m: float | None,
    filters: SearchFilters,
    after: tuple[float, UUID] | None,
    limit: int,
    exact: bool = False,
    driver: Driver | None = None,
) -> tuple[str, list[object]]:
    """The SQL and parameters of a search from a point: area matches first, then nearest first (with a
    driver, ranking the few rows that filter leaves)."""
    search = _Search(latitude, longitude, filters.evaluated_at)
    served = WITH_SERVED.format(postal_code=search.param(postal_code))
    extras = search.extras("$3")
    search.filter(filters, driver, near=True)
    parts = ""
    if after is None or after[0] <= 0:  # area matches sort first (key 0): a later page has none left
        after_sql = "true" if after is None else _WHERE_AFTER_ID.format(id=search.param(after[1]))
        parts = "(" + search.sql(SELECT_SERVING, limit, after=after_sql) + ") UNION ALL "
    search.where.append(_WHERE_NOT_SERVED)
    parts += "(" + _nearest_ids(search, radius_m, after, limit, driver is not None, exact) + ")"
    return SELECT_PAGE.format(served=served, parts=parts, limit=row_count(limit), extras=extras), search.args


def incremental_knn(server_version: int) -> bool:
    """Whether this PostgreSQL can incrementally sort a KNN scan, making the exact statement fast."""
    return server_version >= 170000


async def select_nearest(
    conn: asyncpg.Connection,
    latitude: float,
    longitude: float,
    radius_m: float | None,
    filters: SearchFilters,
    after: tuple[float, UUID] | None,
    limit: int,
    windowed: bool = True,
    driver: Driver | None = None,
) -> list[Hit]:
    """Up to limit resources nearest a point (within radius_m when given), after a cursor key, nearest first."""

    def statement(exact: bool) -> tuple[str, list[object]]:
        return nearest_statement(latitude, longitude, radius_m, filters, after, limit, exact, driver)

    rows = await _fetch_page(conn, statement, limit, windowed)
    return sorted(_hits(rows, filters), key=lambda hit: (hit.sort_key, hit.id))


async def _fetch_page(
    conn: asyncpg.Connection, statement: Callable[[bool], tuple[str, list[object]]], limit: int, windowed: bool
) -> list[asyncpg.Record]:
    """The rows of a page from a point: windowed, and exact again when the window may have cut the
    page's last group of equal distances short (rows of lower id would be missing); exact at once
    where PostgreSQL sorts a KNN scan incrementally."""
    sql, args = statement(not windowed)
    rows = await conn.fetch(sql, *args)
    if windowed and any(
        row["match"] == "nearby" and row["window_rows"] == limit + TIE_WINDOW and row["sort_key"] == row["window_edge"]
        for row in rows
    ):
        sql, args = statement(True)
        rows = await conn.fetch(sql, *args)
    return rows


async def select_nearby(
    conn: asyncpg.Connection,
    latitude: float,
    longitude: float,
    postal_code: str | None,
    radius_m: float | None,
    filters: SearchFilters,
    after: tuple[float, UUID] | None,
    limit: int,
    windowed: bool = True,
    driver: Driver | None = None,
) -> list[Hit]:
    """The first limit resources, after a cursor key, of those serving the point through an area (sort
    key 0) and then the nearest of the others (within radius_m when given); in no particular order."""

    def statement(exact: bool) -> tuple[str, list[object]]:
        return nearby_statement(latitude, longitude, postal_code, radius_m, filters, after, limit, exact, driver)

    return _hits(await _fetch_page(conn, statement, limit, windowed), filters)


# How many resources a search within a radius holds: the nearby ones and the services whose area
# covers the point (what a phone downloading the area will receive).
COUNT_WITHIN = """
    SELECT (SELECT count(*) FROM resource_index r WHERE r.geo IS NOT NULL AND {where}) AS nearby,
           cardinality(serving_services($1, $2, {postal_code}::text)) AS serving
"""


async def count_within(
    conn: asyncpg.Connection,
    latitude: float,
    longitude: float,
    postal_code: str | None,
    radius_m: float,
    filters: SearchFilters,
) -> asyncpg.Record:
    """Resources within radius_m of the point that pass the filters, and the services serving it."""
    search = _Search(latitude, longitude)
    search.filter(filters)
    search.keep(_WHERE_WITHIN, radius=radius_m)
    statement = search.sql(COUNT_WITHIN, postal_code=search.param(postal_code))
    row = await conn.fetchrow(statement, *search.args)
    assert row is not None, "an aggregate always answers"
    return row


# Without a location: by service name, then id. $1 is when open_now is evaluated.
SELECT_BY_NAME = """
    SELECT r.id, r.name AS sort_key, NULL::float8 AS distance_m, r.head,
           {extras}
      FROM resource_index r
     WHERE {where}
     ORDER BY r.name, r.id
     LIMIT {limit}
"""
# With a driver (count_candidates): rank the few rows it leaves; "|| ''" keeps PostgreSQL from walking the
# name index instead (same text, same collation, same order).
SELECT_BY_NAME_FEW = """
    SELECT r.id, r.name AS sort_key, NULL::float8 AS distance_m, r.head,
           {extras}
      FROM resource_index r
     WHERE {where}
     ORDER BY r.name || '', r.id
     LIMIT {limit}
"""


async def select_by_name(
    conn: asyncpg.Connection,
    filters: SearchFilters,
    after: tuple[str, UUID] | None,
    limit: int,
    driver: Driver | None = None,
) -> list[Hit]:
    """Up to limit resources by service name, after a cursor key."""
    search = _Search(filters.evaluated_at)
    search.filter(filters, driver)
    extras = search.extras("$1")
    if after is not None:
        search.keep(_WHERE_AFTER_NAME, key=after[0], id=after[1])
    sql = search.sql(SELECT_BY_NAME if driver is None else SELECT_BY_NAME_FEW, limit, extras=extras)
    return _hits(await conn.fetch(sql, *search.args), filters)


# How many rows one indexed filter leaves, counting no further than limit. Where that is few, a
# search lets it pick the rows and ranks them, instead of walking an index in its order and testing
# every row it passes (the quiet hour, when nothing is open; a rare category in a big directory).
COUNT_CANDIDATES = """
    SELECT count(*) FROM (SELECT 1 FROM resource_index r WHERE {where} LIMIT {limit}) AS c
"""


async def count_candidates(conn: asyncpg.Connection, filters: SearchFilters, driver: Driver, limit: int) -> int:
    """How many rows (up to limit) the driver's filter leaves, the others aside."""
    search = _Search()
    if driver in ("categories", "facets"):
        search.keep(_WHERE_CATEGORIES, categories=filters.categories)
    if driver in ("attributes", "facets"):
        search.keep(_WHERE_ATTRIBUTES, attributes=filters.attributes)
    if driver == "open_at":
        search.keep(OPEN_CANDIDATES, at=filters.open_at)
    count: int = await conn.fetchval(search.sql(COUNT_CANDIDATES, limit), *search.args)
    return count


SELECT_ROW_ESTIMATE = "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = 'resource_index'::regclass"


async def select_row_estimate(conn: asyncpg.Connection) -> int:
    """About how many rows the search table holds (as of its last analysis)."""
    estimate: int = await conn.fetchval(SELECT_ROW_ESTIMATE)
    return estimate


# Words. Where the query matched: 3 when the service name alone matches it, 2 when name and
# alternate name do, 1 when the description is needed. With a location the sort key is
# distance / that weight (a name match 3 km away comes before a description match 1.5 km away);
# without one, weight then ts_rank (name 1.0, alternate name 0.4, description 0.2, normalised
# into [0, 1) by rank / (rank + 1)), best first. Ties go by id.
# The query's weighted copies (weighted_query() in schemas/sql/words.sql) test where it matched without
# copying each row's vector twice through ts_filter (scoring took 14 us a row, 9.5 now, distance included).
_WEIGHT = "(CASE WHEN r.search_vector @@ q.query_a THEN 3 WHEN r.search_vector @@ q.query_ab THEN 2 ELSE 1 END)"
_RANK = "ts_rank(ARRAY[0.1, 0.2, 0.4, 1.0]::float4[], r.search_vector, q.query, 32)"
_DISTANCE = "geodesic_m($1, $2, r.latitude, r.longitude)"
_SORT_NEAR = f"({_DISTANCE} / {_WEIGHT})::float8"
_SORT_RELEVANCE = f"(-({_WEIGHT} + {_RANK}))::float8"
_WORDS_QUERY = "websearch_to_tsquery('cg_search', {text}::text)"
_WHERE_AFTER_SORT = "({sort}, r.id) > ({key}::float8, {id}::uuid)"

SELECT_BY_WORDS = """
    SELECT r.id, {sort} AS sort_key, {distance} AS distance_m, r.head,
           {extras}
      FROM resource_index r, ({words}) AS q
     WHERE r.search_vector @@ q.query AND {where}
     ORDER BY 2, r.id
     LIMIT {limit}
"""


# The first page from a point, without ranking every match: the `limit` matches nearest by chord
# all score at most their distance (a weight is at least 1), so the page holds only rows scoring at
# most the farthest of them, g; and a row scores at least its distance / 3, which is at least its
# chord * 0.99 / 3 (WGS-84 lengths differ from the sphere's by under 1%). Rows with
# chord * 0.99 / 3 > g cannot be on the page and are never weighed.
SELECT_BY_WORDS_NEAR = """
    WITH q AS MATERIALIZED ({words}),
    m AS MATERIALIZED (
        SELECT r.id, r.geo <-> ll_to_earth($1, $2) AS chord
          FROM resource_index r, q WHERE r.search_vector @@ q.query AND {where}
    ), edge AS (
        SELECT max(geodesic_m($1, $2, r.latitude, r.longitude)) AS distance
          FROM (SELECT m.id FROM m ORDER BY m.chord LIMIT {limit}) AS n JOIN resource_index r ON r.id = n.id
    )
    SELECT r.id, {sort} AS sort_key, {distance} AS distance_m, r.head, {extras}
      FROM m JOIN resource_index r ON r.id = m.id, q
     WHERE m.chord * 0.99 / 3 <= (SELECT distance FROM edge)
     ORDER BY 2, r.id
     LIMIT {limit}
"""


def _words_query(search: _Search, queries: list[str]) -> str:
    """The tsquery matching any of the alternative phrasings, each one a parameter."""
    return " || ".join(_WORDS_QUERY.format(text=search.param(text)) for text in queries)


# The query, and its copies matching only in the name (weight A) or the name and alternate name (A, B).
_WORDS = (
    "SELECT w.query, weighted_query(w.query, 'A') AS query_a, weighted_query(w.query, 'AB') AS query_ab"
    " FROM (SELECT {query} AS query) AS w"
)


def words_statement(
    origin: tuple[float, float] | None,
    radius_m: float | None,
    filters: SearchFilters,
    queries: list[str],
    after: tuple[float, UUID] | None,
    limit: int,
) -> tuple[str, list[object]]:
    """The SQL and parameters of a word search, ranked by relevance (and distance, with an origin)."""
    if origin is not None:
        search = _Search(origin[0], origin[1], filters.evaluated_at)
        sort, distance, at = _SORT_NEAR, _DISTANCE, "$3"
        search.where.append("r.geo IS NOT NULL")
        if radius_m is not None:
            search.keep(_WHERE_WITHIN, radius=radius_m)
    else:
        search = _Search(filters.evaluated_at)
        sort, distance, at = _SORT_RELEVANCE, "NULL::float8", "$1"
    search.filter(filters)
    extras = search.extras(at)
    if after is not None:
        search.where.append(_WHERE_AFTER_SORT.format(sort=sort, key=search.param(after[0]), id=search.param(after[1])))
    query = _words_query(search, queries)
    template = SELECT_BY_WORDS_NEAR if origin is not None and after is None else SELECT_BY_WORDS
    words = _WORDS.format(query=query)
    sql = search.sql(template, limit, sort=sort, distance=distance, at=at, words=words, extras=extras)
    return sql, search.args


# With a location: the nearest `window` matches by the index, scored. A weight is at most 3, so
# nothing outside the window scores below (its farthest distance / 3): rows of the window scoring
# at most that are in their final order. select_by_words widens the window until a page is sure,
# then reads the documents of that page only.
SELECT_WORDS_WINDOW = f"""
    SELECT w.id, (w.distance_m / w.weight)::float8 AS sort_key, w.distance_m
      FROM (SELECT r.id, {_DISTANCE} AS distance_m, {_WEIGHT} AS weight
              FROM resource_index r, ({{words}}) AS q
             -- The words' test is WORDS_INDEXED or WORDS_FILTERED. The walk scores the rows it keeps
             -- itself (at 10k, 3.2 ms against 4.0 joining them back to the table), each distance once:
             -- the sort key is the same division _SORT_NEAR makes.
             WHERE {{test}} AND {{where}}
             ORDER BY r.geo <-> ll_to_earth($1, $2)
             LIMIT {{window}}) AS w
"""
# The query written out, a condition on parameters that the walk's own index (resource_index_geo_words, on
# the point and the words as search_vector || '') tests as it walks outwards: the rows without the words are
# skipped before the heap is read (at 1M, 1,570 rows read for a window of 252). The GIN index of the bare
# column cannot answer it, so nothing collects every match to sort them. But a cached generic plan cannot
# see the query and takes PostgreSQL's default, 0.5% of rows matching: where that is fewer than the window
# it sorts them all from a bitmap scan of that index instead (at 10k, 9.5 ms against 2.7).
WORDS_INDEXED = "(r.search_vector || ''::tsvector) @@ ({query})"
GENERIC_MATCH_SHARE = 0.005
# There: IS TRUE is no indexable condition, so the point's index walks outwards and stops after the window,
# testing the words on the heap of each row it passes.
WORDS_FILTERED = "(r.search_vector @@ q.query) IS TRUE"
# Windows in pages' rows: a window's page is sure within the inner third of its reach (distance /
# weight, a weight at most 3), about a ninth of its rows where matches spread evenly, so 12 pages'
# rows usually settle the page at once (at 100k: 11-15 ms, against 25-33 from a 150-row start).
WORDS_WINDOWS = (12, 48, 192, 450)

COUNT_MATCHES = """
    SELECT count(*) FROM (SELECT 1 FROM resource_index r, (SELECT {query} AS query) AS q
                           WHERE r.search_vector @@ q.query LIMIT {limit}) AS m
"""


async def count_matches(conn: asyncpg.Connection, queries: list[str], limit: int) -> int:
    """How many resources match any of the queries, counting no further than limit."""
    search = _Search()
    query = _words_query(search, queries)
    count: int = await conn.fetchval(search.sql(COUNT_MATCHES, limit, query=query), *search.args)
    return count


SELECT_DOCUMENTS = """
    SELECT r.id, r.head, {extras}
      FROM resource_index r WHERE r.id = any({ids}::uuid[])
"""


def words_window_statement(
    origin: tuple[float, float],
    radius_m: float | None,
    filters: SearchFilters,
    queries: list[str],
    window: int,
    indexed: bool = True,
) -> tuple[str, list[object]]:
    """The SQL and parameters of one windowed attempt of a word search from a point."""
    search = _Search(origin[0], origin[1])
    search.where.append("r.geo IS NOT NULL")
    if radius_m is not None:
        search.keep(_WHERE_WITHIN, radius=radius_m)
    search.filter(filters)
    query = _words_query(search, queries)
    words = _WORDS.format(query=query)
    test = WORDS_INDEXED.format(query=query) if indexed else WORDS_FILTERED
    sql = search.sql(SELECT_WORDS_WINDOW, words=words, test=test, window=row_count(window))
    return sql, search.args


async def select_documents(
    conn: asyncpg.Connection, filters: SearchFilters, ids: list[UUID]
) -> dict[UUID, asyncpg.Record]:
    """The documents (with their per-request fields) of these resources."""
    search = _Search(filters.evaluated_at)
    extras = search.extras("$1")
    sql = search.sql(SELECT_DOCUMENTS, extras=extras, ids=search.param(ids))
    return {row["id"]: row for row in await conn.fetch(sql, *search.args)}


async def select_by_words(
    conn: asyncpg.Connection,
    origin: tuple[float, float] | None,
    radius_m: float | None,
    filters: SearchFilters,
    queries: list[str],
    after: tuple[float, UUID] | None,
    limit: int,
    many: bool,
    rows: int = 0,
) -> list[Hit]:
    """Up to limit resources matching any of the queries, best first, after a cursor key; from a point
    where many match (too many to rank them all, see count_matches), by walking outwards (in the index of
    words too where the table's rows, about so many, make a generic plan walk it)."""
    if origin is not None and many:
        for pages in WORDS_WINDOWS:
            window = min(pages * limit, 20_000)
            indexed = rows * GENERIC_MATCH_SHARE >= window
            sql, args = words_window_statement(origin, radius_m, filters, queries, window, indexed)
            scored = await conn.fetch(sql, *args)
            exhausted = len(scored) < window
            sure = math.inf if exhausted else max(row["distance_m"] for row in scored) * 0.99 / 3  # sphere vs WGS-84
            page = sorted(
                (
                    row
                    for row in scored
                    if row["sort_key"] <= sure and (after is None or (row["sort_key"], row["id"]) > after)
                ),
                key=lambda row: (row["sort_key"], row["id"]),
            )[:limit]
            if exhausted or len(page) == limit:
                documents = await select_documents(conn, filters, [row["id"] for row in page])
                moment = Moment(filters.evaluated_at, filters.capacity_max_age)
                return [_hit(moment, row, documents[row["id"]], "nearby") for row in page]
    sql, args = words_statement(origin, radius_m, filters, queries, after, limit)
    return _hits(await conn.fetch(sql, *args), filters, None if origin is None else "nearby")


# A word not in the vocabulary is replaced by the most similar one that is (trigram similarity
# of at least 0.45, ties by the word), when there is one.
SELECT_CORRECTIONS = """
    SELECT w.word, c.word AS correction
      FROM unnest($1::text[]) AS w(word)
      CROSS JOIN LATERAL (SELECT s.word FROM search_words s
                           WHERE s.word % w.word AND similarity(s.word, w.word) >= 0.45
                           ORDER BY similarity(s.word, w.word) DESC, s.word LIMIT 1) AS c
     WHERE NOT EXISTS (SELECT 1 FROM search_words s WHERE s.word = w.word)
"""


async def select_corrections(conn: asyncpg.Connection, words: list[str]) -> dict[str, str]:
    """Corrections for the words no listing uses."""
    if not words:
        return {}
    return {row["word"]: row["correction"] for row in await conn.fetch(SELECT_CORRECTIONS, words)}


SELECT_RESOURCE = f"""
    SELECT r.head, {EXTRAS.format(at="$2", open_now=OPEN_AT.format(at="$2"))}
      FROM resource_index r WHERE r.id = $1
"""


async def select_resource(
    conn: asyncpg.Connection,
    resource_id: UUID,
    at: dt.datetime,
    capacity_max_age: dt.timedelta = dt.timedelta(hours=24),
) -> str | None:
    """One resource as its JSON item, open_now and capacity evaluated at an instant."""
    row = await conn.fetchrow(SELECT_RESOURCE, resource_id, at)
    if row is None:
        return None
    capacity, hours = Moment(at, capacity_max_age).fields(row)
    return finish_item(row["head"], row["open_now"], None, capacity, hours)


REFRESH_TIMELINES = "SELECT refresh_timelines(now() + interval '9 days', $1)"


async def refresh_timelines(conn: asyncpg.Connection, batch: int) -> int:
    """Lay out again up to batch timelines that run out within 9 days; how many were."""
    done: int = await conn.fetchval(REFRESH_TIMELINES, batch)
    return done


SELECT_ORGANIZATION_EXISTS = "SELECT EXISTS (SELECT 1 FROM organizations WHERE id = $1)"

SELECT_LOCATION_EXISTS = "SELECT EXISTS (SELECT 1 FROM locations WHERE id = $1)"

INSERT_SERVICE_AT_LOCATION = """
    INSERT INTO service_at_location (service_id, location_id, description)
    VALUES ($1, $2, $3)
    RETURNING id
"""


async def insert_resource(conn: asyncpg.Connection, new: ResourceCreate) -> UUID:
    """Create what the body describes and link it, all or nothing; return the resource id."""
    organization_id: UUID | None
    location_id: UUID | None
    async with conn.transaction():
        if new.organization is not None:
            organization_id = await insert_organization(conn, new.organization)
        else:
            organization_id = new.organization_id
            if not await conn.fetchval(SELECT_ORGANIZATION_EXISTS, organization_id):
                raise InvalidInput("organization_id", f"no organization has id {organization_id}", "body")
        assert organization_id is not None
        service_id = await insert_service(conn, organization_id, new.service, "service.service_areas")
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
