"""Open Referral HSDS 3.0 API envelopes (the documents inside follow the official HSDS schemas)."""

from typing import Any

from schemas.base import Output


class HsdsInfo(Output):
    """What GET /hsds/ answers: the HSDS version and profile this API implements."""

    version: str
    profile: str
    openapi_url: str


class HsdsPage(Output):
    """The HSDS Page envelope; contents hold HSDS documents (services, organizations, ...)."""

    total_items: int
    total_pages: int
    page_number: int
    size: int
    first_page: bool
    last_page: bool
    empty: bool
    contents: list[dict[str, Any]]
