"""The HSDS 3.0 read API: filtered, paged lists of HSDS documents built in PostgreSQL."""

import datetime as dt
from collections.abc import AsyncIterator
from uuid import UUID

import asyncpg
import msgspec


class Point(msgspec.Struct, frozen=True):
    """A search point and radius in metres (None: no radius, nearest first)."""

    latitude: float
    longitude: float
    radius_m: float | None


class Listing:
    """One list statement composed from constant fragments; every value travels as a parameter."""

    def __init__(self, table: str, alias: str) -> None:
        self.table, self.alias = table, alias
        self.args: list[object] = []
        self.where: list[str] = []
        self.joins: list[str] = []
        self.order = f"{alias}.id"
        self.order_values: tuple[object, ...] = ()

    def param(self, value: object) -> str:
        self.args.append(value)
        return f"${len(self.args)}"

    def filter(self, fragment: str, *values: object) -> None:
        """Add a condition; {} placeholders in the fragment take the values as parameters, in order."""
        self.where.append(fragment.format(*(self.param(value) for value in values)))

    def order_by(self, fragment: str, *values: object) -> None:
        """Set the order; its {} values are parameters of the page statement only (a count has no order)."""
        self.order, self.order_values = fragment, values

    def _base(self) -> str:
        where = " AND ".join(self.where) or "true"
        return f"FROM {self.table} {self.alias} {' '.join(self.joins)} WHERE {where}"

    def count(self) -> str:
        return f"SELECT count(*) {self._base()}"

    def page(self, document: str, limit: int | None, offset: int) -> tuple[str, list[object]]:
        args = list(self.args)
        order = self.order.format(*(f"${len(args) + n}" for n in range(1, len(self.order_values) + 1)))
        args += self.order_values
        tail = ""
        if limit is not None:
            args += [limit, offset]
            tail = f" LIMIT ${len(args) - 1} OFFSET ${len(args)}"
        return f"SELECT ({document})::text {self._base()} ORDER BY {order}{tail}", args


SERVICE_WORDS = "s.search_vector @@ websearch_to_tsquery('cg_search', {})"
SERVICE_TERM = "EXISTS (SELECT 1 FROM hsds_service_terms st WHERE st.service_id = s.id AND st.taxonomy_term_id = {})"
SERVICE_TAXONOMY = (
    "EXISTS (SELECT 1 FROM hsds_service_terms st JOIN hsds_taxonomy_terms t ON t.id = st.taxonomy_term_id "
    "WHERE st.service_id = s.id AND t.taxonomy_id = {})"
)


def _service_filters(
    listing: Listing, search: str | None, term: UUID | None, taxonomy: UUID | None, organization: UUID | None
) -> None:
    """The filters on the service (alias s) that services and services-at-locations share."""
    if search:
        listing.filter(SERVICE_WORDS, search)
    if term:
        listing.filter(SERVICE_TERM, term)
    if taxonomy:
        listing.filter(SERVICE_TAXONOMY, taxonomy)
    if organization:
        listing.filter("s.organization_id = {}", organization)


def services_listing(
    search: str | None,
    term: UUID | None,
    taxonomy: UUID | None,
    organization: UUID | None,
    modified_after: dt.datetime | None,
) -> Listing:
    """Services matching every filter given, in id order."""
    listing = Listing("services", "s")
    listing.where.append("s.deleted_at IS NULL")
    _service_filters(listing, search, term, taxonomy, organization)
    if modified_after:
        listing.filter("s.updated_at >= {}", modified_after)
    return listing


def service_document(full: bool, minimal: bool) -> str:
    """The SQL expression of one service in a list."""
    if minimal:
        return "jsonb_build_object('id', s.id, 'name', s.name, 'status', s.status, 'last_modified', s.updated_at)"
    return "hsds_service(s, true)" if full else "hsds_service_summary(s)"


def service_at_locations_listing(
    search: str | None,
    term: UUID | None,
    taxonomy: UUID | None,
    organization: UUID | None,
    modified_after: dt.datetime | None,
    postcode: str | None,
    point: Point | None,
) -> Listing:
    """Services at locations matching every filter; nearest first when a point is given."""
    listing = Listing("service_at_location", "sal")
    listing.joins = [
        "JOIN services s ON s.id = sal.service_id AND s.deleted_at IS NULL",
        "JOIN locations l ON l.id = sal.location_id AND l.deleted_at IS NULL",
    ]
    _service_filters(listing, search, term, taxonomy, organization)
    if modified_after:
        listing.filter("greatest(sal.updated_at, s.updated_at, l.updated_at) >= {}", modified_after)
    # Only the public place may decide membership, count and order: a confidential location's exact
    # point and hidden address must not be findable by narrowing filters around it.
    if postcode and point is None:
        listing.filter(
            "NOT l.confidential AND (l.postal_code = {} OR l.postal_code LIKE {} || '-%')",
            postcode.strip(),
            postcode.strip(),
        )
    if point is not None:
        listing.where.append("l.public_geo IS NOT NULL")
        public = "public_coordinate(l.latitude, l.confidential), public_coordinate(l.longitude, l.confidential)"
        if point.radius_m is not None:
            lat, lon = listing.param(point.latitude), listing.param(point.longitude)
            radius = listing.param(point.radius_m)
            # The box is a fast superset on the sphere; widened 1% so the ellipsoid test decides.
            listing.where.append(
                f"earth_box(ll_to_earth({lat}, {lon}), {radius} * 1.01) @> l.public_geo "
                f"AND geodesic_m({lat}, {lon}, {public}) <= {radius}"
            )
        listing.order_by(f"geodesic_m({{}}, {{}}, {public}), sal.id", point.latitude, point.longitude)
    return listing


