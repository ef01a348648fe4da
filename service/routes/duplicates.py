"""Likely duplicates, proposed to admins, and merging two listings into one."""

from typing import Annotated

import asyncpg
from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter

from schemas.duplicates import DuplicatePair, Listed, Merge, Merged
from schemas.history import Entity
from service.errors import InvalidInput
from service.http.auth import require_admin
from service.queries import duplicates as queries
from service.queries.lifecycle import set_audit
from service.queries.owners import select_owner

MinScore = Annotated[float, QueryParameter(ge=0, le=1, description="Only pairs scoring at least this (0..1)")]
PairLimit = Annotated[int, QueryParameter(ge=1, le=500, description="Most pairs to return, best first")]
EntityParam = Annotated[Entity, QueryParameter(description="Which kind of listing to compare")]


def _reasons(row: asyncpg.Record) -> list[str]:
    reasons = [f"names {round(row['names'] * 100)}% alike"]
    if row["metres"] is not None:
        reasons.append(f"{round(row['metres'])} m apart")
    if row["number"] is not None:
        reasons.append(f"same phone number (…{row['number'][-4:]})")
    if row["site"] is not None:
        reasons.append(f"same website ({row['site']})")
    return reasons


@get("/v1/admin/duplicates", operation_id="listDuplicates", tags=["admin"], guards=[require_admin])
async def list_duplicates(
    conn: NamedDependency[asyncpg.Connection],
    entity: EntityParam = "service",
    min_score: MinScore = 0.5,
    limit: PairLimit = 50,
) -> list[DuplicatePair]:
    """Pairs that are likely one listing, best first: similar names (trigrams), places within 150 m, the same
    phone number or website. score = 0.5 x name similarity + 0.3 x closeness + 0.3 same phone + 0.2 same
    website, at most 1 (admin)."""
    rows = await queries.select_duplicates(conn, entity, min_score, limit)
    return [
        DuplicatePair(
            entity=entity,
            a=Listed(id=row["a"], name=row["a_name"]),
            b=Listed(id=row["b"], name=row["b_name"]),
            score=row["score"],
            reasons=_reasons(row),
        )
        for row in rows
    ]


@post("/v1/admin/merge", operation_id="mergeListings", tags=["admin"], guards=[require_admin], status_code=200)
async def merge_listings(conn: NamedDependency[asyncpg.Connection], data: JSONBody[Merge]) -> Merged:
    """Merge duplicate_id into survivor_id: links, phones, hours, categories, capacity and history move (what the
    survivor already has stays), the duplicate is deleted, and its id answers 308 to the survivor (admin)."""
    async with conn.transaction():
        # Lock both in id order, so two merges of the same pair can't deadlock.
        for listing_id in sorted((data.survivor_id, data.duplicate_id)):
            if await select_owner(conn, data.entity, listing_id, lock=True) is None:
                field = "survivor_id" if listing_id == data.survivor_id else "duplicate_id"
                raise InvalidInput(field, f"no live {data.entity} has id {listing_id}", "body")
        await set_audit(conn, "merge", f"{data.entity} {data.duplicate_id} merged into {data.survivor_id}")
        moved = await queries.merge(conn, data.entity, data.survivor_id, data.duplicate_id)
    return Merged(entity=data.entity, survivor_id=data.survivor_id, duplicate_id=data.duplicate_id, moved=moved)
