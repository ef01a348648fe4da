"""Likely duplicate listings (proposed to admins), and merging one listing into another."""

from typing import Any
from uuid import UUID

import asyncpg

# Phone numbers (the listing's own, or of its links) as their last 10 digits (7 at least: 211 or 911 are not
# evidence), shared by at most 10 listings (a shared hotline is not evidence either); websites without scheme,
# www and trailing slash.
# Each statement below defines `near`, `candidates` and `owners`; the scoring is shared:
# score = 0.5 x name similarity (0.8 for organizations, which have no place to compare) + 0.3 x closeness
# (1 at 0 m, 0 at 150 m) + 0.3 same phone + 0.2 same website, at most 1.
_EVIDENCE = """
    digits AS (
        SELECT owner, right(d, 10) AS number FROM (
            SELECT coalesce(p.{owner}, sal.{owner}) AS owner, regexp_replace(p.number, '\\D', '', 'g') AS d
              FROM phones p LEFT JOIN service_at_location sal ON sal.id = p.service_at_location_id
        ) x WHERE owner IS NOT NULL AND length(d) >= 7
    ),
    shared_numbers AS (
        SELECT number FROM digits GROUP BY number HAVING count(DISTINCT owner) BETWEEN 2 AND 10
    ),
    tel AS (
        SELECT p.owner AS a, q.owner AS b, min(p.number) AS number
          FROM digits p JOIN digits q ON q.number = p.number AND q.owner > p.owner
         WHERE p.number IN (SELECT number FROM shared_numbers)
         GROUP BY 1, 2
    ),
    sites AS (
        SELECT id AS owner, lower(regexp_replace(site, '^https?://(www\\.)?|/+$', '', 'g')) AS site
          FROM owners WHERE site IS NOT NULL
    ),
    web AS (
        SELECT p.owner AS a, q.owner AS b, p.site FROM sites p JOIN sites q ON q.site = p.site AND q.owner > p.owner
    ),
    pairs AS (
        SELECT a, b FROM candidates UNION SELECT a, b FROM tel UNION SELECT a, b FROM web
    ),
    scored AS (
        SELECT p.a, p.b, oa.name AS a_name, ob.name AS b_name,
               similarity(coalesce(oa.name, ''), coalesce(ob.name, '')) AS names, n.metres, t.number, w.site
          FROM pairs p
          JOIN owners oa ON oa.id = p.a
          JOIN owners ob ON ob.id = p.b
          LEFT JOIN near n ON n.a = p.a AND n.b = p.b
          LEFT JOIN tel t ON t.a = p.a AND t.b = p.b
          LEFT JOIN web w ON w.a = p.a AND w.b = p.b
    )
    SELECT *, round(least(1.0, {name_weight} * names + 0.3 * coalesce(1 - metres / 150, 0)
                               + CASE WHEN number IS NULL THEN 0 ELSE 0.3 END
                               + CASE WHEN site IS NULL THEN 0 ELSE 0.2 END)::numeric, 3)::float8 AS score
      FROM scored
     ORDER BY score DESC, a, b
"""

_PAIRS = {
    "location": """
        WITH owners AS (SELECT id, name, geo, url AS site FROM locations WHERE deleted_at IS NULL),
        near AS (
            SELECT a.id AS a, b.id AS b, earth_distance(a.geo, b.geo) AS metres
              FROM owners a JOIN owners b ON b.id > a.id AND earth_box(a.geo, 150) @> b.geo
             WHERE a.geo IS NOT NULL AND earth_distance(a.geo, b.geo) <= 150
        ),
        candidates AS (SELECT a, b FROM near),
    """
    + _EVIDENCE.format(owner="location_id", name_weight=0.5),
    # Services at the same or nearby places are candidates only with similar names: one clinic offers many.
    "service": """
        WITH owners AS (SELECT id, name, url AS site FROM services WHERE deleted_at IS NULL),
        placed AS (
            SELECT sal.service_id, l.geo FROM service_at_location sal
              JOIN locations l ON l.id = sal.location_id AND l.deleted_at IS NULL AND l.geo IS NOT NULL
              JOIN owners o ON o.id = sal.service_id
        ),
        near AS (
            SELECT a.service_id AS a, b.service_id AS b, min(earth_distance(a.geo, b.geo)) AS metres
              FROM placed a JOIN placed b ON b.service_id > a.service_id AND earth_box(a.geo, 150) @> b.geo
             WHERE earth_distance(a.geo, b.geo) <= 150
             GROUP BY 1, 2
        ),
        candidates AS (
            SELECT n.a, n.b FROM near n JOIN owners oa ON oa.id = n.a JOIN owners ob ON ob.id = n.b
             WHERE similarity(oa.name, ob.name) >= 0.3
        ),
    """
    + _EVIDENCE.format(owner="service_id", name_weight=0.5),
    "organization": """
        WITH owners AS (SELECT id, name, website AS site FROM organizations WHERE deleted_at IS NULL),
        near AS (SELECT NULL::uuid AS a, NULL::uuid AS b, NULL::float8 AS metres WHERE false),
        candidates AS (
            SELECT a.id AS a, b.id AS b FROM owners a JOIN organizations b
                ON b.name % a.name AND b.id > a.id AND b.deleted_at IS NULL
        ),
    """
    + _EVIDENCE.replace("coalesce(p.{owner}, sal.{owner})", "p.organization_id").format(name_weight=0.8),
}


