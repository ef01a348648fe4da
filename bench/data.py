"""Synthetic directories of N located resources (and N weekly meetings), generated inside PostgreSQL."""

import datetime as dt
import random

import asyncpg

from service.search.weekly import week_spans

# Metro centres the synthetic listings cluster around (US, Pacific islands, and a few abroad),
# so that query points land where real searches would.
METROS = [
    (45.52, -122.68),
    (47.61, -122.33),
    (37.77, -122.42),
    (34.05, -118.24),
    (32.72, -117.16),
    (33.45, -112.07),
    (39.74, -104.99),
    (29.76, -95.37),
    (32.78, -96.80),
    (30.27, -97.74),
    (41.88, -87.63),
    (44.98, -93.27),
    (39.10, -94.58),
    (38.63, -90.20),
    (36.16, -86.78),
    (33.75, -84.39),
    (25.76, -80.19),
    (28.54, -81.38),
    (35.23, -80.84),
    (38.91, -77.04),
    (39.29, -76.61),
    (39.95, -75.17),
    (40.71, -74.01),
    (42.36, -71.06),
    (42.33, -83.05),
    (41.50, -81.69),
    (40.44, -79.99),
    (43.05, -87.91),
    (39.77, -86.16),
    (35.47, -97.52),
    (36.17, -115.14),
    (40.76, -111.89),
    (43.62, -116.20),
    (46.88, -96.79),
    (21.31, -157.86),
    (19.71, -155.08),
    (61.22, -149.90),
    (64.84, -147.72),
    (58.30, -134.42),
    (13.44, 144.79),
    (-18.14, 178.44),
    (-13.83, -171.76),
    (51.88, -176.66),
    (18.47, -66.11),
    (64.15, -21.94),
    (-33.87, 151.21),
    (51.51, -0.13),
    (-41.29, 174.78),
]

GENERATE = """
    CREATE TEMP TABLE synth ON COMMIT DROP AS
    SELECT g,
           gen_random_uuid() AS organization_id, gen_random_uuid() AS service_id,
           gen_random_uuid() AS location_id, gen_random_uuid() AS link_id,
           least(89.9, greatest(-89.9, ($2::float8[])[1 + g % array_length($2, 1)] + (random() - 0.5) * 0.6)) AS lat,
           ((($3::float8[])[1 + g % array_length($3, 1)] + (random() - 0.5) * 0.8 + 540)::numeric % 360 - 180)::float8
               AS lon
      FROM generate_series(1, $1::int) AS g;
"""

FILL = [
    "INSERT INTO organizations (id, name) SELECT organization_id, 'Organization ' || g FROM synth WHERE g % 5 = 1",
    """INSERT INTO services (id, organization_id, name, description, status, languages)
       SELECT s.service_id, o.organization_id, 'Service ' || s.g,
              'Synthetic listing number ' || s.g || ': ' || (ARRAY['naloxone kits and training', 'shelter beds tonight',
              'legal aid clinic', 'rides to court', 'syringe services', 'recovery housing'])[1 + s.g / 48 % 6],
              CASE WHEN s.g % 40 = 0 THEN 'inactive' ELSE 'active' END,
              CASE WHEN s.g / 48 % 3 = 0 THEN '{en,es}'::text[] ELSE '{en}'::text[] END
         FROM synth s JOIN synth o ON o.g = (s.g - 1) / 5 * 5 + 1""",
    """INSERT INTO service_categories (service_id, category_slug)
       SELECT s.service_id, c.slug
         FROM synth s
         JOIN (SELECT slug, row_number() OVER (ORDER BY slug) - 1 AS n FROM categories WHERE parent_slug IS NOT NULL) c
           ON c.n = (s.g / 48) % 16""",  # g % 48 picks the metro: keep categories independent of it
    """INSERT INTO locations (id, name, latitude, longitude, timezone, address_1, city, postal_code, country)
       SELECT location_id, 'Site ' || g, lat, lon, 'America/Chicago', g || ' Main St', 'Town', '00000', 'US'
         FROM synth""",
    "INSERT INTO service_at_location (id, service_id, location_id) SELECT link_id, service_id, location_id FROM synth",
    """INSERT INTO phones (service_at_location_id, number, type)
       SELECT link_id, '555-01' || lpad((g % 100)::text, 2, '0'), 'voice' FROM synth""",
    """INSERT INTO schedules (service_at_location_id, weekday, opens_at, closes_at)
       SELECT link_id, d, '09:00', '17:00' FROM synth, generate_series(1, 5) d WHERE g / 48 % 5 < 3""",
    """INSERT INTO schedules (service_at_location_id, weekday, opens_at, closes_at)
       SELECT link_id, d, '19:00', '07:00' FROM synth, generate_series(1, 7) d WHERE g / 48 % 5 = 3""",
    """INSERT INTO service_attributes (service_id, attribute_slug)
       SELECT service_id, a FROM synth, unnest(ARRAY[
           CASE WHEN g / 48 % 3 = 0 THEN 'no-id-required' END, CASE WHEN g / 48 % 4 = 0 THEN 'walk-in' END,
           CASE WHEN g / 48 % 5 = 0 THEN 'accepts-moud' END]) AS a
        WHERE a IS NOT NULL""",
    """INSERT INTO service_capacity (service_id, unit, available, maximum)
       SELECT service_id, 'bed', g % 4, 20 FROM synth WHERE g / 48 % 10 = 0""",
    # Every attribute above keys on g / 48, not g: g % 48 picks the metro, and the two must not
    # correlate. One service in a hundred also serves a 30 km circle around its site (a van, a hotline).
    """INSERT INTO service_areas (service_id, center_latitude, center_longitude, radius_m)
       SELECT service_id, lat, lon, 30000 FROM synth WHERE g / 48 % 100 = 7""",
    """INSERT INTO service_area_boxes (area_id, extent)
       SELECT a.id, box(point(a.center_longitude - d.lon, a.center_latitude - d.lat),
                        point(a.center_longitude + d.lon, a.center_latitude + d.lat))
         FROM service_areas a,
              LATERAL (SELECT 30000 * 1.01 / 111320 AS lat,
                              30000 * 1.01 / 111320
                              / cos(radians(least(89, abs(a.center_latitude) + 0.3))) AS lon) d""",
]


