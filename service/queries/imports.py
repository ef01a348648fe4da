"""Loading a checked import batch: COPY into staging tables, then set-based upserts.

Everything runs on the caller's connection inside the caller's transaction, so a failure at
any step leaves the database as it was.
"""

import datetime as dt
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import asyncpg

from schemas.imports import UnmappedTerm
from service.imports.batches import Batch
from service.queries.columns import (
    ADDRESS,
    LOCATION,
    ORGANIZATION,
    PHONE,
    SCHEDULE,
    SERVICE,
    SERVICE_AT_LOCATION,
    STAGED,
    TAXONOMY,
    TAXONOMY_TERM,
    Entity,
    lines,
)

# Entity -> table, for references to rows already stored.
ENTITY_TABLES = {
    "organization": "organizations",
    "location": "locations",
    "service": "services",
    "service_at_location": "service_at_location",
    "taxonomy": "taxonomies",
    "taxonomy_term": "taxonomy_terms",
}
SELECT_EXISTING = {
    entity: f"SELECT id::text FROM {table} WHERE id = any($1::uuid[])" for entity, table in ENTITY_TABLES.items()
}


async def select_existing(conn: asyncpg.Connection, wanted: dict[str, set[str]]) -> dict[str, set[str]]:
    """Which of these ids (by entity) are already stored."""
    return {
        entity: {row[0] for row in await conn.fetch(SELECT_EXISTING[entity], list(ids))}
        for entity, ids in wanted.items()
        if ids and entity in SELECT_EXISTING
    }


# Stored organizations an import made to stand in for a missing one, still as named then (a curator who
# renames one has fixed it).
SELECT_PLACEHOLDERS = """
    SELECT id::text FROM organizations WHERE id = any($1::uuid[]) AND starts_with(name, $2::text || '(')
"""


async def select_placeholders(conn: asyncpg.Connection, ids: set[str], name: str) -> set[str]:
    """Which of these stored organizations are still placeholders: named name, then a parenthesis."""
    return {row[0] for row in await conn.fetch(SELECT_PLACEHOLDERS, list(ids), name)} if ids else set()


def _create_stage(name: str, entity: Entity) -> str:
    """The staging table of one entity: its keys and staged columns, dropped at commit."""
    columns = [f"{column.name} {column.type}" for column in entity.stage_columns()]
    return f"""
    CREATE TEMP TABLE stage_{name} (
        {lines(columns, 8)}
    ) ON COMMIT DROP;"""


CREATE_STAGES = (
    "".join(_create_stage(name, entity) for name, entity in STAGED.items())
    + """
    CREATE TEMP TABLE stage_service_taxonomy_term (service_id uuid, taxonomy_term_id uuid) ON COMMIT DROP;
    CREATE TEMP TABLE stage_service_category (service_id uuid, category_slug text) ON COMMIT DROP;
    CREATE TEMP TABLE stage_service_eligibility (service_id uuid, code text) ON COMMIT DROP;
    CREATE TEMP TABLE stage_owner (entity text, id uuid) ON COMMIT DROP;
    CREATE TEMP TABLE stage_original (id uuid, original jsonb) ON COMMIT DROP;
    CREATE TEMP TABLE stage_rejected (entity text, source_id text) ON COMMIT DROP;
    CREATE TEMP TABLE stage_pruned (id uuid) ON COMMIT DROP;
    CREATE TEMP TABLE stage_dropped_link (id uuid) ON COMMIT DROP;
    CREATE TEMP TABLE stage_service_capacity (
        id uuid, service_id uuid, unit text, available int, maximum int, updated_at timestamptz
    ) ON COMMIT DROP;
"""
)

STAGE_COLUMNS = {
    **{name: tuple(column.name for column in entity.stage_columns()) for name, entity in STAGED.items()},
    "service_taxonomy_term": ("service_id", "taxonomy_term_id"),
    "service_capacity": ("id", "service_id", "unit", "available", "maximum", "updated_at"),
}


def _clock(value: dt.time) -> str:
    return "24:00:00" if value == dt.time.max else value.isoformat()


