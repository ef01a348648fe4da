"""If-Match on PATCH and DELETE: a change applies only to the version the client last saw.

The validator is the ETag a GET of the same object answers (a digest of its JSON, see service.http.etags),
so two admins editing at once cannot overwrite each other silently: the second gets 412.
"""

from typing import Any

import msgspec
from litestar.connection import ASGIConnection

from service.errors import DomainError
from service.http.etags import etag_of, matches_identity


class PreconditionRequired(DomainError):
    status, title, kind = 428, "Precondition required", "tag:commonground,2026:precondition-required"


class PreconditionFailed(DomainError):
    status, title, kind = 412, "Precondition failed", "tag:commonground,2026:precondition-failed"


def require_match(connection: ASGIConnection[Any, Any, Any, Any], current: Any, name: str = "object") -> None:
    """Check If-Match against the current version (a Struct as GET answers it, or its JSON bytes)."""
    header = connection.headers.get("if-match")
    if header is None:
        raise PreconditionRequired(
            f"send 'If-Match: <ETag>' with the ETag a GET of this {name} answered, so a change made since "
            "is not overwritten ('If-Match: *' applies it to whatever version is current)"
        )
    body = current if isinstance(current, bytes) else msgspec.json.encode(current)
    if not matches_identity(header, etag_of(body)):
        raise PreconditionFailed(
            f"this {name} changed since that ETag was issued; GET it again, reapply your change, and send the new ETag",
            {"ETag": etag_of(body)},
        )
