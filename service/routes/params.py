"""Query parameters shared by several routes."""

import re
from typing import Annotated, Any

from litestar import Request
from litestar.openapi.spec import Example
from litestar.params import QueryParameter

from service.errors import InvalidInput

Limit = Annotated[int, QueryParameter(ge=1, le=100, description="Items per page, 1 to 100")]
Cursor = Annotated[
    str | None,
    QueryParameter(max_length=500, description="next_cursor from the previous page, passed back unchanged"),
]

# msgspec's lax query decoding also reads a bare number as a Unix time; a date-time parameter must be
# written as one, so a typo like at=0.5 is refused instead of meaning 1970.
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})?$")


DATE_TIME_PARAMS = ("at", "open_at", "modified_after")


def check_date_times(request: Request[Any, Any, Any]) -> None:
    """422 for a date-time query parameter not written as an RFC 3339 date-time."""
    for name in DATE_TIME_PARAMS:
        raw = request.query_params.get(name)
        if raw is not None and not _RFC3339.match(raw.strip()):
            raise InvalidInput(name, "must be an RFC 3339 date-time with offset, e.g. 2026-11-27T23:30:00-08:00")


IncludeParam = Annotated[
    list[str] | None,
    QueryParameter(
        description="Also answer the meetings and/or event occurrences near the origin that start soon, in the page's "
        "included list: meetings, events, repeated or comma-separated. Needs near, zip or address; the services "
        "in items are then marked kind service",
        examples=[Example(value=["meetings,events"])],
    ),
]
IncludedWithin = Annotated[
    str | None,
    QueryParameter(
        max_length=20,
        description="With include: meetings starting within this long of now (or at), and those in progress; event "
        "occurrences starting within it. 90m, 3h, 2d (at most 7d; default 12h)",
        examples=[Example(value="3h")],
    ),
]
