"""API keys partners and providers call with, and their usage."""

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

from msgspec import Meta

from schemas.base import Input, Output

Scope = Literal["read", "suggest", "write", "admin", "confidential"]
Scopes = Annotated[
    list[Scope],
    Meta(
        min_length=1,
        max_length=5,
        description=(
            "read: reads (anonymous reads work too, with a lower quota); suggest: POST /v1/suggestions; "
            "write: create and change listings; admin: everything, including keys and imports; "
            "confidential: see the exact place of confidential locations"
        ),
        examples=[["read"]],
    ),
]
KeyName = Annotated[str, Meta(min_length=1, max_length=200, pattern=r"\S", examples=["Outreach app (prod)"])]
RateLimit = Annotated[
    int, Meta(ge=1, le=1_000_000, description="Requests per minute; the default for keys when absent")
]


class KeyCreate(Input):
    """A new key; organization_ids limits writes to those organizations' listings."""

    name: KeyName
    scopes: Scopes
    organization_ids: Annotated[list[UUID], Meta(max_length=1000)] | None = None
    rate_limit: RateLimit | None = None
    expires_at: dt.datetime | None = None


class Key(Output):
    """A key as admins see it; the secret itself is never shown again."""

    id: UUID
    name: str
    prefix: str
    scopes: list[Scope]
    organization_ids: list[UUID] | None
    rate_limit: int | None
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    rotated_from: UUID | None
    last_used: dt.datetime | None


class KeyCreated(Key):
    """A key just made: `key` is the secret, shown this once (send it as Authorization: Bearer <key>)."""

    key: str


class KeyPage(Output):
    """Keys, newest first."""

    items: list[Key]
    next_cursor: str | None


class KeyUsage(Output):
    """Requests one key made on one UTC day; throttled ones got 429."""

    day: dt.date
    requests: int
    throttled: int
    last_used: dt.datetime
