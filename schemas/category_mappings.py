"""How incoming taxonomy terms (211/AIRS codes, Open Eligibility, free text) become our categories."""

from typing import Annotated

from msgspec import Meta

from schemas.base import Input, Output
from schemas.fields import CategorySlug

Vocabulary = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=200,
        examples=["Open Eligibility"],
        description="Taxonomy name the rule applies to; * for any",
    ),
]
Term = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=300,
        pattern=r"\S",
        examples=["Emergency Shelter"],
        description="A term's code or name, matched ignoring case and surrounding space",
    ),
]


class CategoryMappingCreate(Input):
    """A new rule: terms with this code or name (in this vocabulary) are filed under this category."""

    term: Term
    category_slug: CategorySlug
    vocabulary: Vocabulary = "*"


class CategoryMapping(Output):
    """A mapping rule as stored (term lower-cased)."""

    vocabulary: str
    term: str
    category_slug: str


class CategoryMappingApplied(CategoryMapping):
    """A rule just added, and how many already-imported services it filed under the category."""

    services_added: int
