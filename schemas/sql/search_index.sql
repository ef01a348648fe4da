-- The search table (resource_index): one row per service at a location, kept exact by triggers.
-- Live objects, each defined once: re-applied (CREATE OR REPLACE) whenever this file changes.

-- Bulk loaders may SET LOCAL commonground.defer_index = 'on' and call refresh_resource_index once.
CREATE OR REPLACE FUNCTION resource_index_deferred() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('commonground.defer_index', true), '') = 'on'
$$;

-- The instant timelines are laid out from: now, unless a test sets commonground.laid_out_at to
-- see a row as it would have been written then.
CREATE OR REPLACE FUNCTION laid_out_at() RETURNS timestamptz LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('commonground.laid_out_at', true), '')::timestamptz, now())
$$;

-- A search row's categories and attributes as one tsvector, for the nearest-first walk's index
-- (resource_index_geo_facets, migration 0016): categories as lexemes 'c.<slug>', attributes as 'a.<slug>'.
CREATE OR REPLACE FUNCTION facet_vector(p_categories text[], p_attributes text[]) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT array_to_tsvector(array(SELECT 'c.' || c FROM unnest(p_categories) AS c WHERE c IS NOT NULL)
                             || array(SELECT 'a.' || a FROM unnest(p_attributes) AS a WHERE a IS NOT NULL))
$$;

