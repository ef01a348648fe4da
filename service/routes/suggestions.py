"""Suggestions from the field: anyone reports, admins review the diff and approve or reject."""

import datetime as dt
from typing import Annotated, Any, Literal, overload
from uuid import UUID

import asyncpg
import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from schemas.resources import ResourceCreate
from schemas.services import ServicePatch
from schemas.suggestions import (
    Suggestion,
    SuggestionCreate,
    SuggestionPage,
    SuggestionReceipt,
    SuggestionReject,
    SuggestionStatus,
)
from service.curation.audit import record_lists
from service.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound, body_error
from service.http.auth import caller_of, check_owner, client_bucket, require_admin
from service.http.cursors import decode_cursor, fingerprint, paginate
from service.queries import suggestions as queries
from service.queries.keys import count_request
from service.queries.lifecycle import set_audit
from service.queries.owners import select_owner
from service.queries.resources import insert_resource
from service.queries.services import delete_service, select_service, update_service
from service.routes.params import Cursor, Limit
from service.state import AppState

StatusFilter = Annotated[SuggestionStatus | None, QueryParameter(description="Only suggestions in this state")]
HOUR = dt.timedelta(hours=1)


class TooManySuggestions(DomainError):
    status, title, kind = 429, "Too many requests", "tag:commonground,2026:rate-limited"


@overload
def _decode(kind: Literal["correction"], changes: dict[str, Any]) -> ServicePatch: ...
@overload
def _decode(kind: Literal["new"], changes: dict[str, Any]) -> ResourceCreate: ...
@overload
def _decode(kind: str, changes: dict[str, Any]) -> ServicePatch | ResourceCreate: ...
def _decode(kind: str, changes: dict[str, Any]) -> ServicePatch | ResourceCreate:
    """The changes as the PATCH or POST body they stand for, strictly typed; 422 naming changes.<field>."""
    try:
        return msgspec.json.decode(
            msgspec.json.encode(changes), type=ServicePatch if kind == "correction" else ResourceCreate, strict=True
        )
    except msgspec.ValidationError as error:
        raise body_error(error, "changes") from None


def _check_terms(state: AppState, proposed: ServicePatch | ResourceCreate) -> None:
    fields = proposed.service if isinstance(proposed, ResourceCreate) else proposed
    prefix = "changes.service." if isinstance(proposed, ResourceCreate) else "changes."
    if fields.categories is not msgspec.UNSET:
        state.taxonomy.check(fields.categories, prefix + "categories", "body")
    if fields.attributes is not msgspec.UNSET:
        state.attributes.check(fields.attributes, prefix + "attributes", "body")


async def _view(conn: asyncpg.Connection, found: dict[str, Any], full: bool) -> Suggestion:
    """The suggestion as this caller may see it; a correction's diff against the service as it is now."""
    if not full:
        found = {**found, "changes": None, "note": None, "submitted_by": None}
    elif found["kind"] == "correction" and found["service_id"] and found["status"] == "pending":
        current = await select_service(conn, found["service_id"])
        now = msgspec.to_builtins(current) if current is not None else {}
        found["diff"] = {
            name: [now.get(name), value] for name, value in found["changes"].items() if now.get(name) != value
        }
    return msgspec.convert(found, Suggestion)


