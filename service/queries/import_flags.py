"""Import flags: kept by each committed import for its source, listed and cleared by curators."""

from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from schemas.import_flags import ImportFlag
from schemas.imports import Flag

DELETE_SOURCE_FLAGS = "DELETE FROM import_flags WHERE source = $1"
INSERT_FLAGS = """
    INSERT INTO import_flags (source, entity, record_id, source_id, flag, detail, file, line)
    SELECT $1, f.entity, f.record_id, f.source_id, f.flag, f.detail, f.file, f.line
      FROM unnest($2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[])
           AS f(entity, record_id, source_id, flag, detail, file, line)
"""


async def replace_flags(conn: asyncpg.Connection, source: str, flags: list[Flag], record_ids: list[str | None]) -> None:
    """The source's flags, in place of those its previous import left (inside the import's transaction)."""
    await conn.execute(DELETE_SOURCE_FLAGS, source)
    if flags:
        await conn.execute(
            INSERT_FLAGS,
            source,
            [flag.entity for flag in flags],
            record_ids,
            [flag.source_id for flag in flags],
            [flag.flag for flag in flags],
            [flag.detail for flag in flags],
            [flag.file for flag in flags],
            [flag.line for flag in flags],
        )


SELECT_FLAGS = """
    SELECT id, seq, source, entity, record_id, source_id, flag, detail, file, line, flagged_at
      FROM import_flags
     WHERE ($1::text IS NULL OR flag = $1) AND ($2::text IS NULL OR source = $2) AND ($3::text IS NULL OR entity = $3)
       AND seq > $4::bigint
     ORDER BY seq
     LIMIT $5
"""


async def select_flags(
    conn: asyncpg.Connection,
    flag: str | None,
    source: str | None,
    entity: str | None,
    after: tuple[Any, UUID] | None,
    limit: int,
) -> list[tuple[float, UUID, ImportFlag]]:
    """A page of open flags after a cursor key, with each one's key."""
    rows = await conn.fetch(SELECT_FLAGS, flag, source, entity, int(after[0]) if after else 0, limit)
    return [(float(row["seq"]), row["id"], msgspec.convert(dict(row), ImportFlag)) for row in rows]


DELETE_FLAG = "DELETE FROM import_flags WHERE id = $1 RETURNING id"


async def delete_flag(conn: asyncpg.Connection, flag_id: UUID) -> bool:
    """Clear one flag; whether it was there."""
    return await conn.fetchval(DELETE_FLAG, flag_id) is not None
