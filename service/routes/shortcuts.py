"""Searches written plainly, answered without the router's per-request machinery (signature model,
dependency graph, response objects, the ETag and compression layers): a third of the web process's CPU
per search. Only what the route would read the same way is taken: each parameter a shortcut names, once
(lists: repeated), in its strict form; anything else (another parameter, a repeat, an empty or odd value,
a compressed, conditional or cross-origin answer, read replicas) goes to the route, and so does any search
the shortcut fails to answer: the route reads it again and answers (or names the problem) as it always does.
"""

import datetime as dt
import re
from collections.abc import Awaitable, Callable
from typing import Any, get_args
from urllib.parse import parse_qsl

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from service.http.etags import etag_of
from service.state import AppState, app_state

_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})"
)
_SMALL = re.compile(r"0|[1-9][0-9]{0,2}")
_ROUTED_HEADERS = frozenset({b"if-none-match", b"origin"})
_JSON_HEADERS = [(b"content-type", b"application/json")]

# A parameter's strict reading: its value, or None when only the route may read it.
Reading = Callable[[str], object]


class Shortcut(msgspec.Struct, frozen=True):
    """One route's plain searches: each scalar parameter's name in the answer's arguments and reading, each
    list parameter's reading, and the answer: the page's JSON, exactly as the route encodes it."""

    template: str
    scalars: dict[str, tuple[str, Reading]]
    lists: dict[str, Reading]
    answer: Callable[[AppState, Scope, dict[str, Any]], Awaitable[bytes]]
    routed_accept: bytes | None = None  # an Accept the route answers in another shape (GeoJSON)


def instant(value: str) -> object:
    """An RFC 3339 date-time with its offset."""
    return dt.datetime.fromisoformat(value) if _DATE_TIME.fullmatch(value) else None


def text(most: int) -> Reading:
    """Text of at most `most` characters."""
    return lambda value: value if len(value) <= most else None


def whole(low: int, high: int) -> Reading:
    """A whole number from low to high, written without sign or leading zeros."""
    return lambda value: int(value) if _SMALL.fullmatch(value) and low <= int(value) <= high else None


def one_of(choices: object) -> Reading:
    """One of a Literal's values."""
    options = frozenset(get_args(choices))
    return lambda value: value if value in options else None


def boolean(value: str) -> object:
    """true or false, in lower case."""
    return {"true": True, "false": False}.get(value)


def _routed(name: bytes, value: bytes, shortcut: Shortcut) -> bool:
    """Whether a request header asks for an answer only the route makes: conditional, cross-origin,
    another shape, or in a coding its compression layer applies (the layer's own test: br or gzip in the value)."""
    if name == b"accept-encoding":
        return b"br" in value or b"gzip" in value
    return name in _ROUTED_HEADERS or (
        name == b"accept" and shortcut.routed_accept is not None and shortcut.routed_accept in value
    )


def plain_arguments(query_string: bytes, shortcut: Shortcut) -> dict[str, Any] | None:
    """The answer's arguments from a plainly written query, as the route would read them; None when the
    route should read it (and name whatever is wrong)."""
    arguments: dict[str, Any] = {}
    # Litestar's own reading of a query string (litestar._parsers.parse_qsl): the same names and values.
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, separator="&"):
        if not value:
            return None
        if (each := shortcut.lists.get(name)) is not None:
            if (item := each(value)) is None:
                return None
            arguments.setdefault(name, []).append(item)
            continue
        key, read = shortcut.scalars.get(name, (name, None))
        if read is None or key in arguments or (parsed := read(value)) is None:
            return None
        arguments[key] = parsed
    return arguments


def shortcuts(routes: dict[str, Shortcut]) -> Callable[[ASGIApp], ASGIApp]:
    """Wrap an app: the plain GET searches of these paths are answered here, byte for byte as their routes
    answer them; everything else, and any search that fails here, goes on to the app."""

    def wrap(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            arguments = shortcut = None
            if scope["type"] == ScopeType.HTTP and scope["method"] == "GET":
                shortcut = routes.get(scope["path"])
            if shortcut is not None:
                state = app_state(scope["app"])
                if not (state.replicas or state.settings.cors_origins) and not any(
                    _routed(name, value, shortcut) for name, value in scope["headers"]
                ):
                    arguments = plain_arguments(scope["query_string"], shortcut)
            if arguments is None or shortcut is None:
                await app(scope, receive, send)
                return
            try:
                body = await shortcut.answer(state, scope, arguments)
            except Exception:  # noqa: BLE001  # the route reads it again and answers as it always does
                await app(scope, receive, send)
                return
            scope["path_template"] = shortcut.template  # what the router sets, for metrics
            headers = [*_JSON_HEADERS, (b"content-length", str(len(body)).encode()), (b"etag", etag_of(body).encode())]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body, "more_body": False})

        return middleware

    return wrap