def _records(batch: Batch, entity: str, columns: tuple[str, ...]) -> Iterator[tuple[Any, ...]]:
    """An entity's rows as COPY records, streamed from the batch's spool."""
    if entity == "schedule":
        for row in batch.rows(entity):
            row["opens_at"], row["closes_at"] = _clock(row["opens_at"]), _clock(row["closes_at"])
            yield tuple(row.get(c) for c in columns)
        return
    for row in batch.rows(entity):
        yield tuple(row.get(c) for c in columns)


# Rows of a batch that are not an entity's: (staging table, columns) for each kind.
STAGE_LINKS = {
    "service_category": ("stage_service_category", ["service_id", "category_slug"]),
    "service_eligibility": ("stage_service_eligibility", ["service_id", "code"]),
    "owner": ("stage_owner", ["entity", "id"]),
    "original": ("stage_original", ["id", "original"]),
}


async def stage(conn: asyncpg.Connection, batch: Batch) -> None:
    """Create the staging tables and COPY every accepted row into them, a chunk at a time."""
    await conn.execute(CREATE_STAGES)
    for entity, columns in STAGE_COLUMNS.items():
        if batch.loaded.get(entity):
            await conn.copy_records_to_table(
                f"stage_{entity}", columns=list(columns), records=_records(batch, entity, columns)
            )
    for kind, (table, link_columns) in STAGE_LINKS.items():
        if batch.loaded.get(kind):
            await conn.copy_records_to_table(table, columns=link_columns, records=batch.links(kind))
    if batch.rejected_ids:
        await conn.copy_records_to_table(
            "stage_rejected", columns=["entity", "source_id"], records=list(batch.rejected_ids)
        )


# One service may stand at one location once: a staged link to a pair that already exists under
# another id (made through the API, or by another source) takes that id, and so does what it owns.
ADOPT_EXISTING_LINKS = """
    CREATE TEMP TABLE stage_link_ids ON COMMIT DROP AS
    SELECT s.id AS old_id, x.id AS new_id
      FROM stage_service_at_location s
      JOIN service_at_location x ON x.service_id = s.service_id AND x.location_id = s.location_id
     WHERE x.id <> s.id;
    UPDATE stage_service_at_location s SET id = m.new_id FROM stage_link_ids m WHERE s.id = m.old_id;
    UPDATE stage_phone s SET service_at_location_id = m.new_id FROM stage_link_ids m
     WHERE s.service_at_location_id = m.old_id;
    UPDATE stage_schedule s SET service_at_location_id = m.new_id FROM stage_link_ids m
     WHERE s.service_at_location_id = m.old_id;
    UPDATE stage_owner s SET id = m.new_id FROM stage_link_ids m WHERE s.id = m.old_id;
"""


async def adopt_existing_links(conn: asyncpg.Connection) -> None:
    """Point staged links (and what they own) at existing rows for the same service and location."""
    await conn.execute(ADOPT_EXISTING_LINKS)


def _counted(statement: str) -> str:
    """Wrap an upsert ending in RETURNING (xmax = 0) AS created so it returns (created, updated)."""
    return (
        f"WITH written AS ({statement}) "
        "SELECT count(*) FILTER (WHERE created) AS created, count(*) FILTER (WHERE NOT created) AS updated "
        "FROM written"
    )


def _upsert(
    name: str, entity: Entity, selected: dict[str, str] | None = None, written: dict[str, str] | None = None
) -> str:
    """Upsert an entity's staged rows, changing only those that differ; selected/written replace a column's in/out."""
    columns = entity.names("staged")
    taken = [(selected or {}).get(column, column) for column in ("id", *columns)]
    new = [(written or {}).get(column, f"EXCLUDED.{column}") for column in columns]
    return _counted(f"""
        INSERT INTO {entity.table} AS t (
               {lines(("id", *columns), 15)}
        )
        SELECT {lines(taken, 15)}
          FROM stage_{name}
        ON CONFLICT (id) DO UPDATE
           SET {lines([f"{column} = {value}" for column, value in zip(columns, new, strict=True)], 15)}
         WHERE ({lines([f"t.{column}" for column in columns], 16)})
               IS DISTINCT FROM
               ({lines(new, 16)})
        RETURNING (xmax = 0) AS created""")


