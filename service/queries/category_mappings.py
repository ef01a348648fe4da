"""Category mapping rules and applying a new rule to services already imported."""

import asyncpg

SELECT_MAPPINGS = (
    "SELECT vocabulary, term, category_slug FROM category_mappings ORDER BY vocabulary, term, category_slug"
)


async def select_mappings(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every rule."""
    return await conn.fetch(SELECT_MAPPINGS)


INSERT_MAPPING = """
    INSERT INTO category_mappings (vocabulary, term, category_slug) VALUES ($1, lower(btrim($2)), $3)
    ON CONFLICT DO NOTHING
    RETURNING vocabulary, term, category_slug
"""


async def insert_mapping(conn: asyncpg.Connection, vocabulary: str, term: str, slug: str) -> asyncpg.Record | None:
    """Add a rule; None when it already exists."""
    return await conn.fetchrow(INSERT_MAPPING, vocabulary, term, slug)


# Services already linked to a matching term get the category now (the search rows follow by trigger).
APPLY_MAPPING = """
    WITH added AS (
        INSERT INTO service_categories (service_id, category_slug)
        SELECT DISTINCT st.service_id, $3
          FROM service_taxonomy_terms st
          JOIN taxonomy_terms t ON t.id = st.taxonomy_term_id
          LEFT JOIN taxonomies x ON x.id = t.taxonomy_id
         WHERE ($1 = '*' OR lower($1) = lower(coalesce(x.name, t.vocabulary)))
           AND (lower(btrim($2)) = lower(btrim(t.code)) OR lower(btrim($2)) = lower(btrim(t.name)))
        ON CONFLICT DO NOTHING
        RETURNING 1
    )
    SELECT count(*) FROM added
"""


async def apply_mapping(conn: asyncpg.Connection, vocabulary: str, term: str, slug: str) -> int:
    """File already-imported services carrying a matching term under the category; returns how many."""
    added: int = await conn.fetchval(APPLY_MAPPING, vocabulary, term, slug)
    return added


DELETE_MAPPING = """
    DELETE FROM category_mappings WHERE vocabulary = $1 AND term = lower(btrim($2)) AND category_slug = $3
    RETURNING 1
"""


async def delete_mapping(conn: asyncpg.Connection, vocabulary: str, term: str, slug: str) -> bool:
    """Remove a rule; False when there was none."""
    return await conn.fetchval(DELETE_MAPPING, vocabulary, term, slug) is not None
