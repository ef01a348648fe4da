"""The Open Referral HSDS 3.0 read API, under /hsds, as the HSDS API reference lists it."""

import datetime as dt
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
import msgspec
from litestar import Controller, MediaType, Request, Response, get
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import FromPath, QueryParameter
from litestar.response import Stream

from schemas.hsds import (
    HsdsInfo,
    HsdsOrganization,
    HsdsOrganizationPage,
    HsdsService,
    HsdsServiceAtLocation,
    HsdsServiceAtLocationPage,
    HsdsServicePage,
    HsdsTaxonomy,
    HsdsTaxonomyPage,
    HsdsTaxonomyTerm,
    HsdsTaxonomyTermPage,
)
from service.errors import InvalidInput, NotFound
from service.http.streams import open_stream
from service.queries import hsds as queries
from service.replicas import REPLICA_READS
from service.search.geo import zip_origin
from service.state import AppState

HSDS_VERSION = "3.0.0"
HSDS_PROFILE = "https://docs.openreferral.org/en/latest/hsds/"
NDJSON = "application/x-ndjson"

Search = Annotated[
    str | None, QueryParameter(max_length=200, description="Full text search.", examples=[Example(value="naloxone")])
]
Page = Annotated[int, QueryParameter(ge=1, le=1_000_000, description="Page number of paginated result.")]
PerPage = Annotated[int, QueryParameter(ge=1, le=1000, description="Number of results requested in a single page.")]
Format = Annotated[
    Literal["json", "ndjson"],
    QueryParameter(description="json (default, paged) or ndjson: every result, one per line, streamed without paging"),
]
TermId = Annotated[UUID | None, QueryParameter(description="Only services with this taxonomy term.")]
TaxonomyId = Annotated[UUID | None, QueryParameter(description="Only services with any term of this taxonomy.")]
OrganizationId = Annotated[UUID | None, QueryParameter(description="Only services this organization provides.")]
ModifiedAfter = Annotated[
    dt.datetime | None,
    QueryParameter(
        description="Only results modified on or after this RFC 3339 date-time.",
        examples=[Example(value="2026-01-01T00:00:00Z")],
    ),
]
Minimal = Annotated[
    bool,
    QueryParameter(description="Only id and last_modified of each service (with name and status, which HSDS requires)"),
]
Full = Annotated[bool, QueryParameter(description="Fully nested documents instead of the list shape.")]
FullService = Annotated[bool, QueryParameter(description="Organizations with their services fully nested.")]
TopOnly = Annotated[bool, QueryParameter(description="Only terms without a parent.")]
ParentId = Annotated[UUID | None, QueryParameter(description="Only children of this term.")]
Postcode = Annotated[
    str | None,
    QueryParameter(
        max_length=10,
        description="US ZIP code: alone, locations with this postal code; with proximity, within "
        "proximity metres of its centroid",
        examples=[Example(value="21202")],
    ),
]
Proximity = Annotated[
    float | None,
    QueryParameter(
        gt=0, le=20_000_000, description="Metres from the centroid of postcode", examples=[Example(value=5000)]
    ),
]
Latitude = Annotated[
    float | None,
    QueryParameter(ge=-90, le=90, description="Extension: search point latitude (WGS-84); results nearest first"),
]
Longitude = Annotated[float | None, QueryParameter(ge=-180, le=180, description="Extension: search point longitude")]
RadiusM = Annotated[
    float | None,
    QueryParameter(
        gt=0, le=20_000_000, description="Extension: only results within this many metres of latitude,longitude"
    ),
]


