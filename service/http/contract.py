"""The published contract: problem answers and media types in OpenAPI, and Allow on OPTIONS and 405."""

import dataclasses
import re
from collections.abc import Iterable

from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin  # the one place Litestar builds the document
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPI,
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Parameter,
    Reference,
    Schema,
)
from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from schemas.problems import Problem
from service.errors import PROBLEM_MEDIA_TYPE


def _problem(description: str) -> ResponseSpec:
    return ResponseSpec(
        data_container=Problem, description=description, media_type=PROBLEM_MEDIA_TYPE, generate_examples=False
    )


EVERY = {
    400: _problem("Malformed request (bad JSON, or a credential in the URL)"),
    401: _problem("The bearer key is missing where needed, malformed, unknown, expired or revoked"),
    422: _problem("A parameter or body field is invalid; invalid_params names each one and why"),
    429: _problem("Quota used up; Retry-After and RateLimit-* say when to come back"),
    503: _problem("The database is unreachable or the query took too long; retry after Retry-After"),
}
GUARDED = {403: _problem("The key lacks the scope, or may not change this organization's listings")}
BY_ID = {404: _problem("No such object (or not visible to this key)")}
WRITES = {
    404: _problem("An id in the path or the body names nothing (or nothing visible to this key)"),
    409: _problem("Conflicts with the current data or a concurrent change; nothing was saved"),
    413: _problem("The body is larger than this service accepts"),
}
CONDITIONAL = {
    412: _problem("If-Match names a version that is no longer current; GET it again"),
    428: _problem("If-Match is required: send the ETag a GET of the object answered"),
}


def document_problems(app: Litestar) -> None:
    """Add the problem answers to each operation before the OpenAPI document is generated."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not isinstance(handler, HTTPRouteHandler) or not handler.include_in_schema:
                continue
            methods = handler.http_methods
            extra = dict(EVERY)
            if handler.resolve_guards():
                extra.update(GUARDED)
                handler.security = [{"bearer": []}]
            if "{" in route.path or "DELETE" in methods:
                extra.update(BY_ID)
            if methods & {"POST", "PUT", "PATCH", "DELETE"}:
                extra.update(WRITES)
            if methods & {"PATCH", "DELETE"} and "{" in route.path:
                extra.update(CONDITIONAL)
            handler.responses = {**extra, **(handler.responses or {})}


GEOJSON = "GeoJsonFeatureCollection"
# What a `format=` value answers with, besides JSON.
FORMATS = {
    "ndjson": (
        "application/x-ndjson",
        OpenAPIMediaType(
            schema=Schema(type=OpenAPIType.STRING, description=("One JSON document per line, every result, unpaged"))
        ),
    ),
    "geojson": ("application/geo+json", OpenAPIMediaType(schema=Reference(ref=f"#/components/schemas/{GEOJSON}"))),
}
GEOJSON_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    title=GEOJSON,
    description="A GeoJSON FeatureCollection (RFC 7946); each feature's properties are one result",
    required=["type", "features"],
    properties={
        "type": Schema(type=OpenAPIType.STRING, enum=["FeatureCollection"]),
        "features": Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.OBJECT)),
    },
)


def _enum(schema: object) -> list[object]:
    values = list(getattr(schema, "enum", None) or [])
    for option in getattr(schema, "one_of", None) or []:
        values += _enum(option)
    return values


def _document_streams(schema: OpenAPI) -> None:
    if schema.components.schemas is not None:
        schema.components.schemas[GEOJSON] = GEOJSON_SCHEMA
    for path_item in (schema.paths or {}).values():
        operation = path_item.get
        if operation is None or not operation.responses:
            continue
        ok = operation.responses.get("200")
        if not isinstance(ok, OpenAPIResponse) or ok.content is None:
            continue
        for parameter in operation.parameters or []:
            if getattr(parameter, "name", None) == "format":
                for value in _enum(getattr(parameter, "schema", None)):
                    if value in FORMATS:
                        media_type, content = FORMATS[str(value)]
                        ok.content[media_type] = content


def _present(schema: Schema | Reference) -> Schema | Reference:
    """A parameter's schema without null: an optional parameter may be absent, never null."""
    if not isinstance(schema, Schema):
        return schema
    if schema.one_of is not None:
        options = [o for o in schema.one_of if not (isinstance(o, Schema) and o.type == OpenAPIType.NULL)]
        if len(options) == 1 and len(options) < len(schema.one_of) and isinstance(options[0], Schema):
            own = {f.name: getattr(options[0], f.name) for f in dataclasses.fields(Schema)}
            merged = {name: value for name, value in own.items() if value is not None}
            return dataclasses.replace(schema, one_of=None, **merged)
    if isinstance(schema.type, list | tuple) and OpenAPIType.NULL in schema.type:
        types = [t for t in schema.type if t != OpenAPIType.NULL]
        enum = None if schema.enum is None else [value for value in schema.enum if value is not None]
        return dataclasses.replace(schema, type=types[0] if len(types) == 1 else types, enum=enum)
    return schema