UPSERT = {
    "organization": _upsert("organization", ORGANIZATION),
    "taxonomy": _upsert("taxonomy", TAXONOMY),
    "taxonomy_term": _upsert("taxonomy_term", TAXONOMY_TERM),
    "location": _upsert("location", LOCATION),
    # A load is not a verification: an import without an assured_date keeps the one on record, and a
    # listing a person verified keeps its date whatever the source says.
    "service": _upsert(
        "service",
        SERVICE,
        written={
            "assured_date": "CASE WHEN t.verified_at IS NOT NULL THEN t.assured_date"
            " ELSE coalesce(EXCLUDED.assured_date, t.assured_date) END"
        },
    ),
    # Staged links may share an id (listed twice, or adopted onto one stored link), and one upsert
    # may write a row only once.
    "service_at_location": _upsert("service_at_location", SERVICE_AT_LOCATION, selected={"id": "DISTINCT ON (id) id"}),
    "phone": _upsert("phone", PHONE),
    "schedule": _upsert("schedule", SCHEDULE, selected={"opens_at": "opens_at::time", "closes_at": "closes_at::time"}),
}


async def upsert(conn: asyncpg.Connection, entity: str) -> tuple[int, int]:
    """Write one staged entity; returns (created, updated)."""
    row = await conn.fetchrow(UPSERT[entity])
    assert row is not None, "an aggregate without GROUP BY returns one row"
    return row["created"], row["updated"]


# Reconciling: a child row this source delivered before, under an owner whose full list of such
# children the package holds, that the package no longer lists, is removed. A package holds that list
# for every owner it contains when it has the child's table (phones.csv; services.csv with location_id
# for Ohana links), and for one owner when that owner's JSON document has the key (phones: [...]).
# A table or key the package lacks removes nothing; neither does a row it lists but could not read
# (stage_rejected), and rows others added (through the API) are never touched.
STAGE_OWNERS = {
    "phone": """
        INSERT INTO stage_owner (entity, id)
        SELECT 'phone', id FROM stage_organization UNION ALL SELECT 'phone', id FROM stage_service
        UNION ALL SELECT 'phone', id FROM stage_location UNION ALL SELECT 'phone', id FROM stage_service_at_location
    """,
    "schedule": """
        INSERT INTO stage_owner (entity, id)
        SELECT 'schedule', id FROM stage_service UNION ALL SELECT 'schedule', id FROM stage_location
        UNION ALL SELECT 'schedule', id FROM stage_service_at_location
    """,
    "service_at_location": "INSERT INTO stage_owner (entity, id) SELECT 'service_at_location', id FROM stage_service",
    "address": "INSERT INTO stage_owner (entity, id) SELECT 'address', id FROM stage_location",
}

# Links go first into a table of their own: what hangs on them (phones and hours) goes with them, counted.
STAGE_DROPPED_LINKS = """
    INSERT INTO stage_dropped_link (id)
    SELECT x.id FROM service_at_location x JOIN source_records r ON r.id = x.id AND r.source = $1
     WHERE NOT EXISTS (SELECT 1 FROM stage_service_at_location s WHERE s.id = x.id)
       AND NOT EXISTS (SELECT 1 FROM stage_rejected j WHERE j.entity = r.entity AND j.source_id = r.source_id)
       AND x.service_id IN (SELECT id FROM stage_owner WHERE entity = 'service_at_location')
"""