-- Rebuild search rows set-based: one pass that joins and aggregates categories, attributes,
-- capacity, exceptions, phones and hours for all the resources at once, instead of one
-- resource_document() call per row (about 20x faster for imports; a single-row refresh costs about
-- the same). The documents are the text resource_document() builds (a test compares them).
CREATE OR REPLACE FUNCTION refresh_resource_index(p_ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_ids IS NULL OR cardinality(p_ids) = 0 THEN
        RETURN;
    END IF;
    -- Lock first (in id order, so concurrent refreshes cannot deadlock), then read a fresh snapshot.
    PERFORM 1 FROM service_at_location sal JOIN (SELECT DISTINCT unnest(p_ids) AS id) AS k ON k.id = sal.id
     ORDER BY sal.id FOR UPDATE OF sal;
    INSERT INTO resource_index (id, status, categories, name, search_vector, latitude, longitude, geo, timezone,
                                weekdays, opens, closes, valid_from, valid_to, zones, week_open, hours_simple,
                                attributes, genders, minimum_age, maximum_age, cost, languages, capacity,
                                exception_dates, exception_opens, exception_closes, head, timeline_from,
                                timeline_since, timeline_until, timeline_starts, timeline_ends, timeline_days,
                                open_keys, facets)
    WITH targets AS (
        SELECT sal.id, sal.service_id, sal.location_id, sal.description, s.organization_id
          FROM (SELECT DISTINCT unnest(p_ids) AS id) AS k
          JOIN service_at_location sal ON sal.id = k.id
          JOIN services s ON s.id = sal.service_id
    ), service_ids AS (
        SELECT DISTINCT service_id FROM targets
    ), categories AS (
        SELECT sc.service_id, array_agg(sc.category_slug ORDER BY sc.category_slug) AS slugs,
               json_agg(sc.category_slug ORDER BY sc.category_slug) AS slugs_json
          FROM service_categories sc JOIN service_ids USING (service_id)
         GROUP BY sc.service_id
    ), service_attribute_lists AS (
        SELECT sa.service_id, array_agg(sa.attribute_slug ORDER BY sa.attribute_slug) AS slugs,
               json_agg(sa.attribute_slug ORDER BY sa.attribute_slug) AS slugs_json
          FROM service_attributes sa JOIN service_ids USING (service_id)
         GROUP BY sa.service_id
    ), capacities AS (
        SELECT service_id, jsonb_agg(jsonb_build_object('unit', unit, 'available', available, 'maximum', maximum,
                                                        'updated_at', updated_at) ORDER BY unit) AS capacity
          FROM (SELECT DISTINCT ON (c.service_id, c.unit) c.*
                  FROM service_capacity c JOIN service_ids USING (service_id)
                 ORDER BY c.service_id, c.unit, c.updated_at DESC, c.id DESC) AS latest
         GROUP BY service_id
    ), exceptions AS (
        -- Every exception of the resource, its service or its location applies (a location's
        -- holiday closes everything there). Only recent and future ones matter.
        SELECT t.id AS resource_id,
               array_agg(x.day ORDER BY x.day, x.opens_at NULLS FIRST) AS days,
               array_agg(x.opens_at ORDER BY x.day, x.opens_at NULLS FIRST) AS opens,
               array_agg(x.closes_at ORDER BY x.day, x.opens_at NULLS FIRST) AS closes
          FROM targets t
          JOIN schedule_exceptions x ON x.service_at_location_id = t.id OR x.service_id = t.service_id
                                     OR x.location_id = t.location_id
         WHERE x.day >= current_date - 2
         GROUP BY t.id
    ), owned_phones AS (
        SELECT t.id AS resource_id, 0 AS rank, p.* FROM targets t JOIN phones p ON p.service_at_location_id = t.id
        UNION ALL
        SELECT t.id, 1, p.* FROM targets t JOIN phones p ON p.service_id = t.service_id
        UNION ALL
        SELECT t.id, 2, p.* FROM targets t JOIN phones p ON p.location_id = t.location_id
        UNION ALL
        SELECT t.id, 3, p.* FROM targets t JOIN phones p ON p.organization_id = t.organization_id
    ), phone_lists AS (
        SELECT resource_id,
               json_agg(json_build_object('id', id, 'number', number, 'extension', extension, 'type', type,
                                          'description', description)
                        ORDER BY rank, position, id) AS phones
          FROM owned_phones GROUP BY resource_id
    ), candidate_hours AS (
        SELECT t.id AS resource_id, 0 AS rank, h.* FROM targets t JOIN schedules h ON h.service_at_location_id = t.id
        UNION ALL
        SELECT t.id, 1, h.* FROM targets t JOIN schedules h ON h.service_id = t.service_id
        UNION ALL
        SELECT t.id, 2, h.* FROM targets t JOIN schedules h ON h.location_id = t.location_id
    ), applied_hours AS (
        -- resource_schedules(): the most specific owner that has any hours wins.
        SELECT * FROM (SELECT c.*, min(c.rank) OVER (PARTITION BY c.resource_id) AS best FROM candidate_hours c) AS r
         WHERE rank = best
    ), hours AS (
        SELECT a.resource_id,
               json_agg(json_build_object('id', a.id, 'weekday', a.weekday,
                                          'opens_at', to_char(a.opens_at, 'HH24:MI'),
                                          'closes_at', to_char(a.closes_at, 'HH24:MI'),
                                          'timezone', a.timezone, 'valid_from', a.valid_from,
                                          'valid_to', a.valid_to, 'description', a.description)
                        ORDER BY a.weekday, a.opens_at, a.position, a.id) AS schedules,
               array_agg(a.weekday ORDER BY a.weekday, a.opens_at, a.position, a.id) AS weekdays,
               array_agg(a.opens_at ORDER BY a.weekday, a.opens_at, a.position, a.id) AS opens,
               array_agg(a.closes_at ORDER BY a.weekday, a.opens_at, a.position, a.id) AS closes,
               array_agg(a.valid_from ORDER BY a.weekday, a.opens_at, a.position, a.id) AS valid_from,
               array_agg(a.valid_to ORDER BY a.weekday, a.opens_at, a.position, a.id) AS valid_to,
               array_agg(a.timezone ORDER BY a.weekday, a.opens_at, a.position, a.id) AS zones,
               range_agg(week_ranges(a.weekday, a.opens_at, a.closes_at)) AS week_open,
               bool_and(a.valid_from IS NULL AND a.valid_to IS NULL
                        AND (a.timezone IS NULL OR a.timezone = l.timezone)) AS simple
          FROM applied_hours a
          JOIN targets t ON t.id = a.resource_id
          JOIN locations l ON l.id = t.location_id
         GROUP BY a.resource_id
    ), tl_frame AS (
        -- The timeline (migration 0005): opening spans of the local dates first_day - 1 .. first_day + 23
        -- and hours_today of the 16 from first_day (yesterday), as resource_open_at() and
        -- resource_hours() work them out. Only for a location with a time zone whose openings use no
        -- other one; those functions answer the rest, and any instant outside [since, until).
        SELECT t.id, l.timezone AS tz, (laid_out_at() AT TIME ZONE l.timezone)::date - 1 AS first_day
          FROM targets t JOIN locations l ON l.id = t.location_id LEFT JOIN hours h ON h.resource_id = t.id
         WHERE l.timezone IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM unnest(h.zones) z WHERE z IS NOT NULL AND z <> l.timezone)
    ), tl_openings AS (
        SELECT o.id, o.kind, o.ord, o.day, o.opens, o.closes, f.tz, (o.day + o.opens) AT TIME ZONE f.tz AS starts,
               (o.day + o.closes + CASE WHEN o.closes <= o.opens THEN interval '1 day' ELSE interval '0' END)
                   AT TIME ZONE f.tz AS ends
          FROM (SELECT f.id, 0 AS kind, e.ord, f.first_day - 1 + k AS day, e.opens, e.closes
                  FROM tl_frame f JOIN hours h ON h.resource_id = f.id
                  LEFT JOIN exceptions x ON x.resource_id = f.id,
                       unnest(h.weekdays, h.opens, h.closes, h.valid_from, h.valid_to)
                           WITH ORDINALITY AS e(weekday, opens, closes, valid_from, valid_to, ord),
                       generate_series((e.weekday - extract(isodow FROM f.first_day - 1)::int + 7) % 7, 24, 7) AS k
                 WHERE (e.valid_from IS NULL OR f.first_day - 1 + k >= e.valid_from)
                   AND (e.valid_to IS NULL OR f.first_day - 1 + k <= e.valid_to)
                   AND NOT (f.first_day - 1 + k = any(coalesce(x.days, '{}')))
                UNION ALL
                SELECT f.id, 1, e.ord, e.day, e.opens, e.closes
                  FROM tl_frame f JOIN exceptions x ON x.resource_id = f.id,
                       unnest(x.days, x.opens, x.closes) WITH ORDINALITY AS e(day, opens, closes, ord)
                 WHERE e.opens IS NOT NULL AND e.day BETWEEN f.first_day - 1 AND f.first_day + 23) AS o
          JOIN tl_frame f ON f.id = o.id
    ), tl_merged AS (
        SELECT o.id, unnest(range_agg(tstzrange(o.starts, o.ends))) AS span
          FROM tl_openings o WHERE o.ends > o.starts GROUP BY o.id
    ), tl_spans AS (
        SELECT m.id, array_agg(lower(m.span) ORDER BY m.span) AS starts, array_agg(upper(m.span) ORDER BY m.span) AS ends
          FROM tl_merged m GROUP BY m.id
    ), tl_keys AS (
        -- open_keys (migration 0007): the hours of [since, until) a span touches. Where the UTC
        -- offset changes within 3 hours of a span's edge, the edge moves out by 3 hours: the weekly
        -- fast path of OPEN_AT reads the local clock (week_second), which on a DST night may call
        -- open an instant an hour from the span laid out here.
        SELECT m.id, hour_keys(range_agg(int4range(h.lo, h.hi)) FILTER (WHERE h.lo < h.hi)) AS keys
          FROM tl_merged m JOIN tl_frame f ON f.id = m.id,
               LATERAL (SELECT lower(m.span) - CASE WHEN utc_offset(lower(m.span) - interval '3 hours', f.tz)
                                                        <> utc_offset(lower(m.span) + interval '3 hours', f.tz)
                                                   THEN interval '3 hours' ELSE interval '0' END AS starts,
                               upper(m.span) + CASE WHEN utc_offset(upper(m.span) - interval '3 hours', f.tz)
                                                        <> utc_offset(upper(m.span) + interval '3 hours', f.tz)
                                                   THEN interval '3 hours' ELSE interval '0' END AS ends) AS e,
               LATERAL (SELECT greatest(floor(extract(epoch FROM e.starts) / 3600),
                                        floor(extract(epoch FROM f.first_day::timestamp AT TIME ZONE f.tz) / 3600))::int
                                   AS lo,
                               least(ceil(extract(epoch FROM e.ends) / 3600),
                                     ceil(extract(epoch FROM (f.first_day + 16)::timestamp AT TIME ZONE f.tz) / 3600))::int
                                   AS hi) AS h
         GROUP BY m.id
    ), tl_today AS (
        -- resource_hours()'s hours_today: exceptions as written, weekly openings in local time
        -- (24:00 when one ends at midnight), in the order of the hours arrays.
        SELECT o.id, o.day, string_agg(format('{"opens_at":"%s","closes_at":"%s"}',
                   CASE WHEN o.kind = 1 THEN to_char(o.opens, 'HH24:MI')
                        ELSE to_char(o.starts AT TIME ZONE o.tz, 'HH24:MI') END,
                   CASE WHEN o.kind = 1 THEN to_char(o.closes, 'HH24:MI')
                        WHEN o.ends AT TIME ZONE o.tz = (o.day + 1)::timestamp THEN '24:00'
                        ELSE to_char(o.ends AT TIME ZONE o.tz, 'HH24:MI') END), ',' ORDER BY o.ord) AS parts
          FROM tl_openings o GROUP BY o.id, o.day
    ), timelines AS (
        SELECT f.id, f.first_day, f.first_day::timestamp AT TIME ZONE f.tz AS since,
               (f.first_day + 16)::timestamp AT TIME ZONE f.tz AS until, s.starts, s.ends, d.days,
               coalesce(k.keys, '{}') AS keys
          FROM tl_frame f
          LEFT JOIN tl_spans s ON s.id = f.id
          LEFT JOIN tl_keys k ON k.id = f.id
          JOIN (SELECT f.id, array_agg('[' || coalesce(t.parts, '') || ']' ORDER BY k) AS days
                  FROM tl_frame f CROSS JOIN generate_series(0, 15) AS k
                  LEFT JOIN tl_today t ON t.id = f.id AND t.day = f.first_day + k
                 GROUP BY f.id) AS d ON d.id = f.id
    )
    SELECT t.id, s.status, coalesce(c.slugs, '{}'), s.name, s.search_vector,
           public_coordinate(l.latitude, l.confidential), public_coordinate(l.longitude, l.confidential),
           CASE WHEN l.confidential AND l.latitude IS NOT NULL
                THEN ll_to_earth(public_coordinate(l.latitude, true), public_coordinate(l.longitude, true))
                ELSE l.geo END,
           l.timezone, coalesce(h.weekdays, '{}'), coalesce(h.opens, '{}'), coalesce(h.closes, '{}'),
           coalesce(h.valid_from, '{}'), coalesce(h.valid_to, '{}'), coalesce(h.zones, '{}'), h.week_open,
           coalesce(h.simple, true),
           coalesce(a.slugs, '{}'), s.genders, s.minimum_age, s.maximum_age, s.cost, s.languages,
           coalesce(cap.capacity, '[]'::jsonb),
           coalesce(x.days, '{}'), coalesce(x.opens, '{}'), coalesce(x.closes, '{}'),
           left(json_build_object(
               'id', t.id,
               -- service_summary_json(s), written out with the aggregates above.
               'service', json_build_object(
                   'id', s.id, 'name', s.name, 'alternate_name', s.alternate_name, 'description', s.description,
                   'categories', coalesce(c.slugs_json, '[]'::json),
                   'status', s.status, 'url', s.url, 'email', s.email,
                   'eligibility_description', s.eligibility_description, 'fees_description', s.fees_description,
                   'application_process', s.application_process, 'languages', to_json(s.languages),
                   'assured_date', s.assured_date,
                   'attributes', coalesce(a.slugs_json, '[]'::json),
                   'genders', to_json(s.genders), 'minimum_age', s.minimum_age, 'maximum_age', s.maximum_age,
                   'cost', to_json(s.cost)),
               'organization', json_build_object('id', o.id, 'name', o.name),
               'location', location_document(l.id, l.name, l.location_type, l.latitude, l.longitude, l.address_1,
                                             l.address_2, l.city, l.region, l.state_province, l.postal_code,
                                             l.country, l.timezone, l.confidential, l.approximate),
               'description', t.description,
               'phones', coalesce(p.phones, '[]'::json),
               'schedules', coalesce(h.schedules, '[]'::json))::text, -1),
           tl.first_day, tl.since, coalesce(tl.until, laid_out_at() + interval '16 days'), tl.starts, tl.ends,
           tl.days, tl.keys, facet_vector(c.slugs, a.slugs)
      FROM targets t
      JOIN services s ON s.id = t.service_id
      JOIN organizations o ON o.id = s.organization_id
      JOIN locations l ON l.id = t.location_id
      LEFT JOIN categories c ON c.service_id = t.service_id
      LEFT JOIN service_attribute_lists a ON a.service_id = t.service_id
      LEFT JOIN capacities cap ON cap.service_id = t.service_id
      LEFT JOIN exceptions x ON x.resource_id = t.id
      LEFT JOIN phone_lists p ON p.resource_id = t.id
      LEFT JOIN hours h ON h.resource_id = t.id
      LEFT JOIN timelines tl ON tl.id = t.id
    ON CONFLICT (id) DO UPDATE
       SET status = EXCLUDED.status, categories = EXCLUDED.categories, name = EXCLUDED.name,
           search_vector = EXCLUDED.search_vector, latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude,
           geo = EXCLUDED.geo, timezone = EXCLUDED.timezone, weekdays = EXCLUDED.weekdays, opens = EXCLUDED.opens,
           closes = EXCLUDED.closes, valid_from = EXCLUDED.valid_from, valid_to = EXCLUDED.valid_to,
           zones = EXCLUDED.zones, week_open = EXCLUDED.week_open, hours_simple = EXCLUDED.hours_simple,
           attributes = EXCLUDED.attributes, genders = EXCLUDED.genders, minimum_age = EXCLUDED.minimum_age,
           maximum_age = EXCLUDED.maximum_age, cost = EXCLUDED.cost, languages = EXCLUDED.languages,
           capacity = EXCLUDED.capacity, exception_dates = EXCLUDED.exception_dates,
           exception_opens = EXCLUDED.exception_opens, exception_closes = EXCLUDED.exception_closes,
           head = EXCLUDED.head, timeline_from = EXCLUDED.timeline_from,
           timeline_since = EXCLUDED.timeline_since, timeline_until = EXCLUDED.timeline_until,
           timeline_starts = EXCLUDED.timeline_starts, timeline_ends = EXCLUDED.timeline_ends,
           timeline_days = EXCLUDED.timeline_days, open_keys = EXCLUDED.open_keys, facets = EXCLUDED.facets;
    -- A deleted service, location or organization leaves search. Its rows are removed after the upsert
    -- rather than filtered out of it: a deleted_at filter there wrecks the row estimates of a bulk load
    -- planned before ANALYZE (10,000 resources took 53 s instead of 6).
    DELETE FROM resource_index ri
     USING service_at_location sal, services s, locations l, organizations o
     WHERE ri.id = any(p_ids) AND sal.id = ri.id AND s.id = sal.service_id AND l.id = sal.location_id
       AND o.id = s.organization_id
       AND (s.deleted_at IS NOT NULL OR l.deleted_at IS NOT NULL OR o.deleted_at IS NOT NULL);
