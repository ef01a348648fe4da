"""Reading the change feed."""

import asyncpg

# Only transactions below the oldest one still running have ended: their changes are final.
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