DELETE_DROPPED_CHILDREN = {
    "phone": """
        WITH doomed AS (
            SELECT p.id FROM phones p JOIN source_records r ON r.id = p.id AND r.source = $1
             WHERE NOT EXISTS (SELECT 1 FROM stage_phone s WHERE s.id = p.id)
               AND NOT EXISTS (SELECT 1 FROM stage_rejected j WHERE j.entity = r.entity AND j.source_id = r.source_id)
               AND (p.organization_id IN (SELECT id FROM stage_owner WHERE entity = 'phone')
                    OR p.service_id IN (SELECT id FROM stage_owner WHERE entity = 'phone')
                    OR p.location_id IN (SELECT id FROM stage_owner WHERE entity = 'phone')
                    OR p.service_at_location_id IN (SELECT id FROM stage_owner WHERE entity = 'phone'))
            UNION SELECT id FROM phones WHERE service_at_location_id IN (SELECT id FROM stage_dropped_link)
        ), gone AS (DELETE FROM phones p USING doomed d WHERE p.id = d.id RETURNING 1)
        SELECT count(*) FROM gone
    """,
    "schedule": """
        WITH doomed AS (
            SELECT x.id FROM schedules x JOIN source_records r ON r.id = x.id AND r.source = $1
             WHERE NOT EXISTS (SELECT 1 FROM stage_schedule s WHERE s.id = x.id)
               AND NOT EXISTS (SELECT 1 FROM stage_rejected j WHERE j.entity = r.entity AND j.source_id = r.source_id)
               AND (x.service_id IN (SELECT id FROM stage_owner WHERE entity = 'schedule')
                    OR x.location_id IN (SELECT id FROM stage_owner WHERE entity = 'schedule')
                    OR x.service_at_location_id IN (SELECT id FROM stage_owner WHERE entity = 'schedule'))
            UNION SELECT id FROM schedules WHERE service_at_location_id IN (SELECT id FROM stage_dropped_link)
        ), gone AS (DELETE FROM schedules x USING doomed d WHERE x.id = d.id RETURNING 1)
        SELECT count(*) FROM gone
    """,
}
DELETE_DROPPED_LINKS = """
    WITH gone AS (DELETE FROM service_at_location WHERE id IN (SELECT id FROM stage_dropped_link) RETURNING 1)
    SELECT count(*) FROM gone
"""


# An address is a location's columns here, but a table (addresses.csv) or key ("addresses") of its own
# in a package: a location whose package lacks it keeps the stored address where its row gives none.
KEEP_UNLISTED_ADDRESSES = f"""
    UPDATE stage_location s
       SET {lines([f"{column} = coalesce(s.{column}, t.{column})" for column in ADDRESS], 11)}
      FROM locations t
     WHERE t.id = s.id AND NOT EXISTS (SELECT 1 FROM stage_owner o WHERE o.entity = 'address' AND o.id = s.id)
"""


# Its row count varies from none to every staged row twice over; the planner should know which.
ANALYZE_OWNERS = "ANALYZE stage_owner"


async def delete_dropped_children(conn: asyncpg.Connection, source: str, present: set[str]) -> dict[str, int]:
    """Remove what the source no longer lists where the package says so; returns how many of each kind."""
    for child, statement in STAGE_OWNERS.items():
        if child in present:
            await conn.execute(statement)
    await conn.execute(ANALYZE_OWNERS)
    await conn.execute(KEEP_UNLISTED_ADDRESSES)
    await conn.execute(STAGE_DROPPED_LINKS, source)
    removed = {child: await conn.fetchval(statement, source) for child, statement in DELETE_DROPPED_CHILDREN.items()}
    removed["service_at_location"] = await conn.fetchval(DELETE_DROPPED_LINKS)
    return removed


# Services whose links arrive in this import: they get exactly those links and what they map to.
STAGE_LINKED = """
    CREATE TEMP TABLE stage_linked ON COMMIT DROP AS
    SELECT service_id FROM stage_service_taxonomy_term
    UNION SELECT service_id FROM stage_service_category
    UNION SELECT service_id FROM stage_service_eligibility
"""

REPLACE_SERVICE_TERMS = """
    WITH gone AS (
        DELETE FROM service_taxonomy_terms x
         WHERE x.service_id IN (SELECT service_id FROM stage_linked)
           AND NOT EXISTS (SELECT 1 FROM stage_service_taxonomy_term s
                            WHERE s.service_id = x.service_id AND s.taxonomy_term_id = x.taxonomy_term_id)
        RETURNING 1
    ), added AS (
        INSERT INTO service_taxonomy_terms (service_id, taxonomy_term_id)
        SELECT DISTINCT service_id, taxonomy_term_id FROM stage_service_taxonomy_term
        ON CONFLICT DO NOTHING
    )
    SELECT count(*) FROM gone
"""

MAP_CATEGORIES = """
    INSERT INTO stage_service_category (service_id, category_slug)
    SELECT DISTINCT st.service_id, m.category_slug
      FROM stage_service_taxonomy_term st
      JOIN taxonomy_terms t ON t.id = st.taxonomy_term_id
      LEFT JOIN taxonomies x ON x.id = t.taxonomy_id
      JOIN category_mappings m
        ON (m.vocabulary = '*' OR lower(m.vocabulary) = lower(coalesce(x.name, t.vocabulary)))
       AND (m.term = lower(btrim(t.code)) OR m.term = lower(btrim(t.name)))
"""

