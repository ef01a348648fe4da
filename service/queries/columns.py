"""The columns of each entity's table, from which the import, history and PATCH statements are built.

Statements are generated once, at import time, from these constants only (never from input). Adding a
column means adding it here (and to a statement's special cases, if it is one of them).
"""

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Column:
    """One column of an entity's table, besides its id, and which statements write it."""

    name: str
    type: str
    staged: bool = True  # the import stages it and its upsert writes it
    content: bool = True  # a listing's own field: the API's POST writes it and a revert restores it
    patched: bool = True  # a listing's PATCH may set it


@dataclass(frozen=True)
class Entity:
    """An entity's table and its columns in the order every generated statement lists them."""

    table: str
    columns: tuple[Column, ...]

    def stage_columns(self) -> tuple[Column, ...]:
        """The columns of its import staging table: the keys, then those the import stages."""
        return tuple(column for column in (*STAGE_KEYS, *self.columns) if column.staged)

    def names(self, flag: Literal["staged", "content", "patched"]) -> tuple[str, ...]:
        """The columns with that flag set, in order."""
        return tuple(column.name for column in self.columns if getattr(column, flag))


# Every staged row carries its id (the upsert's conflict key) and the source's own id for it, which
# goes to source_records rather than the entity's table.
STAGE_KEYS = (Column("id", "uuid"), Column("source_id", "text"))

# A location's address: one nested object in the API, its own table or key in an import package.
ADDRESS = ("address_1", "address_2", "city", "region", "state_province", "postal_code", "country")

ORGANIZATION = Entity(
    "organizations",
    (
        Column("name", "text"),
        Column("alternate_name", "text"),
        Column("description", "text"),
        Column("email", "text"),
        Column("website", "text"),
    ),
)

# genders and cost come from the import's eligibility terms (a statement of their own), not a staged column.
SERVICE = Entity(
    "services",
    (
        Column("organization_id", "uuid", patched=False),
        Column("name", "text"),
        Column("alternate_name", "text"),
        Column("description", "text"),
        Column("status", "text"),
        Column("url", "text"),
        Column("email", "text"),
        Column("eligibility_description", "text"),
        Column("fees_description", "text"),
        Column("application_process", "text"),
        Column("languages", "text[]"),
        Column("assured_date", "date"),
        Column("genders", "text[]", staged=False),
        Column("minimum_age", "smallint"),
        Column("maximum_age", "smallint"),
        Column("cost", "text[]", staged=False),
    ),
)

LOCATION = Entity(
    "locations",
    (
        Column("organization_id", "uuid"),
        Column("name", "text"),
        Column("alternate_name", "text"),
        Column("description", "text"),
        Column("location_type", "text"),
        Column("latitude", "float8"),
        Column("longitude", "float8"),
        Column("timezone", "text"),
        *(Column(name, "text") for name in ADDRESS),
        Column("transportation", "text"),
        Column("url", "text"),
        # At a ZIP centroid, not its own point (an import placed it; real coordinates clear it).
        Column("approximate", "boolean"),
        Column("confidential", "boolean", staged=False),
    ),
)

# Only the import writes these through here; their API statements live with their own queries.
TAXONOMY = Entity(
    "taxonomies",
    (Column("name", "text"), Column("description", "text"), Column("uri", "text"), Column("version", "text")),
)

TAXONOMY_TERM = Entity(
    "taxonomy_terms",
    (
        Column("taxonomy_id", "uuid"),
        Column("vocabulary", "text"),
        Column("code", "text"),
        Column("name", "text"),
        Column("description", "text"),
        Column("parent_id", "uuid"),
        Column("language", "text"),
        Column("term_uri", "text"),
    ),
)

SERVICE_AT_LOCATION = Entity(
    "service_at_location",
    (Column("service_id", "uuid"), Column("location_id", "uuid"), Column("description", "text")),
)

PHONE = Entity(
    "phones",
    (
        Column("organization_id", "uuid"),
        Column("service_id", "uuid"),
        Column("location_id", "uuid"),
        Column("service_at_location_id", "uuid"),
        Column("number", "text"),
        Column("extension", "text"),
        Column("type", "text"),
        Column("description", "text"),
        Column("position", "int"),
    ),
)

# Hours are staged as text: a source's 24:00 (end of day) is no time of day until the upsert casts it.
SCHEDULE = Entity(
    "schedules",
    (
        Column("service_id", "uuid"),
        Column("location_id", "uuid"),
        Column("service_at_location_id", "uuid"),
        Column("weekday", "smallint"),
        Column("opens_at", "text"),
        Column("closes_at", "text"),
        Column("valid_from", "date"),
        Column("valid_to", "date"),
        Column("description", "text"),
        Column("position", "int"),
    ),
)

# The staged entities, in the order the import stages and writes them (parents before children).
STAGED = {
    "organization": ORGANIZATION,
    "taxonomy": TAXONOMY,
    "taxonomy_term": TAXONOMY_TERM,
    "location": LOCATION,
    "service": SERVICE,
    "service_at_location": SERVICE_AT_LOCATION,
    "phone": PHONE,
    "schedule": SCHEDULE,
}

# The listings the API writes and history restores.
LISTINGS = {"organization": ORGANIZATION, "service": SERVICE, "location": LOCATION}


def lines(items: tuple[str, ...] | list[str], indent: int) -> str:
    """Items one per line, comma-separated, each after indent spaces but the first."""
    return (",\n" + " " * indent).join(items)


def insert_listing(entity: Entity) -> str:
    """INSERT of a listing's content columns as $1, $2, ... in column order, returning its id."""
    columns = entity.names("content")
    return f"""
    INSERT INTO {entity.table} (
        {lines(columns, 8)}
    )
    VALUES ({", ".join(f"${n}" for n in range(1, len(columns) + 1))})
    RETURNING id
"""


def update_listing(entity: Entity, given_as: dict[str, str] | None = None) -> str:
    """PATCH: $1 the id, $2 the fields given, then each patched column; given_as: a column's field if not its own."""
    given_as = given_as or {}
    sets = [
        f"{column} = CASE WHEN '{given_as.get(column, column)}' = any($2) THEN ${n} ELSE {column} END"
        for n, column in enumerate(entity.names("patched"), start=3)
    ]
    return f"""
    UPDATE {entity.table}
       SET {lines(sets, 11)}
     WHERE id = $1
    RETURNING id
"""