async def generate(conn: asyncpg.Connection, size: int) -> None:
    """Fill an empty, migrated database with size resources."""
    async with conn.transaction():
        # Build the search index once at the end instead of after every statement.
        await conn.execute("SET LOCAL commonground.defer_index = 'on'")
        await conn.execute("SELECT setseed(0.42)")
        await conn.execute(GENERATE, size, [lat for lat, _ in METROS], [lon for _, lon in METROS])
        for statement in FILL:
            await conn.execute(statement)
        await conn.execute("SELECT refresh_resource_index(ARRAY(SELECT link_id FROM synth))")
    await conn.execute("ANALYZE")


# A synthetic meeting's schedule, by pattern p = g / 48 % MEETING_PATTERNS (g % 48 picks the metro): ISO day
# 1 + p % 7, a start on the half hour from 06:00 to 22:30 ((p / 7) % 34 half hours after 06:00), 60 or 90
# minutes (p / 238). One meeting in ten is online only.
MEETING_PATTERNS = 7 * 34 * 2
MEETING_ZONE = "America/Chicago"

INSERT_MEETINGS = """
    INSERT INTO meetings (source, slug, name, days, start_time, duration_minutes, timezone, latitude, longitude,
                          conference_url, types, fellowship)
    SELECT 'bench', 'm' || g, 'Meeting ' || g, ARRAY[1 + p % 7]::smallint[],
           time '06:00' + (p / 7 % 34) * interval '30 minutes', 60 + 30 * (p / 238), $4,
           CASE WHEN g % 10 <> 0 THEN least(89.9, greatest(-89.9,
                ($2::float8[])[1 + g % array_length($2, 1)] + (random() - 0.5) * 0.6)) END,
           CASE WHEN g % 10 <> 0 THEN ((($3::float8[])[1 + g % array_length($3, 1)] + (random() - 0.5) * 0.8
                + 540)::numeric % 360 - 180)::float8 END,
           CASE WHEN g % 10 = 0 OR g % 10 = 5 THEN 'https://meet.example/j/' || g END,
           CASE WHEN g / 48 % 3 = 0 THEN '{open,discussion}'::text[] ELSE '{closed}'::text[] END, 'AA'
      FROM generate_series(1, $1::int) AS g, LATERAL (SELECT g / 48 % $5 AS p) pattern
"""
# The week spans of every pattern, laid for each synthetic meeting with the point its trigger wrote.
INSERT_MEETING_SPANS = """
    INSERT INTO meeting_spans (meeting_id, span, geo)
    SELECT m.id, s.span, m.geo
      FROM meetings m JOIN unnest($1::int[], $2::int4range[]) AS s(pattern, span)
        ON s.pattern = substr(m.slug, 2)::int / 48 % $3
     WHERE m.source = 'bench'
"""
DELETE_MEETINGS = "DELETE FROM meetings WHERE source = 'bench'"


async def generate_meetings(conn: asyncpg.Connection, count: int) -> None:
    """Replace the synthetic weekly meetings by count of them, around the same metros as the resources."""
    patterns, spans = [], []
    for p in range(MEETING_PATTERNS):
        start = (dt.datetime(2000, 1, 1, 6) + dt.timedelta(minutes=30 * (p // 7 % 34))).time()
        for lower, upper in week_spans([1 + p % 7], start, 60 + 30 * (p // 238), MEETING_ZONE):
            patterns.append(p)
            spans.append(asyncpg.Range(lower, upper))
    async with conn.transaction():
        await conn.execute(DELETE_MEETINGS)
        await conn.execute("SELECT setseed(0.43)")
        await conn.execute(
            INSERT_MEETINGS,
            count,
            [lat for lat, _ in METROS],
            [lon for _, lon in METROS],
            MEETING_ZONE,
            MEETING_PATTERNS,
        )
        await conn.execute(INSERT_MEETING_SPANS, patterns, spans, MEETING_PATTERNS)
    await conn.execute("ANALYZE meetings, meeting_spans")


def query_points(count: int, seed: int = 1) -> list[tuple[float, float]]:
    """Search points around the same metros, identical for every mode of a run."""
    rng = random.Random(seed)
    points = []
    for _ in range(count):
        lat, lon = rng.choice(METROS)
        points.append(
            (round(lat + rng.uniform(-0.3, 0.3), 5), round((lon + rng.uniform(-0.4, 0.4) + 540) % 360 - 180, 5))
        )
    return points
