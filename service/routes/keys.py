"""API keys: created, listed, rotated and revoked by admins; each key can read its own settings."""

import datetime as dt
from typing import Annotated, Any, cast
from uuid import UUID

import asyncpg
import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from schemas.keys import Key, KeyCreate, KeyCreated, KeyPage, KeyUsage, Scope
from service.errors import InvalidInput, NotFound, Unauthorized
from service.http.auth import BOOTSTRAP_ID, caller_of, new_secret, require_admin
from service.http.cursors import decode_cursor, fingerprint, paginate
from service.http.idempotency import withhold_on_replay
from service.http.preconditions import require_match
from service.queries import keys as queries
from service.queries.organizations import select_missing_organizations
from service.routes.params import Cursor, Limit
from service.state import app_state

IncludeRevoked = Annotated[bool, QueryParameter(description="Also list revoked and expired keys")]
Days = Annotated[int, QueryParameter(ge=1, le=366, description="How many days back, today included")]
GraceSecondsParam = Annotated[
    int,
    QueryParameter(
        ge=0,
        le=7 * 86_400,
        description=("How long the old secret keeps working, so clients can switch without downtime (at most 7 days)"),
    ),
]


async def _found(conn: asyncpg.Connection, key_id: UUID) -> Key:
    if (key := await queries.select_key(conn, key_id)) is None:
        raise NotFound(f"no key has id {key_id}")
    return key


async def _issue(
    request: Request[Any, Any, Any], conn: asyncpg.Connection, data: KeyCreate, rotated_from: UUID | None = None
) -> Response[KeyCreated]:
    if data.expires_at is not None and (data.expires_at.tzinfo is None or data.expires_at <= dt.datetime.now(dt.UTC)):
        raise InvalidInput("expires_at", "must be a future instant with a UTC offset", "body")
    if data.organization_ids and (missing := await select_missing_organizations(conn, data.organization_ids)):
        raise InvalidInput("organization_ids", f"no organization has id {missing[0]}", "body")
    secret, prefix, secret_hash = new_secret()
    key = await queries.insert_key(conn, data, prefix, secret_hash, rotated_from)
    withhold_on_replay(request, "key")
    return Response(
        KeyCreated(**msgspec.structs.asdict(key), key=secret),
        status_code=201,
        headers={"Location": f"/v1/keys/{key.id}", "Cache-Control": "no-store"},
    )


class KeyController(Controller):
    """API keys and their usage (admin), and a key's own view of itself."""

    path = "/v1/keys"
    tags = ["keys"]

    @post("/", operation_id="createKey", guards=[require_admin])
    async def create_key(
        self, request: Request[Any, Any, Any], conn: NamedDependency[asyncpg.Connection], data: JSONBody[KeyCreate]
    ) -> Response[KeyCreated]:
        """Make a key; the secret is in `key` in this answer only, and only its hash is stored (admin)."""
        return await _issue(request, conn, data)

    @get("/", operation_id="listKeys", guards=[require_admin])
    async def list_keys(
        self,
        conn: NamedDependency[asyncpg.Connection],
        include_revoked: IncludeRevoked = False,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> KeyPage:
        """List keys, newest first, without their secrets (admin)."""
        query = fingerprint("keys", include_revoked)
        rows = await queries.select_keys(conn, decode_cursor(cursor, query, str), include_revoked, limit + 1)
        items, next_cursor = paginate(rows, limit, query)
        return KeyPage(items=items, next_cursor=next_cursor)

    @get("/current", operation_id="getCurrentKey")
    async def get_current_key(self, request: Request[Any, Any, Any], conn: NamedDependency[asyncpg.Connection]) -> Key:
        """The key this request is made with: its scopes, organizations and quota."""
        caller = caller_of(request)
        if caller.key_id is None:
            raise Unauthorized("send a key as 'Authorization: Bearer <key>' to see it")
        if caller.key_id == BOOTSTRAP_ID:
            return Key(
                id=BOOTSTRAP_ID,
                name=caller.name,
                prefix="",
                # Caller.scopes is a frozenset[str] (service/http/auth.py); the bootstrap key's are all Scopes.
                scopes=cast(list[Scope], sorted(caller.scopes)),
                organization_ids=None,
                rate_limit=app_state(request.app).settings.rate_limit_key or None,
                created_at=dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
                expires_at=None,
                revoked_at=None,
                rotated_from=None,
                last_used=None,
            )
        return await _found(conn, caller.key_id)

    @get("/{key_id:uuid}", operation_id="getKey", guards=[require_admin])
    async def get_key(self, conn: NamedDependency[asyncpg.Connection], key_id: FromPath[UUID]) -> Key:
        """One key, without its secret (admin)."""
        return await _found(conn, key_id)

    @get("/{key_id:uuid}/usage", operation_id="getKeyUsage", guards=[require_admin])
    async def get_key_usage(
        self, conn: NamedDependency[asyncpg.Connection], key_id: FromPath[UUID], days: Days = 30
    ) -> list[KeyUsage]:
        """Requests per UTC day, newest first; the bootstrap key has the nil id (admin)."""
        if key_id != BOOTSTRAP_ID:
            await _found(conn, key_id)
        since = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days - 1)
        return await queries.select_usage(conn, key_id, since)

    @post("/{key_id:uuid}/rotate", operation_id="rotateKey", guards=[require_admin])
    async def rotate_key(
        self,
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
        key_id: FromPath[UUID],
        grace_seconds: GraceSecondsParam = 0,
    ) -> Response[KeyCreated]:
        """Replace a key by a new one with the same settings; the old secret stops after grace_seconds (admin)."""
        async with conn.transaction():
            old = await _found(conn, key_id)
            if old.revoked_at is not None and old.revoked_at <= dt.datetime.now(dt.UTC):
                raise InvalidInput("key_id", "this key is revoked; create a new one instead", "path")
            await queries.revoke_key(conn, key_id, grace_seconds)
            return await _issue(
                request,
                conn,
                KeyCreate(
                    name=old.name,
                    scopes=old.scopes,
                    organization_ids=old.organization_ids,
                    rate_limit=old.rate_limit,
                    expires_at=old.expires_at,
                ),
                key_id,
            )

    @delete("/{key_id:uuid}", operation_id="revokeKey", guards=[require_admin])
    async def revoke_key(
        self, request: Request[Any, Any, Any], conn: NamedDependency[asyncpg.Connection], key_id: FromPath[UUID]
    ) -> None:
        """Revoke a key at once; it stays listed with revoked_at, and its usage stays readable (admin)."""
        async with conn.transaction():
            require_match(request, await queries.select_key(conn, key_id, lock=True))
            await queries.revoke_key(conn, key_id)