def _page(total: int, documents: list[str], page: int, per_page: int) -> Response[bytes]:
    """The HSDS Page envelope around documents that are already JSON text."""
    pages = -(-total // per_page)
    head = msgspec.json.encode(
        {
            "total_items": total,
            "total_pages": pages,
            "page_number": page,
            "size": len(documents),
            "first_page": page == 1,
            "last_page": page >= pages,
            "empty": not documents,
        }
    )
    body = head[:-1] + b',"contents":[' + ",".join(documents).encode() + b"]}"
    return Response(body, media_type=MediaType.JSON)


async def _list(
    conn: asyncpg.Connection,
    state: AppState,
    listing: queries.Listing,
    document: str,
    format: str,
    page: int,
    per_page: int,
) -> Response[Any]:
    if format == "ndjson":
        stream = await open_stream()

        async def lines() -> AsyncIterator[bytes]:
            assert stream.conn is not None, "open_stream() connects unless told not to"
            async for item in queries.stream_all(stream.conn, listing, document):
                yield item.encode() + b"\n"

        return Stream(stream.send(lines()), media_type=NDJSON)
    total, documents = await queries.fetch_page(conn, listing, document, page, per_page)
    return _page(total, documents, page, per_page)


def _one(document: str | None, kind: str, id: UUID) -> Response[Any]:
    if document is None:
        raise NotFound(f"no {kind} has id {id}")
    return Response(document.encode(), media_type=MediaType.JSON)


class HsdsController(Controller):
    """Open Referral HSDS 3.0: services, organizations, services at locations and taxonomies."""

    path = "/hsds"
    tags = ["hsds"]
    dependencies = REPLICA_READS

    @get("/", operation_id="getAPIMetaInformation")
    async def meta(self, request: Request[Any, Any, Any]) -> HsdsInfo:
        """Which HSDS version and profile this API implements, and where its OpenAPI document is."""
        return HsdsInfo(
            version=HSDS_VERSION,
            profile=HSDS_PROFILE,
            openapi_url=str(request.base_url).rstrip("/") + "/docs/openapi.json",
        )

    @get("/services", operation_id="getPaginatedListOfServices")
    async def list_services(
        self,
        conn: NamedDependency[asyncpg.Connection],
        state: AppState,
        search: Search = None,
        page: Page = 1,
        per_page: PerPage = 50,
        format: Format = "json",
        taxonomy_term_id: TermId = None,
        taxonomy_id: TaxonomyId = None,
        organization_id: OrganizationId = None,
        modified_after: ModifiedAfter = None,
        minimal: Minimal = False,
        full: Full = False,
    ) -> Response[HsdsServicePage]:
        """List services (HSDS service_list shape, or full), filters combined with AND."""
        listing = queries.services_listing(
            search, taxonomy_term_id, taxonomy_id, organization_id, _aware(modified_after)
        )
        return await _list(conn, state, listing, queries.service_document(full, minimal), format, page, per_page)

    @get("/services/{id:uuid}", operation_id="getFullyNestedServiceById", media_type=MediaType.JSON)
    async def get_service(self, conn: NamedDependency[asyncpg.Connection], id: FromPath[UUID]) -> Response[HsdsService]:
        """One fully nested HSDS service."""
        return _one(await queries.select_service(conn, id), "service", id)

    @get("/organizations", operation_id="getPaginatedListOfOrganizations")
    async def list_organizations(
        self,
        conn: NamedDependency[asyncpg.Connection],
        state: AppState,
        search: Search = None,
        full_service: FullService = False,
        full: Full = False,
        page: Page = 1,
        per_page: PerPage = 50,
        format: Format = "json",
    ) -> Response[HsdsOrganizationPage]:
        """List organizations (list shape, full, or with full services)."""
        listing = queries.organizations_listing(search)
        document = (
            f"hsds_organization_document(o, {'true' if full else 'false'}, {'true' if full_service else 'false'})"
        )
        return await _list(conn, state, listing, document, format, page, per_page)

    @get("/organizations/{id:uuid}", operation_id="getOrganizationById", media_type=MediaType.JSON)
    async def get_organization(
        self,
        conn: NamedDependency[asyncpg.Connection],
        id: FromPath[UUID],
        full_service: FullService = False,
    ) -> Response[HsdsOrganization]:
        """One fully nested HSDS organization, with its services."""
        return _one(await queries.select_organization(conn, id, full_service), "organization", id)

    @get("/service_at_locations", operation_id="getPaginatedListOfServiceAtLocation")
    async def list_service_at_locations(
        self,
        conn: NamedDependency[asyncpg.Connection],
        state: AppState,
        search: Search = None,
        taxonomy_term_id: TermId = None,
        taxonomy_id: TaxonomyId = None,
        organization_id: OrganizationId = None,
        modified_after: ModifiedAfter = None,
        full: Full = False,
        page: Page = 1,
        per_page: PerPage = 50,
        format: Format = "json",
        postcode: Postcode = None,
        proximity: Proximity = None,
        latitude: Latitude = None,
        longitude: Longitude = None,
        radius: RadiusM = None,
    ) -> Response[HsdsServiceAtLocationPage]:
        """List services at locations; latitude, longitude and radius (metres) add a geo lookup, nearest first."""
        point = _point(postcode, proximity, latitude, longitude, radius)
        listing = queries.service_at_locations_listing(
            search, taxonomy_term_id, taxonomy_id, organization_id, _aware(modified_after), postcode, point
        )
        document = f"hsds_service_at_location_document(sal, {'true' if full else 'false'})"
        return await _list(conn, state, listing, document, format, page, per_page)

    @get(
        "/service_at_locations/{id:uuid}",
        operation_id="getServiceAtLocationWithNestedDataById",
        media_type=MediaType.JSON,
    )
    async def get_service_at_location(
        self,
        conn: NamedDependency[asyncpg.Connection],
        id: FromPath[UUID],
    ) -> Response[HsdsServiceAtLocation]:
        """One service at a location, with the location and the service nested."""
        return _one(await queries.select_service_at_location(conn, id), "service_at_location", id)

    @get("/taxonomies", operation_id="getPaginatedListOfTaxonomies")
    async def list_taxonomies(
        self,
        conn: NamedDependency[asyncpg.Connection],
        state: AppState,
        search: Search = None,
        page: Page = 1,
        per_page: PerPage = 50,
        format: Format = "json",
    ) -> Response[HsdsTaxonomyPage]:
        """List taxonomies: our categories and every imported taxonomy."""
        return await _list(
            conn, state, queries.taxonomies_listing(search), queries.TAXONOMY_DOCUMENT, format, page, per_page
        )

    @get("/taxonomies/{id:uuid}", operation_id="getTaxonomyById", media_type=MediaType.JSON)
    async def get_taxonomy(
        self, conn: NamedDependency[asyncpg.Connection], id: FromPath[UUID]
    ) -> Response[HsdsTaxonomy]:
        """One taxonomy."""
        return _one(await queries.select_taxonomy(conn, id), "taxonomy", id)

    @get("/taxonomy_terms", operation_id="getPaginatedListOfTaxonomyTerms")
    async def list_taxonomy_terms(
        self,
        conn: NamedDependency[asyncpg.Connection],
        state: AppState,
        search: Search = None,
        page: Page = 1,
        per_page: PerPage = 50,
        format: Format = "json",
        taxonomy_id: TaxonomyId = None,
        top_only: TopOnly = False,
        parent_id: ParentId = None,
    ) -> Response[HsdsTaxonomyTermPage]:
        """List taxonomy terms: our categories (taxonomy "CommonGround categories") and imported terms."""
        listing = queries.taxonomy_terms_listing(search, taxonomy_id, top_only, parent_id)
        return await _list(conn, state, listing, queries.TERM_DOCUMENT, format, page, per_page)

    @get("/taxonomy_terms/{id:uuid}", operation_id="getTaxonomyTermById", media_type=MediaType.JSON)
    async def get_taxonomy_term(
        self, conn: NamedDependency[asyncpg.Connection], id: FromPath[UUID]
    ) -> Response[HsdsTaxonomyTerm]:
        """One taxonomy term with its taxonomy."""
        return _one(await queries.select_taxonomy_term(conn, id), "taxonomy_term", id)


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is not None and moment.tzinfo is None:
        raise InvalidInput("modified_after", "must carry a UTC offset, e.g. 2026-01-01T00:00:00Z")
    return moment


def _point(
    postcode: str | None, proximity: float | None, latitude: float | None, longitude: float | None, radius: float | None
) -> queries.Point | None:
    """The geo part of a services-at-locations query, from postcode+proximity or latitude+longitude."""
    if (latitude is None) != (longitude is None):
        raise InvalidInput("longitude" if longitude is None else "latitude", "latitude and longitude go together")
    if latitude is not None and postcode is not None:
        raise InvalidInput("postcode", "give postcode or latitude,longitude, not both")
    if radius is not None and latitude is None:
        raise InvalidInput("radius", "needs latitude and longitude")
    if proximity is not None and postcode is None:
        raise InvalidInput("proximity", "needs postcode")
    if latitude is not None and longitude is not None:
        return queries.Point(latitude, longitude, radius)
    if postcode is not None and proximity is not None:
        origin = zip_origin(postcode, "postcode")
        return queries.Point(origin.latitude, origin.longitude, proximity)
    return None
