"""Webhooks partners register, the events they receive, and the delivery log."""

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

from msgspec import Meta

from schemas.base import Input, Output

EventType = Literal[
    "*",
    "organization.create",
    "organization.update",
    "organization.delete",
    "service.create",
    "service.update",
    "service.delete",
    "location.create",
    "location.update",
    "location.delete",
    "meeting.create",
    "meeting.update",
    "meeting.delete",
    "event.create",
    "event.update",
    "event.delete",
    "capacity.update",
]
WebhookUrl = Annotated[
    str,
    Meta(
        max_length=2_000,
        pattern=r"^https?://[^\s/?#\[\]@]+(?:[/?#]\S*)?$",
        description=(
            "Where events are POSTed; https:// (plain http and private addresses only when the server allows them "
            "for local development)"
        ),
        examples=["https://partner.example.org/hooks/commonground"],
    ),
]
DeliveryStatus = Literal["pending", "delivered", "failed"]


class WebhookCreate(Input):
    """A new subscription: these event types of changes, POSTed to this URL."""

    url: WebhookUrl
    events: Annotated[
        list[EventType], Meta(min_length=1, max_length=20, examples=[["service.update", "capacity.update"]])
    ]
    description: Annotated[str, Meta(max_length=500)] | None = None


class Webhook(Output):
    """A subscription as its owner sees it; the secret is never shown again."""

    id: UUID
    key_id: UUID
    url: str
    events: list[EventType]
    description: str | None
    created_at: dt.datetime


class WebhookCreated(Webhook):
    """A subscription just made: `secret` signs every delivery (shown this once)."""

    secret: str


class WebhookPage(Output):
    """Subscriptions, newest first."""

    items: list[Webhook]
    next_cursor: str | None


class WebhookDelivery(Output):
    """One event for one subscription, and how its delivery went."""

    id: UUID
    event_type: str
    entity: str
    entity_id: UUID
    op: str
    at: dt.datetime
    status: DeliveryStatus
    attempts: int
    next_attempt_at: dt.datetime | None
    delivered_at: dt.datetime | None
    last_status_code: int | None
    last_error: str | None


class DeliveryQueued(Output):
    """A delivery queued by a ping or a retry: its id in the delivery log."""

    delivery_id: UUID


class WebhookDeliveryPage(Output):
    """Deliveries, newest first."""

    items: list[WebhookDelivery]
    next_cursor: str | None


class EventData(Output):
    """What changed, as in the change feed: fetch the object (404 for a deletion) to see it."""

    entity: str
    id: UUID
    op: str
    at: dt.datetime


class WebhookEvent(Output):
    """The body POSTed to a webhook; `id` is the delivery id, the same on every retry."""

    id: UUID
    type: str
    data: EventData