REPLACE_CATEGORIES = """
    WITH gone AS (
        DELETE FROM service_categories x
         WHERE x.service_id IN (SELECT service_id FROM stage_linked)
           AND NOT EXISTS (SELECT 1 FROM stage_service_category s
                            WHERE s.service_id = x.service_id AND s.category_slug = x.category_slug)
        RETURNING 1
    ), added AS (
        INSERT INTO service_categories (service_id, category_slug)
        SELECT DISTINCT service_id, category_slug FROM stage_service_category
        ON CONFLICT DO NOTHING
    )
    SELECT count(*) FROM gone
"""


# Attributes, genders and cost of services whose links arrive come from our eligibility terms.
DELETE_DROPPED_ATTRIBUTES = """
    WITH gone AS (
        DELETE FROM service_attributes x
         WHERE x.service_id IN (SELECT service_id FROM stage_linked)
           AND NOT EXISTS (SELECT 1 FROM stage_service_eligibility s
                            WHERE s.service_id = x.service_id AND s.code = x.attribute_slug)
        RETURNING 1)
    SELECT count(*) FROM gone
"""
REPLACE_ELIGIBILITY = (
    """
    INSERT INTO service_attributes (service_id, attribute_slug)
    SELECT DISTINCT s.service_id, s.code FROM stage_service_eligibility s JOIN attributes a ON a.slug = s.code
    ON CONFLICT DO NOTHING
    """,
    """
    UPDATE services t
       SET genders = coalesce(e.genders, '{}'), cost = coalesce(e.cost, '{}')
      FROM stage_linked k
      LEFT JOIN (SELECT service_id,
                        array_agg(DISTINCT substr(code, 8) ORDER BY substr(code, 8))
                            FILTER (WHERE code LIKE 'gender:%') AS genders,
                        array_agg(DISTINCT substr(code, 6) ORDER BY substr(code, 6))
                            FILTER (WHERE code LIKE 'cost:%') AS cost
                   FROM stage_service_eligibility GROUP BY service_id) AS e ON e.service_id = k.service_id
     WHERE t.id = k.service_id
       AND (t.genders, t.cost) IS DISTINCT FROM (coalesce(e.genders, '{}'), coalesce(e.cost, '{}'))
    """,
)


async def replace_terms_and_categories(conn: asyncpg.Connection) -> dict[str, int]:
    """Store term links, map them to categories, set categories and eligibility; returns links removed."""
    await conn.execute(STAGE_LINKED)
    removed = {"service_taxonomy_term": await conn.fetchval(REPLACE_SERVICE_TERMS)}
    await conn.execute(MAP_CATEGORIES)
    removed["service_category"] = await conn.fetchval(REPLACE_CATEGORIES)
    removed["service_attribute"] = await conn.fetchval(DELETE_DROPPED_ATTRIBUTES)
    for statement in REPLACE_ELIGIBILITY:
        await conn.execute(statement)
    return removed


