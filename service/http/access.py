"""X-Request-ID on every answer and one JSON access-log line per request.

A client's own X-Request-ID (up to 128 letters, digits, '.', '_' or '-') is kept, so one id follows
a call through the partner's logs and ours; otherwise a new one is made.

The people searching are often in crisis, and a log outlives the request: the line never holds a
credential (masked as ***), an address (dropped) or a point more precise than about 1 km (coordinates
rounded to 2 decimals). No header is logged.
"""

import json
import logging
import math
import re
import time
import urllib.parse
import uuid

from litestar.types import Scope

from service.state import app_state

log = logging.getLogger("commonground.access")
_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._-]{1,128}$")
# Credential query parameters refused by service.http.auth: a key in a URL is already in browser histories
# and proxy logs. None of them is a parameter of this API.
SECRET_PARAMS = frozenset(
    {
        "api_key",
        "apikey",
        "api-key",
        "x-api-key",
        "key",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "authorization",
        "secret",
        "client_secret",
        "password",
        "passwd",
        "signature",
    }
)
# Wider than SECRET_PARAMS, for logs only: masking a harmless parameter costs nothing, refusing one breaks
# a client.
_CREDENTIAL = re.compile(r"key|token|secret|passw|pwd|signature|credential|session|cookie|^sig$|^auth", re.I)
# Our key format; masked wherever it appears, such as a key pasted into a path.
_KEY = re.compile(r"cg_[A-Za-z0-9_-]{8,}")
# Where a person is: numbers rounded to 2 decimals (about 1.1 km of latitude).
_COORDINATES = frozenset({"near", "bbox", "latitude", "longitude", "lat", "lon", "lng", "long", "point"})
# Free text that can be a person's street address: never logged.
_PLACES = frozenset({"address", "street", "location"})
# A ZIP+4 is a block; the 5-digit ZIP (tens of km²) is kept.
_POSTCODES = frozenset({"zip", "postcode", "postal_code"})
# A path holds no location in this API, but a client may send any path: long decimals there are rounded.
_PRECISE = re.compile(r"-?\d+\.\d{3,}")


def _rounded(text: str) -> str:
    """Text with long decimals rounded to 2 places and anything shaped like a key masked."""
    return _PRECISE.sub(lambda match: f"{float(match[0]):.2f}", _KEY.sub("***", text))


def _coarse(value: str) -> str:
    parts = []
    for part in value.split(","):
        try:
            number = float(part)
        except ValueError:
            number = math.nan
        parts.append(f"{number:.2f}" if math.isfinite(number) else "***")
    return ",".join(parts)


def _loggable(name: str, value: str) -> str:
    lowered = name.lower()
    if _CREDENTIAL.search(lowered) or lowered in _PLACES:
        return "***"
    if lowered in _COORDINATES:
        return _coarse(value)
    if lowered in _POSTCODES:
        return value.strip()[:5]
    return _rounded(value)


def loggable_query(raw: bytes) -> str:
    """The query string without credentials or addresses, and with coordinates rounded to about 1 km."""
    text = raw.decode("latin-1")[:1000]
    if not text:
        return text
    pairs = urllib.parse.parse_qsl(text, keep_blank_values=True)
    return urllib.parse.urlencode([(_KEY.sub("***", name), _loggable(name, value)) for name, value in pairs], safe=",*")


def loggable_path(path: str) -> str:
    """The path with anything shaped like a key masked and long decimals rounded."""
    return _rounded(path[:1000])


def configure_logging(level: str) -> None:
    """Logs to stderr at this level; access lines as bare JSON, one per request (info level)."""
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger().setLevel(level.upper())  # also when the server configured logging first
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.propagate = False


def request_id(given: bytes | None) -> bytes:
    """The client's X-Request-ID when it is one we keep, else a new one (a UUID4 in hex)."""
    if given is not None and _REQUEST_ID.match(given):
        return given
    return uuid.uuid4().hex.encode()


def log_answer(scope: Scope, status: int, started: float, request_id: bytes) -> None:
    """Count the answer in the metrics and write its access line, as the answer starts."""
    metrics = getattr(app_state(scope["app"]), "metrics", None)
    if metrics is not None:
        metrics.observe(
            scope.get("method", ""), scope.get("path_template") or "unmatched", status, time.perf_counter() - started
        )
    if log.isEnabledFor(logging.INFO):
        log.info(
            json.dumps(
                {
                    "request_id": request_id.decode(),
                    "method": scope.get("method"),
                    "path": loggable_path(scope.get("path", "")),
                    "query": loggable_query(scope.get("query_string", b"")),
                    "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                }
            )
        )
