"""RFC 9457 problem details, the body of every error."""

from schemas.base import Output


class InvalidParam(Output):
    """One field that was rejected and why."""

    name: str
    reason: str
    location: str


class Problem(Output, omit_defaults=True):
    """An RFC 9457 problem detail (media type application/problem+json)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    invalid_params: list[InvalidParam] | None = None