# A full snapshot (prune): listings this source delivered before that the package no longer lists
# (nor lists unreadably, nor links to) are deleted as DELETE does it, soft and restorable, so they
# leave search and the change feed says so. Only kinds whose table the package holds; an organization
# only once nothing live stands on it (as DELETE requires).
PRUNE_LISTINGS = {
    "service": """
        WITH gone AS (
            UPDATE services t SET deleted_at = now(), status_before_delete = t.status, status = 'defunct'
              FROM source_records r
             WHERE r.id = t.id AND r.source = $1 AND r.entity = 'service' AND t.deleted_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM stage_service s WHERE s.id = t.id)
               AND NOT EXISTS (SELECT 1 FROM stage_service_at_location s WHERE s.service_id = t.id)
               AND NOT EXISTS (SELECT 1 FROM stage_rejected j WHERE j.entity = r.entity AND j.source_id = r.source_id)
            RETURNING t.id
        ), kept AS (INSERT INTO stage_pruned (id) SELECT id FROM gone)
        SELECT count(*) FROM gone
    """,
    "location": """
        WITH gone AS (
            UPDATE locations t SET deleted_at = now()
              FROM source_records r
             WHERE r.id = t.id AND r.source = $1 AND r.entity = 'location' AND t.deleted_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM stage_location s WHERE s.id = t.id)
               AND NOT EXISTS (SELECT 1 FROM stage_service_at_location s WHERE s.location_id = t.id)
               AND NOT EXISTS (SELECT 1 FROM stage_rejected j WHERE j.entity = r.entity AND j.source_id = r.source_id)
            RETURNING t.id
        ), kept AS (INSERT INTO stage_pruned (id) SELECT id FROM gone)
        SELECT count(*) FROM gone
    """,
    "organization": """
        WITH gone AS (
            UPDATE organizations t SET deleted_at = now()
              FROM source_records r
             WHERE r.id = t.id AND r.source = $1 AND r.entity = 'organization' AND t.deleted_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM stage_organization s WHERE s.id = t.id)
               AND NOT EXISTS (SELECT 1 FROM stage_rejected j WHERE j.entity = r.entity AND j.source_id = r.source_id)
               AND NOT EXISTS (SELECT 1 FROM services s WHERE s.organization_id = t.id AND s.deleted_at IS NULL)
               AND NOT EXISTS (SELECT 1 FROM locations l WHERE l.organization_id = t.id AND l.deleted_at IS NULL)
            RETURNING t.id
        )
        SELECT count(*) FROM gone
    """,
}


async def prune_listings(conn: asyncpg.Connection, source: str, present: set[str]) -> dict[str, int]:
    """Soft-delete the source's listings a full snapshot no longer lists; returns how many of each kind."""
    return {
        entity: await conn.fetchval(statement, source)
        for entity, statement in PRUNE_LISTINGS.items()
        if entity in present
    }


SELECT_ELIGIBILITY_CODES = "SELECT code FROM eligibility_terms"


async def select_eligibility_codes(conn: asyncpg.Connection) -> list[str]:
    """Codes of our eligibility taxonomy (attribute slugs, gender:..., cost:...)."""
    return [row["code"] for row in await conn.fetch(SELECT_ELIGIBILITY_CODES)]


SELECT_UNMAPPED_TERMS = """
    SELECT coalesce(x.name, t.vocabulary) AS vocabulary, t.code, t.name, count(DISTINCT st.service_id) AS services
      FROM stage_service_taxonomy_term st
      JOIN taxonomy_terms t ON t.id = st.taxonomy_term_id
      LEFT JOIN taxonomies x ON x.id = t.taxonomy_id
     WHERE NOT EXISTS (
           SELECT 1 FROM category_mappings m
            WHERE (m.vocabulary = '*' OR lower(m.vocabulary) = lower(coalesce(x.name, t.vocabulary)))
              AND (m.term = lower(btrim(t.code)) OR m.term = lower(btrim(t.name))))
     GROUP BY 1, 2, 3
     ORDER BY services DESC, 3, 2
"""


async def select_unmapped_terms(conn: asyncpg.Connection) -> list[UnmappedTerm]:
    """Terms linked to this import's services that no mapping turns into a category."""
    return [UnmappedTerm(**dict(row)) for row in await conn.fetch(SELECT_UNMAPPED_TERMS)]


# Every staged row with a source record: its table (as the entity), source id and id.
_STAGED = """
    SELECT 'organization' AS entity, source_id, id FROM stage_organization
    UNION ALL SELECT 'taxonomy', source_id, id FROM stage_taxonomy
    UNION ALL SELECT 'taxonomy_term', source_id, id FROM stage_taxonomy_term
    UNION ALL SELECT 'location', source_id, id FROM stage_location
    UNION ALL SELECT 'service', source_id, id FROM stage_service
    UNION ALL SELECT 'service_at_location', source_id, id FROM stage_service_at_location
    UNION ALL SELECT 'phone', source_id, id FROM stage_phone
    UNION ALL SELECT 'schedule', source_id, id FROM stage_schedule
"""

# Row ids given as UUIDs are kept as they are, so one UUID given to rows of two tables (a service and
# its service_at_location, say) would be one source record for both: the first such id, and its tables.
SELECT_SHARED_ID = f"""
    SELECT staged.id, array_agg(DISTINCT staged.entity ORDER BY staged.entity) AS entities,
           min(staged.source_id) AS source_id
      FROM ({_STAGED}) AS staged
     GROUP BY staged.id
    HAVING count(*) > 1
     ORDER BY staged.id
     LIMIT 1
"""


