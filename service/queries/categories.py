"""The category taxonomy and how many active services each category holds."""

import asyncpg
import msgspec

from schemas.categories import Category, CategoryList, Subcategory

SELECT_TAXONOMY = "SELECT slug, parent_slug FROM categories ORDER BY parent_slug NULLS FIRST, position"


async def select_taxonomy(conn: asyncpg.Connection) -> dict[str, str | None]:
    """Every slug with its parent (None for top-level)."""
    return {row["slug"]: row["parent_slug"] for row in await conn.fetch(SELECT_TAXONOMY)}


SELECT_CATEGORIES = """
    SELECT c.slug, c.parent_slug, c.name, c.description,
           (SELECT count(DISTINCT sc.service_id)
              FROM service_categories sc
              JOIN categories member ON member.slug = sc.category_slug
              JOIN services s ON s.id = sc.service_id
             WHERE (member.slug = c.slug OR member.parent_slug = c.slug) AND s.status = 'active') AS count
      FROM categories c
     ORDER BY c.parent_slug NULLS FIRST, c.position
"""


async def select_categories(conn: asyncpg.Connection) -> CategoryList:
    """Top-level categories with their children, each with its active-service count."""
    parents: dict[str, Category] = {}
    for row in await conn.fetch(SELECT_CATEGORIES):
        if row["parent_slug"] is None:
            parents[row["slug"]] = Category(
                slug=row["slug"], name=row["name"], description=row["description"], count=row["count"], children=[]
            )
        else:
            parents[row["parent_slug"]].children.append(msgspec.convert(dict(row), Subcategory))
    return CategoryList(items=list(parents.values()))
