"""Resources: the specialist search, one resource, and one-call creation."""

import datetime as dt
import re
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
import msgspec
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.types import Scope

from schemas.fields import Cost, Gender, Status
from schemas.resources import Resource, ResourceCount, ResourceCreate, ResourcePage
from service.db import primary_connection
from service.errors import InvalidInput, Moved, NotFound
from service.http.auth import check_organization, check_owner, may_see_confidential, require_write
from service.queries import resources as queries
from service.queries.lifecycle import select_redirect
from service.replicas import REPLICA_READS
from service.routes.params import Cursor, IncludedWithin, IncludeParam, Limit
from service.routes.shortcuts import Reading, Shortcut, boolean, instant, one_of, text, whole
from service.search.included import included_page, read_inclusion
from service.search.resources import SearchPage, postal_code_of, read_request, search
from service.state import AppState

Near = Annotated[
    str | None,
    QueryParameter(
        max_length=100,
        description="Search from this point: LAT,LON in WGS-84 decimal degrees",
        examples=[Example(value="45.5231,-122.6765")],
    ),
]
Zip = Annotated[
    str | None,
    QueryParameter(
        name="zip",
        max_length=10,
        description="Search from the centroid of this US ZIP code (offline lookup)",
        examples=[Example(value="97201")],
    ),
]
Address = Annotated[
    str | None,
    QueryParameter(
        max_length=500,
        description="Search from this address, through the geocoder set by COMMONGROUND_GEOCODER",
        examples=[Example(value="1120 SW 5th Ave, Portland, OR")],
    ),
]
Radius = Annotated[
    float | None,
    QueryParameter(
        description="Only results within this distance (in unit); without it, the nearest however far",
        examples=[Example(value=5)],
    ),
]
Unit = Annotated[Literal["mi", "km"], QueryParameter(description="Unit of radius")]
CategoryParam = Annotated[
    list[str] | None,
    QueryParameter(
        description="Category slug, repeatable (any of them); a parent includes its children",
        examples=[Example(value=["naloxone"])],
    ),
]
Words = Annotated[
    str | None,
    QueryParameter(
        max_length=200,
        description="Words to match in service names and descriptions: accents ignored, English stems, misspellings "
        "corrected against the words listings use, field synonyms added (narcan finds naloxone). Ranking: "
        "3 when the service name matches, 2 with the alternate name, 1 when the description is needed; with "
        "a location by distance / that weight, without one by weight then text rank",
        examples=[Example(value="narcan")],
    ),
]
OpenNow = Annotated[
    bool | None,
    QueryParameter(
        description="true: only resources open right now in their own time zone; false or absent: no filter "
        "(every item still reports open_now)"
    ),
]
OpenAt = Annotated[
    dt.datetime | None,
    QueryParameter(
        description="Only resources open at this RFC 3339 instant (with offset); also what open_now reports on",
        examples=[Example(value="2026-11-27T23:30:00-08:00")],
    ),
]
At = Annotated[
    dt.datetime | None,
    QueryParameter(
        description="Report open_now, closes_at, opens_next_at, hours_today and capacity as of this RFC 3339 instant "
        "instead of now, without filtering (plan ahead: will it be open at 2 am?)",
        examples=[Example(value="2026-11-28T02:00:00-08:00")],
    ),
]
Bbox = Annotated[
    str | None,
    QueryParameter(
        max_length=200,
        description="Map viewport minLon,minLat,maxLon,maxLat (WGS-84); minLon > maxLon crosses the antimeridian",
        examples=[Example(value="-122.8,45.4,-122.5,45.6")],
    ),
]
Format = Annotated[
    Literal["json", "geojson"] | None,
    QueryParameter(
        description="geojson: a GeoJSON FeatureCollection (also chosen by Accept: application/geo+json), each "
        "feature's properties being the result item"
    ),
]
StatusParam = Annotated[list[Status] | None, QueryParameter(description="Service status, repeatable; default active")]
AttributeParam = Annotated[
    list[str] | None,
    QueryParameter(
        description="Eligibility attribute slug from GET /v1/attributes, repeatable or comma-separated: results have "
        "all of them",
        examples=[Example(value=["no-id-required", "accepts-moud"])],
    ),
]
AgeParam = Annotated[
    int | None,
    QueryParameter(
        ge=0,
        le=130,
        description="Only services that take someone of this age (unknown limits do not exclude)",
        examples=[Example(value=17)],
    ),
]
CostParam = Annotated[
    list[Cost] | None,
    QueryParameter(description="How it is paid for, repeatable: any of them", examples=[Example(value=["free"])]),
]
LanguageParam = Annotated[
    list[str] | None,
    QueryParameter(
        description="ISO 639 code of a language spoken, repeatable: all of them", examples=[Example(value=["es"])]
    ),
]
HasCapacity = Annotated[
    str | None,
    QueryParameter(
        max_length=64,
        pattern=r"^[a-z][a-z0-9-]*$",
        description="Only services with a current count of this unit above zero (bed, naloxone-kit, ...)",
        examples=[Example(value="bed")],
    ),
]
CapacityMaxAge = Annotated[
    str,
    QueryParameter(
        max_length=20,
        description="How old a count may be and still count as current: 90m, 24h (default), 7d",
        examples=[Example(value="6h")],
    ),
]
VerifiedWithin = Annotated[
    str | None,
    QueryParameter(
        max_length=20,
        description="Only listings a person verified (assured_date) within this long: 30d, 90d, 365d",
        examples=[Example(value="90d")],
    ),
]
ListingParam = Annotated[
    list[str] | None,
    QueryParameter(
        description="Only the listings of these services, locations or organizations: ids, repeated or "
        "comma-separated, up to 100 in all. With near and radius, what of them lies in an area now: how a "
        "downloaded area applies the change feed (a place created, moved in or out, or deleted).",
        examples=[Example(value=["5f0c4a52-1d6e-4b8e-9c1a-3c9d2b7e8f10"])],
    ),
]
GenderParam = Annotated[
    Gender | None,
    QueryParameter(
        description="Only services that serve this gender (services that list none serve everyone)",
        examples=[Example(value="women")],
    ),
]


