"""Where a search happens: coordinates, ZIP centroids, geocoded addresses, time zones, units."""

import asyncio
import functools
import importlib
import math
import re
import zoneinfo
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from schemas.resources import Origin
from schemas.search import BoundingBox
from service.config import Settings
from service.errors import InvalidInput, UpstreamUnavailable

if TYPE_CHECKING:
    from timezonefinder import TimezoneFinder

METRES_PER = {"mi": 1609.344, "km": 1000.0}
MAX_RADIUS_M = 20_000_000.0  # a little under half the Earth's circumference: covers the whole planet


def parse_near(raw: str) -> Origin:
    """Read "LAT,LON" in decimal degrees."""
    parts = raw.split(",")
    if len(parts) != 2:
        raise InvalidInput("near", "expected LAT,LON in decimal degrees, e.g. near=45.52,-122.68")
    try:
        latitude, longitude = (float(part) for part in parts)
    except ValueError:
        raise InvalidInput("near", "latitude and longitude must be decimal numbers, e.g. near=45.52,-122.68") from None
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        raise InvalidInput("near", "latitude and longitude must be finite numbers")
    if not -90 <= latitude <= 90:
        raise InvalidInput("near", f"latitude {latitude:g} is outside -90..90")
    if not -180 <= longitude <= 180:
        raise InvalidInput("near", f"longitude {longitude:g} is outside -180..180")
    return Origin(latitude=latitude, longitude=longitude, source="near", label=None)


@functools.cache
def _zip_centroids() -> dict[str, tuple[float, float, str]]:
    import zipcodes  # loads its bundled table (~0.4 s), so only on first use

    table = {}
    for entry in zipcodes.list_all():  # type: ignore[no-untyped-call]  # zipcodes ships no annotations
        if entry.get("lat") and entry.get("long"):
            label = f"{entry['zip_code']} {entry.get('city', '')}, {entry.get('state', '')}".strip(", ")
            table[entry["zip_code"]] = (float(entry["lat"]), float(entry["long"]), label)
    return table


def zip_centroid(code: str) -> tuple[float, float] | None:
    """The centroid of a 5-digit US ZIP code (ZIP+4 and spaces allowed), or None when unknown."""
    match = re.fullmatch(r"\s*(\d{5})(?:-\d{4})?\s*", code)
    found = _zip_centroids().get(match[1]) if match else None
    return (found[0], found[1]) if found else None


def warm_lookups() -> None:
    """Load the offline ZIP and time-zone tables so the first request does not pay for it."""
    _zip_centroids()
    _timezone_finder()


def zip_origin(raw: str, field: str = "zip") -> Origin:
    """The centroid of a US ZIP code, from the offline zipcodes table."""
    match = re.fullmatch(r"\s*(\d{5})(?:-\d{4})?\s*", raw)
    if not match:
        raise InvalidInput(field, f"expected a 5-digit US ZIP code, e.g. {field}=97201")
    found = _zip_centroids().get(match[1])
    if found is None:
        raise InvalidInput(field, f"unknown ZIP code {match[1]}")
    latitude, longitude, label = found
    return Origin(latitude=latitude, longitude=longitude, source="zip", label=label)


def radius_m(radius: float | None, unit: Literal["mi", "km"]) -> float | None:
    """A search radius in metres, checked against what the Earth allows."""
    if radius is None:
        return None
    if not math.isfinite(radius) or radius <= 0:
        raise InvalidInput("radius", "must be a number greater than 0")
    metres = radius * METRES_PER[unit]
    if metres > MAX_RADIUS_M:
        limit = MAX_RADIUS_M / METRES_PER[unit]
        raise InvalidInput("radius", f"must be at most {limit:,.0f} {unit} (20,000 km)")
    return metres


@functools.cache
def _timezone_finder() -> "TimezoneFinder":
    from timezonefinder import TimezoneFinder

    return TimezoneFinder()


def timezone_at(latitude: float, longitude: float) -> str | None:
    """The IANA time zone at a point, offline (oceans get Etc/GMT±N)."""
    return _timezone_finder().timezone_at(lat=latitude, lng=longitude)


@functools.cache
def _known_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_timezone(name: str | None, field: str) -> None:
    """Reject names that are not IANA time zones."""
    if name is not None and name not in _known_timezones():
        raise InvalidInput(field, f"unknown IANA time zone {name!r}", "body")