async def select_shared_id(conn: asyncpg.Connection) -> tuple[str, list[str]] | None:
    """A source id that names rows of two or more tables, with those tables; None when every id is one row's."""
    row = await conn.fetchrow(SELECT_SHARED_ID)
    return None if row is None else (row["source_id"], list(row["entities"]))


# A record keeps the values its input gave that the import changed or dropped (original), and
# forgets them when a later import gives them as they are stored.
RECORD_SOURCES = f"""
    INSERT INTO source_records (id, source, entity, source_id, original)
    SELECT staged.id, $1, staged.entity, staged.source_id, o.original FROM ({_STAGED}) AS staged
    LEFT JOIN stage_original o ON o.id = staged.id
    ON CONFLICT (id) DO UPDATE
       SET source = EXCLUDED.source, entity = EXCLUDED.entity, source_id = EXCLUDED.source_id,
           original = EXCLUDED.original
     WHERE (source_records.source, source_records.entity, source_records.source_id, source_records.original)
           IS DISTINCT FROM (EXCLUDED.source, EXCLUDED.entity, EXCLUDED.source_id, EXCLUDED.original)
"""


async def record_sources(conn: asyncpg.Connection, source: str) -> None:
    """Remember which source delivered each row under which id."""
    await conn.execute(RECORD_SOURCES, source)


# Capacity reports are history: one the store holds already (same service, unit, instant and counts)
# is unchanged; a new one is added, under its own id, or, when a producer reuses one id for each new
# count, under an id derived from that id and its instant, so the history keeps both.
INSERT_CAPACITIES = """
    WITH fresh AS (
        SELECT c.* FROM stage_service_capacity c
         WHERE NOT EXISTS (SELECT 1 FROM service_capacity s
                            WHERE s.service_id = c.service_id AND s.unit = c.unit AND s.updated_at = c.updated_at
                              AND s.available = c.available AND s.maximum IS NOT DISTINCT FROM c.maximum)
    ), inserted AS (
        INSERT INTO service_capacity (id, service_id, unit, available, maximum, updated_at)
        SELECT CASE WHEN EXISTS (SELECT 1 FROM service_capacity s WHERE s.id = f.id)
                    THEN overlay(overlay(md5('commonground-capacity:' || f.id || ':' || hsds_instant(f.updated_at))
                                         PLACING '3' FROM 13) PLACING '8' FROM 17)::uuid
                    ELSE f.id END,
               f.service_id, f.unit, f.available, f.maximum, f.updated_at
          FROM fresh f
        ON CONFLICT (id) DO NOTHING
        RETURNING 1
    )
    SELECT count(*) FROM inserted
"""


async def insert_capacities(conn: asyncpg.Connection) -> int:
    """Add the staged capacity reports the store lacks; returns how many were added."""
    created: int = await conn.fetchval(INSERT_CAPACITIES)
    return created


REFRESH_IMPORTED = """
    SELECT refresh_resource_index(ARRAY(
        SELECT sal.id FROM service_at_location sal
         WHERE sal.service_id IN (SELECT id FROM stage_service)
            OR sal.location_id IN (SELECT id FROM stage_location)
            OR sal.id IN (SELECT id FROM stage_service_at_location)
            OR sal.service_id IN (SELECT s.id FROM services s JOIN stage_organization o ON o.id = s.organization_id)
            OR sal.id IN (SELECT service_at_location_id FROM stage_phone)
            OR sal.service_id IN (SELECT service_id FROM stage_phone UNION SELECT service_id FROM stage_schedule
                                  UNION SELECT service_id FROM stage_service_category
                                  UNION SELECT service_id FROM stage_service_eligibility)
            OR sal.location_id IN (SELECT location_id FROM stage_phone UNION SELECT location_id FROM stage_schedule)
            OR sal.id IN (SELECT service_at_location_id FROM stage_schedule)
            OR sal.service_id IN (SELECT service_id FROM stage_service_capacity)
            OR sal.service_id IN (SELECT id FROM stage_pruned) OR sal.location_id IN (SELECT id FROM stage_pruned)))
"""