class ResourceController(Controller):
    """Services at locations: what specialists search for."""

    path = "/v1/resources"
    tags = ["resources"]

    @get("/", operation_id="searchResources", media_type=MediaType.JSON, dependencies=REPLICA_READS)
    async def search_resources(
        self,
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
        state: AppState,
        near: Near = None,
        zip_code: Zip = None,
        address: Address = None,
        radius: Radius = None,
        unit: Unit = "mi",
        category: CategoryParam = None,
        q: Words = None,
        open_now: OpenNow = None,
        open_at: OpenAt = None,
        at: At = None,
        bbox: Bbox = None,
        format: Format = None,
        status: StatusParam = None,
        attribute: AttributeParam = None,
        age: AgeParam = None,
        cost: CostParam = None,
        language: LanguageParam = None,
        gender: GenderParam = None,
        has_capacity: HasCapacity = None,
        capacity_max_age: CapacityMaxAge = "24h",
        verified_within: VerifiedWithin = None,
        listing: ListingParam = None,
        include: IncludeParam = None,
        starts_within: IncludedWithin = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Response[ResourcePage]:
        """Find resources near a point, ZIP or address (nearest first, with distance_m), or by name."""
        search_request = await read_request(
            state,
            near=near,
            zip_code=zip_code,
            address=address,
            radius=radius,
            unit=unit,
            category=category,
            q=q,
            open_now=open_now,
            open_at=open_at,
            at=at,
            bbox=bbox,
            status=status,
            attribute=attribute,
            age=age,
            cost=cost,
            language=language,
            gender=gender,
            has_capacity=has_capacity,
            capacity_max_age=capacity_max_age,
            verified_within=verified_within,
            listing=listing,
            limit=limit,
            cursor=cursor,
            geojson=format == "geojson"
            or (format is None and "application/geo+json" in request.headers.get("accept", "")),
        )
        inclusion = read_inclusion(include, starts_within, at, search_request, extend=not state.replicas)
        page = await search(conn, search_request, state.windowed_knn, state.candidates, state.corrections)
        state.served.record([hit.id for hit in page.hits])
        if inclusion is not None:
            body = await included_page(conn, page, search_request, inclusion, may_see_confidential(request))
            return Response(body, media_type=MediaType.JSON)  # type: ignore[arg-type]  # pre-encoded ResourcePage
        if search_request.shape == "geojson":
            return Response(
                _feature_collection(page),  # type: ignore[arg-type]  # pre-encoded GeoJSON
                media_type="application/geo+json",
            )
        return Response(_page_json(page), media_type=MediaType.JSON)  # type: ignore[arg-type]  # pre-encoded ResourcePage

    @get("/count", operation_id="countResources", dependencies=REPLICA_READS)
    async def count_resources(
        self,
        conn: NamedDependency[asyncpg.Connection],
        state: AppState,
        radius: Annotated[float, QueryParameter(gt=0, le=500, description="How far, in unit (up to 500)")],
        near: Near = None,
        zip_code: Zip = None,
        address: Address = None,
        unit: Unit = "mi",
        category: CategoryParam = None,
        status: StatusParam = None,
    ) -> ResourceCount:
        """How many resources a search within radius of a point, ZIP or address returns (the nearby ones and
        those serving the point through an area): what downloading an area for offline use will bring."""
        search_request = await read_request(
            state,
            near=near,
            zip_code=zip_code,
            address=address,
            radius=radius,
            unit=unit,
            category=category,
            status=status,
        )
        origin, metres = search_request.origin, search_request.radius_m
        if origin is None or metres is None:
            raise InvalidInput("near", "give near, zip or address")
        row = await queries.count_within(
            conn, origin.latitude, origin.longitude, postal_code_of(search_request), metres, search_request.filters
        )
        return ResourceCount(
            count=row["nearby"] + row["serving"],
            nearby=row["nearby"],
            serves_area=row["serving"],
            radius_m=metres,
            origin=origin,
        )

    @get("/{resource_id:uuid}", operation_id="getResource", media_type=MediaType.JSON, dependencies=REPLICA_READS)
    async def get_resource(
        self,
        conn: NamedDependency[asyncpg.Connection],
        state: AppState,
        resource_id: FromPath[UUID],
        at: At = None,
    ) -> Response[Resource]:
        """Fetch one resource by id, with open_now, hours and capacity evaluated now (or at `at`)."""
        if at is not None and at.tzinfo is None:
            raise InvalidInput("at", "must carry a UTC offset, e.g. 2026-11-27T23:30:00-08:00 or ...Z")
        if (document := await queries.select_resource(conn, resource_id, at or dt.datetime.now(dt.UTC))) is None:
            if (survivor := await select_redirect(conn, "resource", resource_id)) is not None:
                raise Moved(resource_id, survivor, "resource")
            raise NotFound(f"no resource has id {resource_id}")
        state.served.record([resource_id])
        return Response(document.encode(), media_type=MediaType.JSON)  # type: ignore[arg-type]  # pre-encoded Resource

    @post("/", operation_id="createResource", guards=[require_write], media_type=MediaType.JSON)
    async def create_resource(
        self,
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
        state: AppState,
        data: JSONBody[ResourceCreate],
    ) -> Response[Resource]:
        """Create organization (or use organization_id), service, location (or use location_id) and link (write)."""
        check_organization(request, data.organization_id)
        if data.location_id is not None:
            await check_owner(request, conn, "location", data.location_id, field="location_id")
        state.taxonomy.check(data.service.categories, "service.categories", "body")
        state.attributes.check(data.service.attributes, "service.attributes", "body")
        resource_id = await queries.insert_resource(conn, data)
        document = await queries.select_resource(conn, resource_id, dt.datetime.now(dt.UTC))
        assert document is not None, "the resource index trigger did not run"
        return Response(
            document.encode(),  # type: ignore[arg-type]  # pre-encoded Resource
            status_code=201,
            media_type=MediaType.JSON,
            headers={"Location": f"/v1/resources/{resource_id}"},
        )


def _page_json(page: SearchPage) -> bytes:
    """A ResourcePage's JSON. Items arrive as finished JSON documents in the Resource shape (tests decode
    every page into ResourcePage), so they are joined rather than decoded and encoded again."""
    return b"".join(
        (
            b'{"items":[',
            ",".join(hit.item for hit in page.hits).encode(),
            b'],"next_cursor":',
            msgspec.json.encode(page.next_cursor),
            b',"origin":',
            msgspec.json.encode(page.origin),
            b"}",
        )
    )


# The plain searches the shortcut answers (service/routes/shortcuts.py).
_DECIMAL = re.compile(r"[0-9]{1,6}(\.[0-9]{1,9})?")
_UNIT_SLUG = re.compile(r"[a-z][a-z0-9-]*")
# Each parameter's reading (None: the route reads it), by the name read_request gives it.
_SCALARS: dict[str, tuple[str, Reading]] = {
    "near": ("near", text(100)),
    "zip": ("zip_code", text(10)),
    "q": ("q", text(200)),
    "capacity_max_age": ("capacity_max_age", text(20)),
    "verified_within": ("verified_within", text(20)),
    "cursor": ("cursor", text(500)),
    "radius": ("radius", lambda value: float(value) if _DECIMAL.fullmatch(value) else None),
    "unit": ("unit", one_of(Literal["mi", "km"])),
    "open_now": ("open_now", boolean),
    "open_at": ("open_at", instant),
    "at": ("at", instant),
    "age": ("age", whole(0, 130)),
    "limit": ("limit", whole(1, 100)),
    "gender": ("gender", one_of(Gender)),
    "has_capacity": ("has_capacity", lambda value: value if len(value) <= 64 and _UNIT_SLUG.fullmatch(value) else None),
}
_LISTS: dict[str, Reading] = {
    "category": str,
    "attribute": str,
    "language": str,
    "listing": str,
    "status": one_of(Status),
    "cost": one_of(Cost),
}


async def _plain_page(state: AppState, scope: Scope, arguments: dict[str, Any]) -> bytes:
    """A plain search's page, as search_resources answers it."""
    request = await read_request(
        state,
        near=arguments.pop("near", None),
        zip_code=arguments.pop("zip_code", None),
        address=None,
        radius=arguments.pop("radius", None),
        unit=arguments.pop("unit", "mi"),
        category=arguments.pop("category", None),
        status=arguments.pop("status", None),
        limit=arguments.pop("limit", 20),
        **arguments,
    )
    async with primary_connection(state, "GET", scope) as conn:
        page = await search(conn, request, state.windowed_knn, state.candidates, state.corrections)
    state.served.record([hit.id for hit in page.hits])
    return _page_json(page)


SHORTCUT = Shortcut("/v1/resources", _SCALARS, _LISTS, _plain_page, routed_accept=b"geo+json")


def _feature_collection(page: SearchPage) -> bytes:
    """A GeoJSON FeatureCollection (RFC 7946) of the page; next_cursor and origin as foreign members."""
    features = []
    for hit in page.hits:
        location = msgspec.json.decode(hit.item)["location"]
        geometry = (
            None
            if location["latitude"] is None
            else {"type": "Point", "coordinates": [location["longitude"], location["latitude"]]}
        )
        features.append(
            b'{"type":"Feature","id":"%s","geometry":%s,"properties":%s}'
            % (str(hit.id).encode(), msgspec.json.encode(geometry), hit.item.encode())
        )
    return b"".join(
        (
            b'{"type":"FeatureCollection","features":[',
            b",".join(features),
            b'],"next_cursor":',
            msgspec.json.encode(page.next_cursor),
            b',"origin":',
            msgspec.json.encode(page.origin),
            b"}",
        )
    )
