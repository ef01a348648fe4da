"""X-Request-ID on every answer and one JSON access-log line per request.

A client's own X-Request-ID (up to 128 letters, digits, '.', '_' or '-') is kept, so one id follows
a call through the partner's logs and ours; otherwise a new one is made.
"""

import json
import logging
import re
import time
import urllib.parse
import uuid

from litestar.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("commonground.access")
_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._-]{1,128}$")
# Credential-like query parameters: refused by service.auth, and their values never written to a log.
SECRET_PARAMS = frozenset({"api_key", "apikey", "key", "token", "access_token", "authorization", "secret"})


def loggable_query(raw: bytes) -> str:
    """The query string with the values of credential-like parameters replaced by ***."""
    text = raw.decode("latin-1")[:1000]
    if not text:
        return text
    pairs = urllib.parse.parse_qsl(text, keep_blank_values=True)
    if not any(name.lower() in SECRET_PARAMS for name, _ in pairs):
        return text
    return urllib.parse.urlencode([(name, "***" if name.lower() in SECRET_PARAMS else value)
                                   for name, value in pairs])


def configure_logging(level: str) -> None:
    """Logs to stderr at this level; access lines as bare JSON, one per request (info level)."""
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger().setLevel(level.upper())  # also when the server configured logging first
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.propagate = False


def access_middleware(app: ASGIApp) -> ASGIApp:
    """Wrap the app: echo or assign X-Request-ID, and log the request when its answer starts."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        given = next((value for name, value in scope.get("headers", []) if name == b"x-request-id"), b"")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex.encode()
        scope.setdefault("state", {})["request_id"] = request_id.decode()
        started = time.perf_counter()

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", request_id)]}
                metrics = getattr(scope["app"].state, "metrics", None)
                if metrics is not None:
                    metrics.observe(scope.get("method", ""), scope.get("path_template") or "unmatched",
                                    message["status"], time.perf_counter() - started)
                if log.isEnabledFor(logging.INFO):
                    log.info(json.dumps({
                        "request_id": request_id.decode(), "method": scope.get("method"), "path": scope.get("path"),
                        "query": loggable_query(scope.get("query_string", b"")),
                        "status": message["status"], "ms": round((time.perf_counter() - started) * 1000, 2),
                    }))
            await send(message)

        await app(scope, receive, wrapped)

    return middleware
