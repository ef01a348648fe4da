"""The category tree, read once at start-up: validates slugs and expands parents to children."""

from collections.abc import Iterable

from service.errors import InvalidInput


class Taxonomy:
    """Our category slugs and their parents (or any flat vocabulary we publish, such as attributes)."""

    def __init__(self, parents: dict[str, str | None], kind: str = "category", path: str = "/v1/categories") -> None:
        self.parents = parents
        self.kind, self.path = kind, path
        self.children: dict[str, list[str]] = {}
        for slug, parent in parents.items():
            if parent is not None:
                self.children.setdefault(parent, []).append(slug)

    def check(self, slugs: Iterable[str], field: str, location: str) -> None:
        """Reject slugs we do not publish, listing the ones we do."""
        unknown = sorted(set(slugs) - self.parents.keys())
        if unknown:
            raise InvalidInput(
                field,
                f"unknown {self.kind} {', '.join(unknown)}; see GET {self.path} for the "
                f"published slugs ({', '.join(self.parents)})",
                location,
            )

    def expand(self, slugs: Iterable[str]) -> list[str]:
        """The slugs with every child of a parent among them."""
        expanded = dict.fromkeys(slugs)
        for slug in list(expanded):
            expanded.update(dict.fromkeys(self.children.get(slug, [])))
        return list(expanded)