SELECT_DUPLICATES = {kind: f"SELECT * FROM ({sql}) d WHERE d.score >= $1 LIMIT $2" for kind, sql in _PAIRS.items()}


async def select_duplicates(conn: asyncpg.Connection, kind: str, min_score: float, limit: int) -> list[asyncpg.Record]:
    """Likely duplicate pairs of one kind, best first."""
    return await conn.fetch(SELECT_DUPLICATES[kind], min_score, limit)


# Merging: $1 is the survivor, $2 the duplicate. Each statement moves one kind of thing and reports how
# many rows it touched; the caller holds the transaction and both rows' locks.

# A duplicate's link to a place (or service) the survivor already has: its resource id redirects to the
# survivor's link there, and the duplicate link goes.
FOLD_SHARED_LINKS = {
    kind: f"""
        WITH shared AS (
            SELECT d.id AS old_id, s.id AS new_id FROM service_at_location d
              JOIN service_at_location s ON s.{other}_id = d.{other}_id AND s.{kind}_id = $1
             WHERE d.{kind}_id = $2
        ), redirected AS (
            INSERT INTO redirects (entity, old_id, new_id) SELECT 'resource', old_id, new_id FROM shared
            ON CONFLICT (entity, old_id) DO UPDATE SET new_id = excluded.new_id
        )
        DELETE FROM service_at_location WHERE id IN (SELECT old_id FROM shared)
    """
    for kind, other in (("service", "location"), ("location", "service"))
}

# Phones the survivor does not already have (by digits).
MOVE_PHONES = {
    owner: f"""
        UPDATE phones p SET {owner}_id = $1
         WHERE p.{owner}_id = $2
           AND regexp_replace(p.number, '\\D', '', 'g') NOT IN (
               SELECT regexp_replace(number, '\\D', '', 'g') FROM phones WHERE {owner}_id = $1)
    """
    for owner in ("organization", "service", "location")
}