def _document_parameters(schema: OpenAPI) -> None:
    for path_item in (schema.paths or {}).values():
        for method in ("get", "put", "post", "delete", "patch"):
            operation = getattr(path_item, method)
            for parameter in (operation.parameters or []) if operation is not None else []:
                if isinstance(parameter, Parameter) and parameter.schema is not None:
                    parameter.schema = _present(parameter.schema)


def _document_binaries(schema: OpenAPI) -> None:
    """Answers in a media type that is neither JSON nor text, and say nothing of their body, are binary."""
    for path_item in (schema.paths or {}).values():
        for method in ("get", "put", "post", "delete", "patch"):
            operation = getattr(path_item, method)
            for response in (operation.responses or {}).values() if operation is not None else []:
                for media_type, content in (
                    (response.content or {}) if isinstance(response, OpenAPIResponse) else {}
                ).items():
                    if "json" in media_type or media_type.startswith("text/"):
                        continue
                    if content.schema is None or content.schema == Schema():
                        content.schema = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)


class _DocumentedOpenAPIPlugin(OpenAPIPlugin):
    """Litestar's OpenAPI plugin, finishing the document once it is first built: the NDJSON and GeoJSON
    variants, parameters without null, binary downloads."""

    __slots__ = ()

    def provide_openapi(self) -> OpenAPI:
        built = bool(self._openapi)
        schema = super().provide_openapi()
        if not built:
            _document_streams(schema)
            _document_parameters(schema)
            _document_binaries(schema)
        return schema


def document_streams(app: Litestar) -> None:
    """Add the NDJSON variant to lists that offer it, when the (lazily built) document is first asked for."""
    # Litestar has no hook after the document is built; its plugin uses __slots__, so the instance's class
    # is swapped for a subclass with the same layout instead of wrapping a method.
    app.plugins.get(OpenAPIPlugin).__class__ = _DocumentedOpenAPIPlugin


_IMPLIED = frozenset({"OPTIONS"})
# HEAD answers every GET (service.http.edge runs the GET and drops its body).
_WITH_GET = frozenset({"HEAD"})


class Allow:
    """Allow on OPTIONS and 405 answers: every method the path has.

    Litestar 2 lists only the first handler's method when several share a path, and sends no Allow
    with 405 (litestar-org/litestar#4169, #4277)."""

    def __init__(self, app: Litestar) -> None:
        self.routes = [
            (
                re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", route.path) + "$"),
                ", ".join(sorted(route.methods | _IMPLIED | (_WITH_GET if "GET" in route.methods else set()))).encode(),
            )
            for route in app.routes
            if isinstance(route, HTTPRoute)
        ]

    def headers(
        self, scope: Scope, status: int, headers: Iterable[tuple[bytes, bytes]]
    ) -> Iterable[tuple[bytes, bytes]]:
        """An answer's headers, with Allow listing the path's methods where the answer needs it."""
        if status == 405 or (scope.get("method") == "OPTIONS" and status < 300):
            allow = next((methods for pattern, methods in self.routes if pattern.match(scope.get("path", ""))), None)
            if allow is not None:
                return [*((k, v) for k, v in headers if k.lower() != b"allow"), (b"allow", allow)]
        return headers

    def middleware(self, app: ASGIApp) -> ASGIApp:
        """Wrap an app: its answers get Allow where they need it."""

        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            async def wrapped(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message = {
                        **message,
                        "headers": [*self.headers(scope, message["status"], message.get("headers", []))],
                    }
                await send(message)

            await app(scope, receive, wrapped)

        return middleware
