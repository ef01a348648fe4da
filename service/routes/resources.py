"""Resources: the specialist search, one resource, and one-call creation."""

import datetime as dt
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal, get_args
from urllib.parse import parse_qsl
from uuid import UUID

import asyncpg
import msgspec
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import ScopeType
from litestar.openapi.spec import Example
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.types import ASGIApp, Receive, Scope, Send

from schemas.fields import Cost, Gender, Status
from schemas.resources import Resource, ResourceCount, ResourceCreate, ResourcePage
from service.db import primary_connection
from service.errors import InvalidInput, Moved, NotFound
from service.http.auth import check_organization, check_owner, may_see_confidential, require_write
from service.http.etags import etag_of
from service.queries import resources as queries
from service.queries.lifecycle import select_redirect
from service.replicas import REPLICA_READS
from service.routes.params import Cursor, IncludedWithin, IncludeParam, Limit
from service.search.included import included_page, read_inclusion
from service.search.resources import SearchPage, postal_code_of, read_request, search
from service.state import AppState, app_state

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


# The searches written plainly, answered without the router's per-request machinery (signature model,
# dependency graph, response objects, the ETag and compression layers): a third of the web process's
# CPU per search. Only what the route would read the same way is taken: each parameter below, once
# (lists: repeated), in its strict form; anything else (another parameter, a repeat, an empty or odd
# value, geojson, a compressed, conditional or cross-origin answer, read replicas) goes to the route.
_DECIMAL = re.compile(r"[0-9]{1,6}(\.[0-9]{1,9})?")
_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})"
)
_SMALL = re.compile(r"0|[1-9][0-9]{0,2}")
_UNIT_SLUG = re.compile(r"[a-z][a-z0-9-]*")
_ROUTED_HEADERS = frozenset({b"if-none-match", b"origin"})
_JSON_HEADERS = [(b"content-type", b"application/json")]


def _routed(name: bytes, value: bytes) -> bool:
    """Whether a request header asks for an answer only the route makes: conditional, cross-origin,
    GeoJSON, or in a coding its compression layer applies (the layer's own test: br or gzip in the value)."""
    if name == b"accept-encoding":
        return b"br" in value or b"gzip" in value
    return name in _ROUTED_HEADERS or (name == b"accept" and b"geo+json" in value)


def _instant(value: str) -> object:
    return dt.datetime.fromisoformat(value) if _DATE_TIME.fullmatch(value) else None


def _text(most: int) -> Callable[[str], object]:
    return lambda value: value if len(value) <= most else None


def _whole(low: int, high: int) -> Callable[[str], object]:
    return lambda value: int(value) if _SMALL.fullmatch(value) and low <= int(value) <= high else None


def _one_of(choices: object) -> Callable[[str], object]:
    options = frozenset(get_args(choices))
    return lambda value: value if value in options else None


# Each parameter's reading (None: the route reads it), by the name read_request gives it.
_SCALARS: dict[str, tuple[str, Callable[[str], object]]] = {
    "near": ("near", _text(100)),
    "zip": ("zip_code", _text(10)),
    "q": ("q", _text(200)),
    "capacity_max_age": ("capacity_max_age", _text(20)),
    "verified_within": ("verified_within", _text(20)),
    "cursor": ("cursor", _text(500)),
    "radius": ("radius", lambda value: float(value) if _DECIMAL.fullmatch(value) else None),
    "unit": ("unit", _one_of(Literal["mi", "km"])),
    "open_now": ("open_now", lambda value: {"true": True, "false": False}.get(value)),
    "open_at": ("open_at", _instant),
    "at": ("at", _instant),
    "age": ("age", _whole(0, 130)),
    "limit": ("limit", _whole(1, 100)),
    "gender": ("gender", _one_of(Gender)),
    "has_capacity": ("has_capacity", lambda value: value if len(value) <= 64 and _UNIT_SLUG.fullmatch(value) else None),
}
_LISTS: dict[str, Callable[[str], object]] = {
    "category": str,
    "attribute": str,
    "language": str,
    "listing": str,
    "status": _one_of(Status),
    "cost": _one_of(Cost),
}


def _plain_arguments(query_string: bytes) -> dict[str, Any] | None:
    """read_request's arguments from a plainly written search query, as the route would read them; None
    when the route should read it (and name whatever is wrong)."""
    arguments: dict[str, Any] = {}
    # Litestar's own reading of a query string (litestar._parsers.parse_qsl): the same names and values.
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, separator="&"):
        if not value:
            return None
        if (each := _LISTS.get(name)) is not None:
            if (item := each(value)) is None:
                return None
            arguments.setdefault(name, []).append(item)
            continue
        key, read = _SCALARS.get(name, (name, None))
        if read is None or key in arguments or (parsed := read(value)) is None:
            return None
        arguments[key] = parsed
    return arguments


def fast_search(app: ASGIApp) -> ASGIApp:
    """Wrap the app: plainly written GET /v1/resources searches are answered here, byte for byte as the
    route answers them; everything else, and any search that fails here, goes on to the app."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        arguments = None
        if scope["type"] == ScopeType.HTTP and scope["path"] == "/v1/resources" and scope["method"] == "GET":
            state = app_state(scope["app"])
            if not (state.replicas or state.settings.cors_origins) and not any(
                _routed(name, value) for name, value in scope["headers"]
            ):
                arguments = _plain_arguments(scope["query_string"])
        if arguments is None:
            await app(scope, receive, send)
            return
        try:
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
        except Exception:  # noqa: BLE001  # the route reads it again and answers as it always does
            await app(scope, receive, send)
            return
        state.served.record([hit.id for hit in page.hits])
        body = _page_json(page)
        scope["path_template"] = "/v1/resources"  # what the router sets, for metrics
        headers = [*_JSON_HEADERS, (b"content-length", str(len(body)).encode()), (b"etag", etag_of(body).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    return middleware


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