END
$$;

-- After a statement on a table the search rows are built from: refresh the rows it touched, found
-- from its transition table `changed`. TG_ARGV[0] says what a changed row is: a service at a
-- location, a service, a location, an organization, a row of a service's (categories, attributes,
-- capacity), hours (owned by a link, a service or a location), or phones (or by an organization too).
CREATE OR REPLACE FUNCTION reindex_after() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF resource_index_deferred() THEN
        RETURN NULL;
    END IF;
    CASE TG_ARGV[0]
    WHEN 'link' THEN
        PERFORM refresh_resource_index(ARRAY(SELECT c.id FROM changed c));
    WHEN 'service' THEN
        PERFORM refresh_resource_index(ARRAY(
            SELECT sal.id FROM changed c JOIN service_at_location sal ON sal.service_id = c.id));
    WHEN 'location' THEN
        PERFORM refresh_resource_index(ARRAY(
            SELECT sal.id FROM changed c JOIN service_at_location sal ON sal.location_id = c.id));
    WHEN 'organization' THEN
        PERFORM refresh_resource_index(ARRAY(
            SELECT sal.id FROM changed c
              JOIN services s ON s.organization_id = c.id
              JOIN service_at_location sal ON sal.service_id = s.id));
    WHEN 'of_service' THEN
        PERFORM refresh_resource_index(ARRAY(
            SELECT sal.id FROM (SELECT DISTINCT service_id FROM changed) c
              JOIN service_at_location sal ON sal.service_id = c.service_id));
    WHEN 'hours' THEN
        PERFORM refresh_resource_index(ARRAY(
            SELECT sal.id FROM changed c JOIN service_at_location sal ON sal.id = c.service_at_location_id
            UNION SELECT sal.id FROM changed c JOIN service_at_location sal ON sal.service_id = c.service_id
            UNION SELECT sal.id FROM changed c JOIN service_at_location sal ON sal.location_id = c.location_id));
    WHEN 'phones' THEN
        PERFORM refresh_resource_index(ARRAY(
            SELECT sal.id FROM changed c JOIN service_at_location sal ON sal.id = c.service_at_location_id
            UNION SELECT sal.id FROM changed c JOIN service_at_location sal ON sal.service_id = c.service_id
            UNION SELECT sal.id FROM changed c JOIN service_at_location sal ON sal.location_id = c.location_id
            UNION SELECT sal.id FROM changed c JOIN services s ON s.organization_id = c.organization_id
                                               JOIN service_at_location sal ON sal.service_id = s.id));
    END CASE;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER locations_reindex AFTER UPDATE ON locations
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION reindex_after('location');
CREATE OR REPLACE TRIGGER organizations_reindex AFTER UPDATE ON organizations
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION reindex_after('organization');
CREATE OR REPLACE TRIGGER phones_reindex_delete AFTER DELETE ON phones
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION reindex_after('phones');
CREATE OR REPLACE TRIGGER phones_reindex_insert AFTER INSERT ON phones
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION reindex_after('phones');
CREATE OR REPLACE TRIGGER phones_reindex_update_new AFTER UPDATE ON phones
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION reindex_after('phones');
CREATE OR REPLACE TRIGGER phones_reindex_update_old AFTER UPDATE ON phones
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION reindex_after('phones');
CREATE OR REPLACE TRIGGER schedule_exceptions_reindex_delete AFTER DELETE ON schedule_exceptions
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION reindex_after('hours');
CREATE OR REPLACE TRIGGER schedule_exceptions_reindex_insert AFTER INSERT ON schedule_exceptions
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION reindex_after('hours');
CREATE OR REPLACE TRIGGER schedules_reindex_delete AFTER DELETE ON schedules
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION reindex_after('hours');
CREATE OR REPLACE TRIGGER schedules_reindex_insert AFTER INSERT ON schedules
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION reindex_after('hours');
CREATE OR REPLACE TRIGGER schedules_reindex_update_new AFTER UPDATE ON schedules
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION reindex_after('hours');
CREATE OR REPLACE TRIGGER schedules_reindex_update_old AFTER UPDATE ON schedules
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION reindex_after('hours');
CREATE OR REPLACE TRIGGER service_at_location_reindex_insert AFTER INSERT ON service_at_location
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION reindex_after('link');
CREATE OR REPLACE TRIGGER service_at_location_reindex_update AFTER UPDATE ON service_at_location
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION reindex_after('link');
CREATE OR REPLACE TRIGGER service_attributes_reindex_delete AFTER DELETE ON service_attributes
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION reindex_after('of_service');
CREATE OR REPLACE TRIGGER service_attributes_reindex_insert AFTER INSERT ON service_attributes
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION reindex_after('of_service');
CREATE OR REPLACE TRIGGER service_capacity_reindex AFTER INSERT ON service_capacity
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION reindex_after('of_service');
CREATE OR REPLACE TRIGGER service_categories_reindex_delete AFTER DELETE ON service_categories
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION reindex_after('of_service');
CREATE OR REPLACE TRIGGER service_categories_reindex_insert AFTER INSERT ON service_categories
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION reindex_after('of_service');
CREATE OR REPLACE TRIGGER services_reindex AFTER UPDATE ON services
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION reindex_after('service');
