"""The eligibility vocabulary: attributes, genders served and cost, as search filters use them."""

from schemas.base import Output


class Attribute(Output):
    """One eligibility or barrier attribute a service can carry (filter with attribute=slug)."""

    slug: str
    name: str
    description: str


class AttributeVocabulary(Output):
    """Everything a search can filter on besides categories and words."""

    items: list[Attribute]
    genders: list[str]
    cost: list[str]
