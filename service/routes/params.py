"""Query parameters shared by several routes."""

from typing import Annotated

from litestar.params import QueryParameter

Limit = Annotated[int, QueryParameter(ge=1, le=100, description="Items per page, 1 to 100")]
Cursor = Annotated[
    str | None,
    QueryParameter(max_length=500, description="next_cursor from the previous page, passed back unchanged"),
]
