"""The resource search: read a request once, then choose area matches, nearest, words or names."""

import datetime as dt
import re
from collections.abc import Sequence
from typing import Literal
from uuid import UUID

import asyncpg
import msgspec

from schemas.resources import Origin
from schemas.search import SearchFilters, SearchRequest
from service.errors import InvalidInput
from service.http.cursors import decode_cursor, encode_cursor, fingerprint
from service.http.durations import parse_duration
from service.queries import resources as queries
from service.search.candidates import CandidateCounts
from service.search.geo import Geocoder, parse_bbox, parse_near, radius_m, zip_origin
from service.search.words import Corrections, alternatives, words_to_check
from service.state import AppState

LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
# The most ids one search may name in listing=: a page of the change feed is read in such batches.
MAX_LISTINGS = 100


class SearchPage(msgspec.Struct, frozen=True):
    """One page of hits in their final order, the cursor to the next page, and where it searched from."""

    hits: list[queries.Hit]
    next_cursor: str | None
    origin: Origin | None


async def read_request(
    state: AppState,
    *,
    near: str | None,
    zip_code: str | None,
    address: str | None,
    radius: float | None,
    unit: Literal["mi", "km"],
    category: list[str] | None,
    status: Sequence[str] | None,
    q: str | None = None,
    open_now: bool | None = None,
    open_at: dt.datetime | None = None,
    at: dt.datetime | None = None,
    bbox: str | None = None,
    attribute: list[str] | None = None,
    age: int | None = None,
    cost: Sequence[str] | None = None,
    language: list[str] | None = None,
    gender: str | None = None,
    has_capacity: str | None = None,
    capacity_max_age: str = "24h",
    verified_within: str | None = None,
    listing: list[str] | None = None,
    limit: int = 1,
    cursor: str | None = None,
    geojson: bool = False,
) -> SearchRequest:
    """Check the query parameters together and resolve the origin; every problem names its parameter."""
    origin = await _origin(state.geocoder, near, zip_code, address)
    metres = radius_m(radius, unit)
    if metres is not None and origin is None:
        raise InvalidInput("radius", "needs a location: near, zip or address")
    if open_now and open_at is not None:
        raise InvalidInput("open_at", "give open_now=true or open_at, not both")
    for name, instant in (("open_at", open_at), ("at", at)):
        if instant is not None and instant.tzinfo is None:
            raise InvalidInput(name, "must carry a UTC offset, e.g. 2026-11-27T23:30:00-08:00 or ...Z")
    if at is not None and (open_at is not None or open_now):
        raise InvalidInput("at", "give at, open_at or open_now=true, not more than one")
    slugs = _listed(category)
    state.taxonomy.check(slugs, "category", "query")
    attributes = sorted(set(_listed(attribute)))
    state.attributes.check(attributes, "attribute", "query")
    languages = sorted(set(_listed(language)))
    for code in languages:
        if not LANGUAGE_CODE.match(code):
            raise InvalidInput("language", f"{code!r} is not an ISO 639 code such as es or zh")
    listings = _ids(listing)
    now = dt.datetime.now(dt.UTC)
    filters = SearchFilters(
        statuses=sorted(set(status or ["active"])),
        categories=state.taxonomy.expand(slugs) if slugs else None,
        words=(q or "").strip() or None,
        open_at=open_at if open_at is not None else (now if open_now else None),
        evaluated_at=open_at or at or now,
        attributes=attributes or None,
        age=age,
        cost=sorted(set(cost)) if cost else None,
        languages=languages or None,
        gender=gender,
        has_capacity=has_capacity,
        capacity_max_age=parse_duration(capacity_max_age, "capacity_max_age"),
        bbox=parse_bbox(bbox) if bbox is not None else None,
        verified_since=(now - parse_duration(verified_within, "verified_within")).date()
        if verified_within is not None
        else None,
        listings=listings,
    )
    # Relative inputs (open_now, verified_within) enter as given, not as the instant they resolved
    # to, so a cursor stays valid while a person pages through.
    query = fingerprint(
        "resources",
        (origin.latitude, origin.longitude) if origin is not None else None,
        metres,
        filters.statuses,
        filters.categories,
        filters.words,
        open_at,
        bool(open_now),
        at,
        filters.attributes,
        age,
        filters.cost,
        filters.languages,
        gender,
        has_capacity,
        bbox,
        filters.capacity_max_age.total_seconds(),
        verified_within,
        [str(listing_id) for listing_id in listings] if listings is not None else None,
    )
    return SearchRequest(
        origin=origin,
        radius_m=metres,
        zip_code=zip_code,
        filters=filters,
        limit=limit,
        cursor=cursor,
        query=query,
        shape="geojson" if geojson else "json",
    )