async def refresh_imported(conn: asyncpg.Connection) -> None:
    """Rebuild the search rows of everything this import touched, in one pass."""
    await conn.execute(REFRESH_IMPORTED)


# Also room for the big sorts and hashes of a bulk load, for this transaction only.
DEFER_INDEX = "SET LOCAL commonground.defer_index = 'on'; SET LOCAL work_mem = '256MB'"


async def defer_index(conn: asyncpg.Connection) -> None:
    """Skip per-statement search-table refreshes for this transaction (refresh_imported does one)."""
    await conn.execute(DEFER_INDEX)


# -- import jobs (POST /v1/imports) ------------------------------------------------------------

JOB_COLUMNS = """
    id, source, format, filename,
    CASE WHEN status IN ('queued', 'running') AND heartbeat_at < now() - interval '30 seconds'
         THEN 'failed' ELSE status END AS status,
    dry_run, strict, phase, processed, total, report::text AS report,
    CASE WHEN status IN ('queued', 'running') AND heartbeat_at < now() - interval '30 seconds'
         THEN 'interrupted: the server stopped during the import; nothing was imported, run it again'
         ELSE error END AS error,
    created_at, started_at, finished_at
"""

INSERT_JOB = f"""
    INSERT INTO imports (source, format, filename, dry_run, strict, total)
    VALUES ($1, $2, $3, $4, $5, $6)
    RETURNING {JOB_COLUMNS}
"""


async def insert_job(
    conn: asyncpg.Connection,
    source: str,
    format: str | None,
    filename: str | None,
    dry_run: bool,
    strict: bool,
    total: int,
) -> asyncpg.Record:
    """Queue an import job."""
    row = await conn.fetchrow(INSERT_JOB, source, format, filename, dry_run, strict, total)
    assert row is not None, "an INSERT ... VALUES returns the row it wrote"
    return row


SELECT_JOB = f"SELECT {JOB_COLUMNS} FROM imports WHERE id = $1"


async def select_job(conn: asyncpg.Connection, id: UUID) -> asyncpg.Record | None:
    """One import job; a job whose process died reads as failed."""
    return await conn.fetchrow(SELECT_JOB, id)


SELECT_JOBS = f"SELECT {JOB_COLUMNS} FROM imports ORDER BY created_at DESC, id LIMIT $1"


async def select_jobs(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    """The most recent import jobs."""
    return await conn.fetch(SELECT_JOBS, limit)


UPDATE_JOB_PROGRESS = """
    UPDATE imports
       SET status = 'running', started_at = coalesce(started_at, now()), phase = $2, processed = $3,
           total = coalesce($4, total), heartbeat_at = now()
     WHERE id = $1 AND status IN ('queued', 'running')
"""


async def update_job_progress(
    conn: asyncpg.Connection, id: UUID, phase: str, processed: int, total: int | None
) -> None:
    """Record how far a running job has got (and that its process is alive)."""
    await conn.execute(UPDATE_JOB_PROGRESS, id, phase, processed, total)


FINISH_JOB = """
    UPDATE imports
       SET status = $2, phase = 'done', report = $3::jsonb, error = $4, finished_at = now(), heartbeat_at = now(),
           format = coalesce($5, format),
           processed = CASE WHEN $2 = 'succeeded' THEN coalesce(total, processed) ELSE processed END
     WHERE id = $1
"""


async def finish_job(
    conn: asyncpg.Connection, id: UUID, succeeded: bool, report: bytes | None, error: str | None, format: str | None
) -> None:
    """Store a job's outcome and report."""
    await conn.execute(
        FINISH_JOB,
        id,
        "succeeded" if succeeded else "failed",
        report.decode() if report is not None else None,
        error,
        format,
    )


# Imports are audited as written by the key that uploaded them (or import:<source> from the command
# line), noting the source (in this transaction only).
SET_IMPORT_ACTOR = """
    SELECT set_config('commonground.actor', coalesce($2, 'import:' || $1), true),
           set_config('commonground.audit_note', 'import from ' || $1, true)
"""


async def set_import_actor(conn: asyncpg.Connection, source: str, actor: str | None) -> None:
    """Name who wrote the import's rows in the audit log."""
    await conn.execute(SET_IMPORT_ACTOR, source, actor)