MERGE_STEPS: dict[str, list[tuple[str, str]]] = {
    "service": [
        ("links", "UPDATE service_at_location SET service_id = $1 WHERE service_id = $2"),
        ("phones", MOVE_PHONES["service"]),
        (
            "hours",
            """UPDATE schedules SET service_id = $1 WHERE service_id = $2
                      AND NOT EXISTS (SELECT 1 FROM schedules WHERE service_id = $1)""",
        ),
        (
            "categories",
            """INSERT INTO service_categories (service_id, category_slug)
                          SELECT $1, category_slug FROM service_categories WHERE service_id = $2
                          ON CONFLICT DO NOTHING""",
        ),
        (
            "attributes",
            """INSERT INTO service_attributes (service_id, attribute_slug)
                          SELECT $1, attribute_slug FROM service_attributes WHERE service_id = $2
                          ON CONFLICT DO NOTHING""",
        ),
        (
            "taxonomy_terms",
            """INSERT INTO service_taxonomy_terms (service_id, taxonomy_term_id)
                              SELECT $1, taxonomy_term_id FROM service_taxonomy_terms WHERE service_id = $2
                              ON CONFLICT DO NOTHING""",
        ),
        ("capacity", "UPDATE service_capacity SET service_id = $1 WHERE service_id = $2"),
        (
            "exceptions",
            """UPDATE schedule_exceptions SET service_id = $1 WHERE service_id = $2
                           AND NOT EXISTS (SELECT 1 FROM schedule_exceptions WHERE service_id = $1)""",
        ),
        (
            "service_areas",
            """UPDATE service_areas SET service_id = $1 WHERE service_id = $2
                              AND NOT EXISTS (SELECT 1 FROM service_areas WHERE service_id = $1)""",
        ),
        ("verifications", "UPDATE verifications SET service_id = $1 WHERE service_id = $2"),
        (
            "views",
            """WITH gone AS (DELETE FROM service_views WHERE service_id = $2 RETURNING day, served)
                     INSERT INTO service_views AS v (service_id, day, served) SELECT $1, day, served FROM gone
                     ON CONFLICT (service_id, day) DO UPDATE SET served = v.served + excluded.served""",
        ),
        ("suggestions", "UPDATE suggestions SET service_id = $1 WHERE service_id = $2"),
        (
            "reindexed",
            "SELECT refresh_resource_index(ARRAY(SELECT id FROM service_at_location WHERE service_id = $1)) "
            "WHERE $2::uuid IS NOT NULL",
        ),
        (
            "deleted",
            """UPDATE services SET deleted_at = now(), status_before_delete = status, status = 'defunct'
                        WHERE id = $2 AND id <> $1""",
        ),
    ],
    "location": [
        ("links", "UPDATE service_at_location SET location_id = $1 WHERE location_id = $2"),
        ("phones", MOVE_PHONES["location"]),
        (
            "hours",
            """UPDATE schedules SET location_id = $1 WHERE location_id = $2
                      AND NOT EXISTS (SELECT 1 FROM schedules WHERE location_id = $1)""",
        ),
        (
            "exceptions",
            """UPDATE schedule_exceptions SET location_id = $1 WHERE location_id = $2
                           AND NOT EXISTS (SELECT 1 FROM schedule_exceptions WHERE location_id = $1)""",
        ),
        (
            "reindexed",
            "SELECT refresh_resource_index(ARRAY(SELECT id FROM service_at_location WHERE location_id = $1)) "
            "WHERE $2::uuid IS NOT NULL",
        ),
        ("deleted", "UPDATE locations SET deleted_at = now() WHERE id = $2 AND id <> $1"),
    ],
    "organization": [
        ("services", "UPDATE services SET organization_id = $1 WHERE organization_id = $2"),
        ("locations", "UPDATE locations SET organization_id = $1 WHERE organization_id = $2"),
        ("phones", MOVE_PHONES["organization"]),
        # Keys that managed the duplicate now manage the survivor.
        (
            "keys",
            """UPDATE api_keys SET organization_ids = array_replace(organization_ids, $2, $1)
                     WHERE $2 = any(organization_ids)""",
        ),
        ("deleted", "UPDATE organizations SET deleted_at = now() WHERE id = $2 AND id <> $1"),
    ],
}

# The old id answers with a redirect to the survivor, and so do ids that had been merged into it.
REDIRECT = """
    WITH chained AS (UPDATE redirects SET new_id = $3 WHERE entity = $1 AND new_id = $2)
    INSERT INTO redirects (entity, old_id, new_id) VALUES ($1, $2, $3)
    ON CONFLICT (entity, old_id) DO UPDATE SET new_id = excluded.new_id
"""


def _count(status: str) -> int:
    return int(status.rsplit(" ", 1)[-1]) if status.rsplit(" ", 1)[-1].isdigit() else 0


async def merge(conn: asyncpg.Connection, kind: str, survivor: UUID, duplicate: UUID) -> dict[str, Any]:
    """Fold a duplicate into its survivor; how many rows each step moved."""
    moved: dict[str, int] = {}
    if kind in FOLD_SHARED_LINKS:
        moved["shared_links"] = _count(await conn.execute(FOLD_SHARED_LINKS[kind], survivor, duplicate))
    for name, statement in MERGE_STEPS[kind]:
        count = _count(await conn.execute(statement, survivor, duplicate))
        if name not in ("deleted", "reindexed"):
            moved[name] = count
    await conn.execute(REDIRECT, kind, duplicate, survivor)
    return moved
