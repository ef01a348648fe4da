"""Domain errors and the one place that maps every error to an RFC 9457 problem response."""

import logging
import re
from typing import Any

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap, Send

from schemas.problems import InvalidParam, Problem

log = logging.getLogger("commonground.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"
RETRY_AFTER_S = 5


class DomainError(Exception):
    """An error the API answers on purpose."""

    status = 500
    title = "Internal server error"
    kind = "about:blank"

    def __init__(self, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}


class NotFound(DomainError):
    status, title, kind = 404, "Not found", "tag:commonground,2026:not-found"


class Moved(DomainError):
    """The id was merged into another: 308 to the same path with the survivor's id."""

    status, title, kind = 308, "Permanent redirect", "tag:commonground,2026:merged"

    def __init__(self, old_id: object, new_id: object, what: str) -> None:
        super().__init__(f"this {what} was merged into {new_id}; follow Location")
        self.old_id, self.new_id = str(old_id), str(new_id)


class Conflict(DomainError):
    status, title, kind = 409, "Conflict", "tag:commonground,2026:conflict"


class Unauthorized(DomainError):
    status, title, kind = 401, "Unauthorized", "tag:commonground,2026:unauthorized"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, {"WWW-Authenticate": 'Bearer realm="commonground"'})


class Forbidden(DomainError):
    status, title, kind = 403, "Forbidden", "tag:commonground,2026:forbidden"


class InvalidInput(DomainError):
    """A request value that cannot be used; names the field and the reason."""

    status, title, kind = 422, "Invalid input", "tag:commonground,2026:invalid-input"

    def __init__(self, name: str, reason: str, location: str = "query") -> None:
        super().__init__(f"{name}: {reason}")
        self.params = [InvalidParam(name=name, reason=reason, location=location)]


class BodyTimeout(DomainError):
    status, title, kind = 408, "Request timeout", "tag:commonground,2026:request-timeout"

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the request body stopped arriving: nothing came for {seconds:g} s; send it again")


class DatabaseUnavailable(DomainError):
    status, title, kind = 503, "Database unavailable", "tag:commonground,2026:database-unavailable"

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"the database is not reachable right now ({detail}); try again shortly",
            {"Retry-After": str(RETRY_AFTER_S)},
        )


class UpstreamUnavailable(DomainError):
    status, title, kind = 503, "Upstream service unavailable", "tag:commonground,2026:upstream-unavailable"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, {"Retry-After": str(RETRY_AFTER_S)})


