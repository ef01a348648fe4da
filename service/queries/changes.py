"""Reading the change feed."""

import asyncpg

# Only transactions below the oldest one still running have ended: their changes are final. On a hot
# standby the snapshot is built from the replayed WAL, so its xmin is the oldest transaction the replica
# has not seen end: the same guarantee, a little behind, which is why the feed may read from a replica.
SELECT_CHANGES = """
    SELECT seq, txid::text AS txid, entity, entity_id AS id, op, at
      FROM changes
     WHERE (txid, seq) > ($1::text::xid8, $2::bigint)
       AND txid < pg_snapshot_xmin(pg_current_snapshot())
     ORDER BY changes.txid, changes.seq
     LIMIT $3
"""


async def select_changes(conn: asyncpg.Connection, txid: int, seq: int, limit: int) -> list[asyncpg.Record]:
    """Up to limit final changes after (txid, seq)."""
    return await conn.fetch(SELECT_CHANGES, str(txid), seq, limit)


SELECT_LAST_CHANGE = """
    SELECT txid::text AS txid, seq
      FROM changes
     WHERE txid < pg_snapshot_xmin(pg_current_snapshot())
     ORDER BY changes.txid DESC, changes.seq DESC
     LIMIT 1
"""


async def select_last_change(conn: asyncpg.Connection) -> tuple[int, int] | None:
    """The position of the newest final change, if any."""
    row = await conn.fetchrow(SELECT_LAST_CHANGE)
    return (int(row["txid"]), row["seq"]) if row is not None else None
