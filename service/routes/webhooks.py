"""Webhooks: a key subscribes a URL to change events and reads its delivery log."""

import secrets
from typing import Annotated, Any
from uuid import UUID, uuid4

import asyncpg
import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from schemas.webhooks import (
    DeliveryQueued,
    DeliveryStatus,
    Webhook,
    WebhookCreate,
    WebhookCreated,
    WebhookDeliveryPage,
    WebhookPage,
)
from service.errors import NotFound
from service.http.auth import caller_of, require
from service.http.cursors import decode_cursor, fingerprint, paginate
from service.http.idempotency import withhold_on_replay
from service.http.preconditions import require_match
from service.platform.webhooks import check_url, seal_secret
from service.queries import webhooks as queries
from service.routes.params import Cursor, Limit
from service.state import AppState

StatusFilter = Annotated[DeliveryStatus | None, QueryParameter(description="Only deliveries in this state")]


def _owner(request: Request[Any, Any, Any]) -> UUID | None:
    """Whose subscriptions the caller sees: its own, or every one for admins (None)."""
    caller = caller_of(request)
    return None if caller.has("admin") else caller.key_id


async def _found(
    request: Request[Any, Any, Any], conn: asyncpg.Connection, webhook_id: UUID, lock: bool = False
) -> Webhook:
    # Another key's subscription answers 404, the same as a missing one: ids reveal nothing.
    if (webhook := await queries.select_webhook(conn, webhook_id, _owner(request), lock)) is None:
        raise NotFound(f"no webhook of this key has id {webhook_id}")
    return webhook


class WebhookController(Controller):
    """Signed change notifications POSTed to partners (any key with the read scope; each sees its own)."""

    path = "/v1/webhooks"
    tags = ["webhooks"]
    guards = [require("read")]

    @post("/", operation_id="createWebhook")
    async def create_webhook(
        self,
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
        state: AppState,
        data: JSONBody[WebhookCreate],
    ) -> Response[WebhookCreated]:
        """Subscribe a URL to event types; `secret` (shown once) signs every delivery."""
        await check_url(data.url, state.settings, state.resolver)
        secret, webhook_id = "whsec_" + secrets.token_urlsafe(32), uuid4()
        key = state.server_key
        key_id = caller_of(request).key_id
        assert key_id is not None, "require('read') lets only keys in"
        webhook = await queries.insert_webhook(
            conn,
            webhook_id,
            key_id,
            data,
            seal_secret(key, webhook_id, secret),
            key.id,
        )
        withhold_on_replay(request, "secret")
        return Response(
            WebhookCreated(**msgspec.structs.asdict(webhook), secret=secret),
            status_code=201,
            headers={"Location": f"/v1/webhooks/{webhook.id}", "Cache-Control": "no-store"},
        )

    @get("/", operation_id="listWebhooks")
    async def list_webhooks(
        self,
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> WebhookPage:
        """This key's subscriptions (every one for admins), newest first."""
        query = fingerprint("webhooks", str(_owner(request)))
        rows = await queries.select_webhooks(conn, _owner(request), decode_cursor(cursor, query, str), limit + 1)
        items, next_cursor = paginate(rows, limit, query)
        return WebhookPage(items=items, next_cursor=next_cursor)

    @get("/{webhook_id:uuid}", operation_id="getWebhook")
    async def get_webhook(
        self, request: Request[Any, Any, Any], conn: NamedDependency[asyncpg.Connection], webhook_id: FromPath[UUID]
    ) -> Webhook:
        """One subscription."""
        return await _found(request, conn, webhook_id)

    @delete("/{webhook_id:uuid}", operation_id="deleteWebhook")
    async def delete_webhook(
        self, request: Request[Any, Any, Any], conn: NamedDependency[asyncpg.Connection], webhook_id: FromPath[UUID]
    ) -> None:
        """End a subscription; pending deliveries stop, the log stays. Needs If-Match."""
        async with conn.transaction():
            require_match(request, await _found(request, conn, webhook_id, lock=True), "webhook")
            await queries.delete_webhook(conn, webhook_id)

    @get("/{webhook_id:uuid}/deliveries", operation_id="listWebhookDeliveries")
    async def list_deliveries(
        self,
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
        webhook_id: FromPath[UUID],
        status: StatusFilter = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> WebhookDeliveryPage:
        """The delivery log, newest first: attempts, the last answer or error, and the next try."""
        await _found(request, conn, webhook_id)
        query = fingerprint("deliveries", str(webhook_id), status)
        rows = await queries.select_deliveries(conn, webhook_id, status, decode_cursor(cursor, query, int), limit + 1)
        items, next_cursor = paginate(rows, limit, query)
        return WebhookDeliveryPage(items=items, next_cursor=next_cursor)

    @post("/{webhook_id:uuid}/ping", operation_id="pingWebhook", status_code=202)
    async def ping_webhook(
        self, request: Request[Any, Any, Any], conn: NamedDependency[asyncpg.Connection], webhook_id: FromPath[UUID]
    ) -> DeliveryQueued:
        """Queue a signed test event of type 'ping' to check the receiver."""
        await _found(request, conn, webhook_id)
        return DeliveryQueued(delivery_id=await queries.insert_ping(conn, webhook_id))

    @post(
        "/{webhook_id:uuid}/deliveries/{delivery_id:uuid}/retry", operation_id="retryWebhookDelivery", status_code=202
    )
    async def retry_delivery(
        self,
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
        webhook_id: FromPath[UUID],
        delivery_id: FromPath[UUID],
    ) -> DeliveryQueued:
        """Send a failed delivery again (it keeps its id, so receivers still see one event)."""
        await _found(request, conn, webhook_id)
        if not await queries.redeliver(conn, webhook_id, delivery_id):
            raise NotFound(f"no failed delivery of this webhook has id {delivery_id}")
        return DeliveryQueued(delivery_id=delivery_id)