def postal_code_of(request: SearchRequest) -> str | None:
    """The 5-digit ZIP a request searched from, which areas may list; None without one."""
    return request.zip_code.strip()[:5] if request.zip_code is not None else None


async def search(
    conn: asyncpg.Connection,
    request: SearchRequest,
    windowed_knn: bool,
    candidates: CandidateCounts,
    corrections: Corrections,
) -> SearchPage:
    """The page a request asks for: by words, by name without a location, else area matches then nearest."""
    origin, filters, limit = request.origin, request.filters, request.limit
    point = (origin.latitude, origin.longitude) if origin is not None else None
    hits: list[queries.Hit]
    if filters.words is not None:
        after = decode_cursor(request.cursor, request.query, float)
        phrasings = alternatives(filters.words, await corrections.of(conn, words_to_check(filters.words)))
        many = point is not None and await candidates.many_matches(conn, phrasings)
        rows = await candidates.row_estimate(conn, candidates.clock()) if many else 0
        hits = await queries.select_by_words(
            conn, point, request.radius_m, filters, phrasings, after, limit + 1, many, rows
        )
    elif origin is None:
        after = decode_cursor(request.cursor, request.query, str)
        driver = await candidates.driver(conn, filters)
        hits = await queries.select_by_name(conn, filters, after, limit + 1, driver)
    else:
        after = decode_cursor(request.cursor, request.query, float)
        postal_code = postal_code_of(request)
        hits = await queries.select_nearby(
            conn,
            origin.latitude,
            origin.longitude,
            postal_code,
            request.radius_m,
            filters,
            after,
            limit + 1,
            windowed=windowed_knn,
            driver=await candidates.driver(conn, filters),
        )
        hits.sort(key=lambda hit: (hit.sort_key, hit.id))
        del hits[limit + 1 :]
    next_cursor = None
    if len(hits) > limit:
        hits = hits[:limit]
        next_cursor = encode_cursor(request.query, hits[-1].sort_key, hits[-1].id)
    if origin is not None and filters.words is None:
        # The index orders by distance on a sphere; within a page, order by the reported
        # ellipsoidal distance so distance_m never goes down (area matches stay first).
        hits.sort(key=lambda hit: (hit.distance_m is not None, hit.distance_m or 0.0))
    return SearchPage(hits, next_cursor, origin)


def _ids(values: list[str] | None) -> list[UUID] | None:
    """The ids of listing=, distinct and sorted; None when none were given."""
    given = _listed(values)
    if not given:
        return None
    ids = set()
    for value in given:
        try:
            ids.add(UUID(value))
        except ValueError:
            reason = f"{value[:40]!r} is not the id of a service, location or organization"
            raise InvalidInput("listing", reason) from None
    if len(ids) > MAX_LISTINGS:
        raise InvalidInput("listing", f"names {len(ids)} ids; at most {MAX_LISTINGS} in one search")
    return sorted(ids)


def _listed(values: list[str] | None) -> list[str]:
    """Repeated and comma-separated values, trimmed, in the order given."""
    return [item.strip() for value in values or [] for item in value.split(",") if item.strip()]


async def _origin(geocoder: Geocoder, near: str | None, zip_code: str | None, address: str | None) -> Origin | None:
    """The point a search starts from: at most one of near, zip or address."""
    given = [name for name, value in (("near", near), ("zip", zip_code), ("address", address)) if value is not None]
    if len(given) > 1:
        raise InvalidInput(given[1], f"give one of near, zip or address, not {' and '.join(given)}")
    if near is not None:
        return parse_near(near)
    if zip_code is not None:
        return zip_origin(zip_code)
    if address is not None:
        return await geocoder.locate(address)
    return None