def problem_response(
    request: Request[Any, Any, Any],
    status: int,
    title: str,
    detail: str,
    kind: str = "about:blank",
    params: list[InvalidParam] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[bytes]:
    """Serialize one problem detail."""
    body = Problem(
        type=kind, title=title, status=status, detail=detail, instance=request.url.path, invalid_params=params
    )
    return Response(msgspec.json.encode(body), status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


async def send_problem(
    send: Send,
    path: str,
    status: int,
    title: str,
    detail: str,
    kind: str = "about:blank",
    params: list[InvalidParam] | None = None,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """Answer with a problem from ASGI middleware, which runs outside Litestar's exception handlers."""
    body = msgspec.json.encode(
        Problem(type=kind, title=title, status=status, detail=detail, instance=path, invalid_params=params)
    )
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _domain(request: Request[Any, Any, Any], error: DomainError) -> Response[bytes]:
    headers = error.headers
    if isinstance(error, Moved):
        query = request.url.query
        headers = {
            **headers,
            "Location": request.url.path.replace(error.old_id, error.new_id) + (f"?{query}" if query else ""),
        }
    return problem_response(
        request, error.status, error.title, error.detail, error.kind, getattr(error, "params", None), headers
    )


def field_name(raw_key: str, message: str) -> str:
    """The dotted path of the rejected field; Litestar gives the parent's key for unknown fields."""
    path = "" if raw_key in ("", "data") else raw_key
    if unknown := re.search(r"(?:unknown|missing required) field `([^`]+)`", message):
        return f"{path}.{unknown[1]}" if path else unknown[1]
    return path or "body"


_AT = re.compile(r" - at `\$(.*)`$")


def body_error(error: msgspec.ValidationError, prefix: str | None = None) -> InvalidInput:
    """A 422 naming the body field msgspec rejected (under `prefix` when the value sits in a field of its own)."""
    message = str(error)
    where = _AT.search(message)
    name = field_name(where[1].lstrip(".") if where else "", message)
    if prefix:
        name = prefix if name == "body" else f"{prefix}.{name}"
    return InvalidInput(name, _AT.sub("", message), "body")


def _validation(request: Request[Any, Any, Any], error: ValidationException) -> Response[bytes]:
    params: list[InvalidParam] = []
    for item in error.extra if isinstance(error.extra, list) else []:
        if isinstance(item, dict):
            message = str(item.get("message", "invalid value"))
            source = item.get("source") or "body"
            name = field_name(str(item.get("key") or ""), message)
            params.append(
                InvalidParam(
                    name=name,
                    reason=re.sub(r" - at `\$[^`]*`", "", message),
                    location=str(getattr(source, "value", source)),
                )
            )
    malformed = any("malformed" in p.reason.lower() or "truncated" in p.reason.lower() for p in params)
    if not params:
        # Litestar names a missing parameter only in its message.
        missing = re.search(r"Missing required (\w+) parameter '([^']+)'", error.detail)
        params = [
            InvalidParam(name=missing[2], reason="required", location=missing[1])
            if missing
            else InvalidParam(name="body", reason=error.detail, location="body")
        ]
    status = 400 if malformed else 422
    detail = "; ".join(f"{p.name}: {p.reason}" for p in params)
    return problem_response(
        request,
        status,
        "Malformed request" if malformed else "Invalid input",
        detail,
        "tag:commonground,2026:invalid-input",
        params,
    )


def _http(request: Request[Any, Any, Any], error: HTTPException) -> Response[bytes]:
    status = error.status_code
    titles = {
        400: "Malformed request",
        404: "Not found",
        405: "Method not allowed",
        413: "Request body too large",
        401: "Unauthorized",
        403: "Forbidden",
        429: "Too many requests",
    }
    title = titles.get(status, "Request error" if status < 500 else "Server error")
    detail = error.detail
    if status == 404 and detail == "Not Found":
        detail = f"no route matches {request.method} {request.url.path}"
    if status == 413:
        detail = "the request body is larger than this service accepts"
    headers = dict(error.headers or {})
    params = [InvalidParam(name="body", reason=detail, location="body")] if status == 400 else None
    return problem_response(request, status, title, detail, params=params, headers=headers)


def _database(request: Request[Any, Any, Any], error: asyncpg.PostgresError) -> Response[bytes]:
    detail = getattr(error, "detail", None) or str(error)
    if isinstance(error, asyncpg.UniqueViolationError):
        return problem_response(request, 409, "Conflict", f"already exists: {detail}", "tag:commonground,2026:conflict")
    if isinstance(
        error, (asyncpg.ForeignKeyViolationError, asyncpg.RestrictViolationError, asyncpg.ExclusionViolationError)
    ):
        return problem_response(
            request,
            409,
            "Conflict",
            f"still referenced or missing reference: {detail}",
            "tag:commonground,2026:conflict",
        )
    if isinstance(error, (asyncpg.DeadlockDetectedError, asyncpg.SerializationError)):
        return problem_response(
            request,
            409,
            "Conflict",
            "another change to the same listing happened at the same moment; nothing was saved, send the request again",
            "tag:commonground,2026:conflict",
            headers={"Retry-After": "1"},
        )
    if isinstance(error, (asyncpg.CheckViolationError, asyncpg.NotNullViolationError, asyncpg.DataError)):
        return problem_response(request, 422, "Invalid input", str(error), "tag:commonground,2026:invalid-input")
    if isinstance(error, asyncpg.QueryCanceledError):
        return problem_response(
            request,
            503,
            "Query took too long",
            "the query hit the statement timeout",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
    if isinstance(
        error,
        (
            asyncpg.PostgresConnectionError,
            asyncpg.CannotConnectNowError,
            asyncpg.AdminShutdownError,
            asyncpg.CrashShutdownError,
            # A replica cancels a query that conflicts with the WAL it replays (such reads are retried
            # on the primary, so this answer is seldom sent).
            asyncpg.SerializationError,
        ),
    ):
        return _domain(request, DatabaseUnavailable(type(error).__name__))
    return _unexpected(request, error)


def _unavailable(request: Request[Any, Any, Any], error: Exception) -> Response[bytes]:
    return _domain(request, DatabaseUnavailable(str(error) or type(error).__name__))


def _unexpected(request: Request[Any, Any, Any], error: Exception) -> Response[bytes]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem_response(request, 500, "Internal server error", "an unexpected error occurred; it has been logged")


def exception_handlers() -> ExceptionHandlersMap:
    """The mapping registered in create_app."""
    return {
        DomainError: _domain,
        ValidationException: _validation,
        HTTPException: _http,
        asyncpg.PostgresError: _database,
        asyncpg.InterfaceError: _unavailable,
        # A connection left mid-operation when the server died under it (service.db closes it).
        asyncpg.InternalClientError: _unavailable,
        ConnectionError: _unavailable,
        OSError: _unavailable,
        TimeoutError: _unavailable,
        Exception: _unexpected,
    }
