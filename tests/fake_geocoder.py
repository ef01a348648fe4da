"""A geopy-shaped geocoder for tests (COMMONGROUND_GEOCODER=tests.fake_geocoder:FakeGeocoder)."""

import time

from geopy.exc import GeocoderTimedOut, GeocoderUnavailable
from geopy.location import Location

KNOWN = {"1120 sw 5th ave, portland, or": ("1120 SW 5th Ave, Portland, OR 97204", 45.5155, -122.6793)}


class FakeGeocoder:
    """Answers from a fixed table; 'down', 'slow' and 'hangs' simulate a broken service ('hangs' ignores
    its own timeout, as a stuck connection does)."""

    def __init__(self, user_agent: str, timeout: float, **_: object) -> None:
        self.timeout = timeout

    def geocode(self, query: str, exactly_one: bool = True) -> Location | None:
        if query == "down":
            raise GeocoderUnavailable("connection refused")
        if query == "slow":
            raise GeocoderTimedOut("no answer")
        if query == "hangs":
            time.sleep(self.timeout + 2)
        found = KNOWN.get(query.strip().lower())
        return None if found is None else Location(found[0], (found[1], found[2]), {})
