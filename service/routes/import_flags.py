"""The curation queue of what imports kept but flagged: placeholders, dropped links, approximate places."""

from typing import Annotated
from uuid import UUID

import asyncpg
from litestar import delete, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from schemas.import_flags import ImportFlagPage
from service.errors import NotFound
from service.http.auth import require_admin
from service.http.cursors import decode_cursor, fingerprint, paginate
from service.queries import import_flags as queries
from service.routes.params import Cursor, Limit

FlagName = Annotated[
    str | None,
    QueryParameter(
        max_length=64, description="Only this flag, e.g. placeholder_organization, broken_reference_dropped"
    ),
]
SourceName = Annotated[str | None, QueryParameter(max_length=100, description="Only flags of this import source")]
EntityName = Annotated[
    str | None, QueryParameter(max_length=64, description="Only flags on this kind of row, e.g. organization")
]


@get("/v1/admin/import-flags", operation_id="listImportFlags", tags=["admin"], guards=[require_admin])
async def list_import_flags(
    conn: NamedDependency[asyncpg.Connection],
    flag: FlagName = None,
    source: SourceName = None,
    entity: EntityName = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> ImportFlagPage:
    """Rows imports kept but flagged for a person, oldest first: each says what is wrong and how to clear
    it. A source's next import replaces its flags (admin)."""
    query = fingerprint("import-flags", flag, source, entity)
    rows = await queries.select_flags(conn, flag, source, entity, decode_cursor(cursor, query, float), limit + 1)
    items, next_cursor = paginate(rows, limit, query)
    return ImportFlagPage(items=items, next_cursor=next_cursor)


@delete("/v1/admin/import-flags/{flag_id:uuid}", operation_id="clearImportFlag", tags=["admin"], guards=[require_admin])
async def clear_import_flag(conn: NamedDependency[asyncpg.Connection], flag_id: FromPath[UUID]) -> None:
    """Clear a flag once its row is fixed (admin)."""
    if not await queries.delete_flag(conn, flag_id):
        raise NotFound(f"no import flag has id {flag_id}")
