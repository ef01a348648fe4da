"""The editable rules that file incoming taxonomy terms under our categories."""

from typing import Annotated

import asyncpg
import msgspec
from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter

from schemas.category_mappings import CategoryMapping, CategoryMappingApplied, CategoryMappingCreate
from service.errors import Conflict, NotFound
from service.http.auth import require_admin
from service.queries import category_mappings as queries
from service.state import AppState

VocabularyParam = Annotated[str, QueryParameter(min_length=1, max_length=200, description="Vocabulary, or *")]
TermParam = Annotated[str, QueryParameter(min_length=1, max_length=300, description="The rule's term")]
SlugParam = Annotated[str, QueryParameter(min_length=1, max_length=64, description="The rule's category slug")]


class CategoryMappingController(Controller):
    """Rules mapping imported taxonomy terms to our categories."""

    path = "/v1/category-mappings"
    tags = ["imports"]

    @get("/", operation_id="listCategoryMappings")
    async def list_mappings(self, conn: NamedDependency[asyncpg.Connection]) -> list[CategoryMapping]:
        """Every rule: a term (code or name) in a vocabulary (or *) files services under a category."""
        return [msgspec.convert(dict(row), CategoryMapping) for row in await queries.select_mappings(conn)]

    @post("/", operation_id="createCategoryMapping", guards=[require_admin])
    async def create_mapping(
        self, conn: NamedDependency[asyncpg.Connection], state: AppState, data: JSONBody[CategoryMappingCreate]
    ) -> Response[CategoryMappingApplied]:
        """Add a rule and apply it to services already imported with a matching term (admin)."""
        state.taxonomy.check([data.category_slug], "category_slug", "body")
        async with conn.transaction():
            row = await queries.insert_mapping(conn, data.vocabulary, data.term, data.category_slug)
            if row is None:
                raise Conflict("this rule already exists")
            added = await queries.apply_mapping(conn, data.vocabulary, data.term, data.category_slug)
        return Response(CategoryMappingApplied(**dict(row), services_added=added), status_code=201)

    @delete("/", operation_id="deleteCategoryMapping", guards=[require_admin])
    async def delete_mapping(
        self,
        conn: NamedDependency[asyncpg.Connection],
        vocabulary: VocabularyParam,
        term: TermParam,
        category_slug: SlugParam,
    ) -> None:
        """Remove a rule; services keep their categories until their source is imported again (admin)."""
        if not await queries.delete_mapping(conn, vocabulary, term, category_slug):
            raise NotFound("no such rule")