def organizations_listing(search: str | None) -> Listing:
    """Organizations whose name or description matches, in id order."""
    listing = Listing("organizations", "o")
    listing.where.append("o.deleted_at IS NULL")
    if search:
        listing.filter(
            "(to_tsvector('cg_search', o.name || ' ' || coalesce(o.description, '')) "
            "@@ websearch_to_tsquery('cg_search', {}) OR o.name ILIKE '%' || {} || '%')",
            search,
            search,
        )
    return listing


def taxonomies_listing(search: str | None) -> Listing:
    """Taxonomies (ours and imported ones) whose name matches."""
    listing = Listing("hsds_taxonomies", "x")
    if search:
        listing.filter("(x.name ILIKE '%' || {} || '%' OR x.description ILIKE '%' || {} || '%')", search, search)
    return listing


def taxonomy_terms_listing(search: str | None, taxonomy: UUID | None, top_only: bool, parent: UUID | None) -> Listing:
    """Taxonomy terms matching every filter."""
    listing = Listing("hsds_taxonomy_terms", "t")
    if search:
        listing.filter("(t.name ILIKE '%' || {} || '%' OR t.code ILIKE {} || '%')", search, search)
    if taxonomy:
        listing.filter("t.taxonomy_id = {}", taxonomy)
    if top_only:
        listing.where.append("t.parent_id IS NULL")
    if parent:
        listing.filter("t.parent_id = {}", parent)
    return listing


async def fetch_page(
    conn: asyncpg.Connection, listing: Listing, document: str, page: int, per_page: int
) -> tuple[int, list[str]]:
    """The total count and one page of documents as JSON text."""
    total = await conn.fetchval(listing.count(), *listing.args)
    statement, args = listing.page(document, per_page, (page - 1) * per_page)
    return total, [row[0] for row in await conn.fetch(statement, *args)]


async def stream_all(conn: asyncpg.Connection, listing: Listing, document: str) -> AsyncIterator[str]:
    """Every matching document, fetched in batches on the stream's own connection."""
    statement, args = listing.page(document, None, 0)
    async with conn.transaction(readonly=True):
        async for row in conn.cursor(statement, *args, prefetch=500):
            yield row[0]


SELECT_SERVICE = "SELECT hsds_service(s, true)::text FROM services s WHERE s.id = $1 AND s.deleted_at IS NULL"


async def select_service(conn: asyncpg.Connection, id: UUID) -> str | None:
    """One fully nested service."""
    document: str | None = await conn.fetchval(SELECT_SERVICE, id)
    return document


SELECT_ORGANIZATION = (
    "SELECT hsds_organization_document(o, true, $2)::text FROM organizations o WHERE o.id = $1 AND o.deleted_at IS NULL"
)


async def select_organization(conn: asyncpg.Connection, id: UUID, full_service: bool) -> str | None:
    """One fully nested organization, with its services in full when asked."""
    document: str | None = await conn.fetchval(SELECT_ORGANIZATION, id, full_service)
    return document


SELECT_SERVICE_AT_LOCATION = (
    "SELECT hsds_service_at_location_document(sal, true)::text "
    "FROM service_at_location sal WHERE sal.id = $1 AND listed(NULL, NULL, NULL, sal.id)"
)


async def select_service_at_location(conn: asyncpg.Connection, id: UUID) -> str | None:
    """One service at a location with its location and service nested."""
    document: str | None = await conn.fetchval(SELECT_SERVICE_AT_LOCATION, id)
    return document


SELECT_TAXONOMY = (
    "SELECT jsonb_strip_nulls(to_jsonb(x) || jsonb_build_object('metadata', '[]'::jsonb))::text "
    "FROM hsds_taxonomies x WHERE x.id = $1"
)


async def select_taxonomy(conn: asyncpg.Connection, id: UUID) -> str | None:
    """One taxonomy."""
    document: str | None = await conn.fetchval(SELECT_TAXONOMY, id)
    return document


SELECT_TAXONOMY_TERM = "SELECT hsds_taxonomy_term($1)::text"


async def select_taxonomy_term(conn: asyncpg.Connection, id: UUID) -> str | None:
    """One taxonomy term with its taxonomy."""
    document: str | None = await conn.fetchval(SELECT_TAXONOMY_TERM, id)
    return document


TAXONOMY_DOCUMENT = "jsonb_strip_nulls(to_jsonb(x) || jsonb_build_object('metadata', '[]'::jsonb))"
TERM_DOCUMENT = "hsds_taxonomy_term(t.id)"
