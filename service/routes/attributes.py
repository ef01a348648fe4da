"""The eligibility vocabulary that services carry and searches filter on."""

import typing

import asyncpg
import msgspec
from litestar import get
from litestar.di import NamedDependency

from schemas.attributes import Attribute, AttributeVocabulary
from schemas.fields import Cost, Gender
from service.queries import attributes as queries


@get("/v1/attributes", operation_id="listAttributes", tags=["categories"])
async def list_attributes(conn: NamedDependency[asyncpg.Connection]) -> AttributeVocabulary:
    """The attributes (attribute=), genders served (gender=) and cost values (cost=) a search can filter on."""
    return AttributeVocabulary(
        items=[msgspec.convert(dict(row), Attribute) for row in await queries.select_attributes(conn)],
        genders=list(typing.get_args(Gender)),
        cost=list(typing.get_args(Cost)),
    )