class SuggestionController(Controller):
    """Corrections, closures, new resources and problems reported from the field."""

    path = "/v1/suggestions"
    tags = ["suggestions"]

    @post("/", operation_id="createSuggestion")
    async def create_suggestion(
        self,
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
        state: AppState,
        data: JSONBody[SuggestionCreate],
    ) -> Response[SuggestionReceipt]:
        """Report a correction, a closure, a new resource or a problem said in words: anonymous (a few an hour
        per address) or with a key holding the suggest scope. Keep the id to check the status."""
        caller = caller_of(request)
        if caller.key_id is not None and not caller.has("suggest"):
            raise Forbidden(
                "this key lacks the 'suggest' scope; send the suggestion without a key, or with one that has it"
            )
        if data.kind in ("correction", "new"):
            _check_terms(state, _decode(data.kind, data.changes))
        if data.service_id is not None and await select_owner(conn, "service", data.service_id) is None:
            raise InvalidInput("service_id", f"no service has id {data.service_id}", "body")
        limit = state.settings.suggestion_limit_anonymous
        if caller.key_id is None and limit:
            now = dt.datetime.now(dt.UTC)
            window = now.replace(minute=0, second=0, microsecond=0)
            if await count_request(conn, f"suggest:{client_bucket(request.scope)}", window) > limit:
                retry = int((window + HOUR - now).total_seconds()) + 1
                raise TooManySuggestions(
                    f"at most {limit} suggestions an hour from one address without a key; "
                    f"retry in {retry} s, or ask for a key with the suggest scope",
                    {"Retry-After": str(retry)},
                )
        receipt = await queries.insert_suggestion(conn, data, str(caller.key_id) if caller.key_id else None)
        return Response(
            SuggestionReceipt(id=receipt["id"], status=receipt["status"]),
            status_code=201,
            headers={"Location": f"/v1/suggestions/{receipt['id']}"},
        )

    @get("/", operation_id="listSuggestions", guards=[require_admin])
    async def list_suggestions(
        self,
        conn: NamedDependency[asyncpg.Connection],
        status: StatusFilter = "pending",
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> SuggestionPage:
        """The review queue, oldest first, each correction with its diff against the current listing (admin)."""
        query = fingerprint("suggestions", status)
        rows = await queries.select_suggestions(conn, status, decode_cursor(cursor, query, str), limit + 1)
        keyed = [(row["created_at"].isoformat(), row["id"], row) for row in rows]
        page, next_cursor = paginate(keyed, limit, query)
        return SuggestionPage(items=[await _view(conn, row, True) for row in page], next_cursor=next_cursor)

    @get("/{suggestion_id:uuid}", operation_id="getSuggestion")
    async def get_suggestion(
        self, request: Request[Any, Any, Any], conn: NamedDependency[asyncpg.Connection], suggestion_id: FromPath[UUID]
    ) -> Suggestion:
        """A suggestion's status (and the reason of a decision) for whoever holds its id; the full content and
        diff for admins and the key that sent it."""
        if (found := await queries.select_suggestion(conn, suggestion_id)) is None:
            raise NotFound(f"no suggestion has id {suggestion_id}")
        caller = caller_of(request)
        full = caller.has("admin") or (caller.key_id is not None and found["submitted_by"] == str(caller.key_id))
        return await _view(conn, found, full)

    @post("/{suggestion_id:uuid}/approve", operation_id="approveSuggestion", guards=[require_admin], status_code=200)
    async def approve(
        self,
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
        state: AppState,
        suggestion_id: FromPath[UUID],
    ) -> Suggestion:
        """Apply the suggestion, audited as an approval, and close it (admin); a problem is only marked handled."""
        async with conn.transaction():
            found = await _pending(conn, suggestion_id)
            await set_audit(conn, "approve", f"suggestion {suggestion_id}")
            result_id = found["service_id"]
            if found["kind"] == "problem":
                pass  # fixed by hand (PATCH, capacity, exceptions); approving says it was handled
            elif found["kind"] == "new":
                resource = _decode("new", found["changes"])
                _check_terms(state, resource)
                result_id = await insert_resource(conn, resource)
            else:
                try:
                    await check_owner(request, conn, "service", found["service_id"], lock=True)
                except DomainError as gone:
                    raise Conflict(f"the service can't take this suggestion any more: {gone.detail}") from None
                if found["kind"] == "correction":
                    patch = _decode("correction", found["changes"])
                    _check_terms(state, patch)
                    before = await select_service(conn, found["service_id"])
                    await update_service(conn, found["service_id"], patch)
                    await record_lists(
                        conn, "service", found["service_id"], before, await select_service(conn, found["service_id"])
                    )
                else:
                    await delete_service(conn, found["service_id"])
            await queries.decide(conn, suggestion_id, "approved", None, result_id)
            decided = await queries.select_suggestion(conn, suggestion_id)
            assert decided is not None, "_pending locked it in this transaction"
            return await _view(conn, decided, True)

    @post("/{suggestion_id:uuid}/reject", operation_id="rejectSuggestion", guards=[require_admin], status_code=200)
    async def reject(
        self, conn: NamedDependency[asyncpg.Connection], suggestion_id: FromPath[UUID], data: JSONBody[SuggestionReject]
    ) -> Suggestion:
        """Close the suggestion without applying it; the submitter sees the reason (admin)."""
        async with conn.transaction():
            await _pending(conn, suggestion_id)
            await queries.decide(conn, suggestion_id, "rejected", data.reason, None)
            decided = await queries.select_suggestion(conn, suggestion_id)
            assert decided is not None, "_pending locked it in this transaction"
            return await _view(conn, decided, True)


async def _pending(conn: asyncpg.Connection, suggestion_id: UUID) -> dict[str, Any]:
    found = await queries.select_suggestion(conn, suggestion_id, lock=True)
    if found is None:
        raise NotFound(f"no suggestion has id {suggestion_id}")
    if found["status"] != "pending":
        raise Conflict(f"suggestion {suggestion_id} was already {found['status']}")
    return found
