"""The attribute vocabulary."""

import asyncpg

SELECT_ATTRIBUTES = "SELECT slug, name, description FROM attributes ORDER BY position"


async def select_attributes(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every attribute in published order."""
    return await conn.fetch(SELECT_ATTRIBUTES)
