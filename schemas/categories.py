"""Our two-level category taxonomy."""

from schemas.base import Output


class Subcategory(Output):
    """A child category with the number of active services in it."""

    slug: str
    name: str
    description: str
    count: int


class Category(Output):
    """A top-level category; count covers its own services and its children's, each once."""

    slug: str
    name: str
    description: str
    count: int
    children: list[Subcategory]


class CategoryList(Output):
    """The whole taxonomy in display order."""

    items: list[Category]
