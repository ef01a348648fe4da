"""US counties as the offline zipcodes table knows them: their ZIP codes and the box of their centroids."""

import functools
import itertools
import re

import msgspec

from service.errors import InvalidInput

# How far past its outermost ZIP centroids a county's box reaches, in degrees (about 22 km north to
# south): a ZIP's area extends beyond its centroid, so listings near the county line are inside.
MARGIN = 0.2
MOST = 10
_ZIP = re.compile(r"^\s*(\d{5})(?:-\d{4})?\s*$")
# "Multnomah", "multnomah county", "Multnomah County, OR", "multnomah or"
_NAMED = re.compile(r"^\s*(?P<name>.+?)(?:\s+county)?(?:\s*,\s*|\s+)?(?P<state>\b[A-Za-z]{2})?\s*$", re.IGNORECASE)


class Place(msgspec.Struct, frozen=True):
    """One ZIP code of the table."""

    zip_code: str
    city: str | None
    latitude: float | None
    longitude: float | None


class Area(msgspec.Struct, frozen=True):
    """A county: its name, state, ZIP codes and the widened box of their centroids."""

    name: str
    state: str
    places: tuple[Place, ...]
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    @property
    def label(self) -> str:
        return f"{self.name}, {self.state}"


@functools.cache
def _table() -> tuple[dict[tuple[str, str], Area], dict[str, tuple[str, str]]]:
    import zipcodes  # loads its bundled table (~0.4 s), so only on first use

    grouped: dict[tuple[str, str], list[Place]] = {}
    county_of: dict[str, tuple[str, str]] = {}
    for entry in zipcodes.list_all():  # type: ignore[no-untyped-call]  # zipcodes ships no annotations
        if not entry.get("county") or not entry.get("state"):
            continue
        key = (entry["county"], entry["state"])
        point = _point(entry.get("lat"), entry.get("long"))
        grouped.setdefault(key, []).append(
            Place(entry["zip_code"], entry.get("city") or None, *(point or (None, None)))
        )
        county_of[entry["zip_code"]] = key
    areas = {}
    for key, places in grouped.items():
        points = [(p.latitude, p.longitude) for p in places if p.latitude is not None and p.longitude is not None]
        if not points:
            continue
        lats = [lat for lat, _ in points]
        west, east = _arc([lon for _, lon in points])
        areas[key] = Area(
            key[0],
            key[1],
            tuple(sorted(places, key=lambda p: p.zip_code)),
            _wrapped(west - MARGIN),
            max(-90.0, min(lats) - MARGIN),
            _wrapped(east + MARGIN),
            min(90.0, max(lats) + MARGIN),
        )
    return areas, county_of


def _point(lat: object, lon: object) -> tuple[float, float] | None:
    """A ZIP's centroid, or None where the table has none: it writes 0,0 (or a 0 longitude) for unknown."""
    try:
        latitude, longitude = float(str(lat)), float(str(lon))
    except ValueError:
        return None
    if latitude == 0 or longitude == 0 or not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return latitude, longitude


def _arc(lons: list[float]) -> tuple[float, float]:
    """The shortest west..east span of longitudes holding them all; west > east when it crosses 180°
    (the Aleutians' ZIPs lie on both sides)."""
    ordered = sorted(lons)
    # The widest gap between neighbours (the one across 180° included) is the part of the circle left out.
    gap, west, east = ordered[0] + 360 - ordered[-1], ordered[0], ordered[-1]
    for before, after in itertools.pairwise(ordered):
        if after - before > gap:
            gap, west, east = after - before, after, before
    return west, east


def _wrapped(lon: float) -> float:
    """A longitude back in -180..180 after a margin was added."""
    return (lon + 180) % 360 - 180 if not -180 <= lon <= 180 else lon


def _folded(text: str) -> str:
    return re.sub(
        r"\s+", " ", text.lower().replace(" county", "").replace(" parish", "").replace(" borough", "")
    ).strip()


def county_of_zip(raw: str) -> Area:
    """The county a ZIP code lies in."""
    match = _ZIP.match(raw)
    if not match:
        raise InvalidInput("zip", f"expected a 5-digit US ZIP code, e.g. zip=97201, not {raw!r}")
    areas, county_of = _table()
    key = county_of.get(match[1])
    if key is None or key not in areas:
        raise InvalidInput("zip", f"unknown ZIP code {match[1]}")
    return areas[key]


def counties_named(raw: str) -> list[Area]:
    """Counties whose name starts with the words given, an optional state code narrowing them; at most MOST."""
    match = _NAMED.match(raw)
    if match is None or len(match["name"].strip()) < 2:
        raise InvalidInput("q", "give at least two letters of a county's name, e.g. q=multnomah or q=Cook, IL")
    areas, _ = _table()
    states = {state for _, state in areas}
    name, state = _folded(match["name"]), (match["state"] or "").upper()
    if state not in states:  # "Santa Fe" is not Santa in FE: the last word was part of the name
        name, state = _folded(raw.replace(",", " ")), ""
    found = [
        area
        for (county, in_state), area in areas.items()
        if _folded(county).startswith(name) and (not state or in_state == state)
    ]
    # Exact names first ("Cook" before "Cooke"), then the counties with more ZIP codes (more people).
    found.sort(key=lambda area: (_folded(area.name) != name, -len(area.places), area.label))
    return found[:MOST]