class Geocoder:
    """Turns a free-text address into an Origin through a geopy geocoder, with a hard timeout."""

    def __init__(self, settings: Settings) -> None:
        self.timeout = settings.geocoder_timeout
        self.name = settings.geocoder
        self._backend = _build_geocoder(settings) if settings.geocoder else None

    async def locate(self, address: str) -> Origin:
        if self._backend is None:
            raise InvalidInput(
                "address",
                "address lookups are off: no geocoder is configured (set COMMONGROUND_GEOCODER, e.g. to "
                "nominatim, and restart); use near=LAT,LON or zip=NNNNN instead",
            )
        if not address.strip() or len(address) > 500:
            raise InvalidInput("address", "must be 1 to 500 characters")
        from geopy import exc

        try:
            found = await asyncio.wait_for(asyncio.to_thread(self._backend, address), self.timeout + 1)
        except (TimeoutError, exc.GeocoderTimedOut):
            raise UpstreamUnavailable(f"the {self.name} geocoder did not answer within {self.timeout:g} s") from None
        except exc.GeopyError as error:
            raise UpstreamUnavailable(f"the {self.name} geocoder failed: {error}") from None
        if found is None:
            raise InvalidInput("address", f"the {self.name} geocoder found no match for this address")
        return Origin(
            latitude=found.latitude, longitude=found.longitude, source="address", label=getattr(found, "address", None)
        )


def _build_geocoder(settings: Settings) -> Callable[[str], Any]:
    """A geopy service name (nominatim, photon, ...) or module:attribute naming a geopy Geocoder."""
    name = settings.geocoder or ""
    if ":" in name:
        module, _, attribute = name.partition(":")
        factory = getattr(importlib.import_module(module), attribute)
    else:
        from geopy.geocoders import get_geocoder_for_service

        factory = get_geocoder_for_service(name)
    options: dict[str, Any] = {"user_agent": settings.geocoder_user_agent, "timeout": settings.geocoder_timeout}
    if settings.geocoder_api_key:
        options["api_key"] = settings.geocoder_api_key
    geocoder = factory(**options)
    return functools.partial(geocoder.geocode, exactly_one=True)


def parse_bbox(raw: str) -> BoundingBox:
    """minLon,minLat,maxLon,maxLat in WGS-84 degrees; minLon > maxLon crosses the antimeridian."""
    parts = raw.split(",")
    try:
        min_lon, min_lat, max_lon, max_lat = (float(part) for part in parts)
    except ValueError:
        raise InvalidInput(
            "bbox", "expected minLon,minLat,maxLon,maxLat in decimal degrees, e.g. -122.8,45.4,-122.5,45.6"
        ) from None
    for name, value, limit in (
        ("minLon", min_lon, 180),
        ("maxLon", max_lon, 180),
        ("minLat", min_lat, 90),
        ("maxLat", max_lat, 90),
    ):
        if not -limit <= value <= limit or value != value:
            raise InvalidInput("bbox", f"{name} {value} is outside -{limit}..{limit}")
    if min_lat > max_lat:
        raise InvalidInput("bbox", "minLat is above maxLat")
    span = max_lon - min_lon if min_lon <= max_lon else max_lon + 360 - min_lon
    if span > 180 or max_lat - min_lat > 90:
        return BoundingBox(min_lon, min_lat, max_lon, max_lat, None, None)
    centre_lon = min_lon + span / 2
    centre_lon = centre_lon - 360 if centre_lon > 180 else centre_lon
    centre = ((min_lat + max_lat) / 2, centre_lon)
    return BoundingBox(min_lon, min_lat, max_lon, max_lat, centre, earth_envelope(min_lon, min_lat, max_lon, max_lat))


# earthdistance's earth(): the sphere ll_to_earth() places points on, in metres.
EARTH_RADIUS_M = 6378168.0


def earth_envelope(
    min_lon: float, min_lat: float, max_lon: float, max_lat: float
) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """The smallest box of earth coordinates (as ll_to_earth() gives them) holding the viewport, plus a metre."""
    # A search reads every row its GiST test keeps: for a 0.2-degree viewport at 1M listings the circle
    # around it (the prefilter before this box) kept 4,242 rows for 1,464 inside, this box 1,911. Each
    # coordinate is cos or sin of the latitude times cos or sin of the longitude, so its extremes lie on the
    # viewport's edges or where a range passes 0, 90 or 180 degrees: the only latitudes and longitudes to try.
    lats = {min_lat, max_lat} | ({0.0} if min_lat <= 0 <= max_lat else set())
    across = min_lon > max_lon  # the antimeridian
    lons = {min_lon, max_lon} | {
        lon
        for lon in (-180.0, -90.0, 0.0, 90.0, 180.0)
        if (lon >= min_lon or lon <= max_lon if across else min_lon <= lon <= max_lon)
    }
    points = [
        (
            EARTH_RADIUS_M * math.cos(math.radians(lat)) * math.cos(math.radians(lon)),
            EARTH_RADIUS_M * math.cos(math.radians(lat)) * math.sin(math.radians(lon)),
            EARTH_RADIUS_M * math.sin(math.radians(lat)),
        )
        for lat in lats
        for lon in lons
    ]
    low = tuple(min(point[axis] for point in points) - 1.0 for axis in range(3))
    high = tuple(max(point[axis] for point in points) + 1.0 for axis in range(3))
    return (low[0], low[1], low[2]), (high[0], high[1], high[2])
