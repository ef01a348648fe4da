"""The category taxonomy."""

import asyncpg
from litestar import Controller, get
from litestar.di import NamedDependency

from schemas.categories import CategoryList
from service.queries import categories as queries


class CategoryController(Controller):
    """Our two-level categories."""

    path = "/v1/categories"
    tags = ["categories"]

    @get("/", operation_id="listCategories")
    async def list_categories(self, conn: NamedDependency[asyncpg.Connection]) -> CategoryList:
        """List every category with its children and how many active services each holds."""
        return await queries.select_categories(conn)
