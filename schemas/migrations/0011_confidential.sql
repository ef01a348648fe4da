-- Confidential locations (a domestic-violence shelter, a safe house): public responses carry no
-- street address and coordinates rounded to 0.01 degree (about 1 km), marked approximate. The
-- search table itself holds only the rounded point, so neither distances nor the nearest-first
-- order can be used to triangulate the real one. Admin calls on a location see everything.

ALTER TABLE locations ADD COLUMN confidential boolean NOT NULL DEFAULT false;

CREATE FUNCTION public_coordinate(p_value float8, p_confidential boolean) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_confidential THEN round(p_value::numeric, 2)::float8 ELSE p_value END
$$;

-- A location's summary document from its columns (scalar arguments, so it is inlined).
CREATE FUNCTION location_document(p_id uuid, p_name text, p_type text, p_latitude float8, p_longitude float8,
                                  p_address_1 text, p_address_2 text, p_city text, p_region text,
                                  p_state_province text, p_postal_code text, p_country text, p_timezone text,
                                  p_confidential boolean)
RETURNS json LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT json_build_object(
        'id', p_id, 'name', p_name, 'location_type', p_type,
        'latitude', public_coordinate(p_latitude, p_confidential),
        'longitude', public_coordinate(p_longitude, p_confidential),
        'address', CASE WHEN p_address_1 IS NULL OR p_confidential THEN NULL ELSE json_build_object(
            'address_1', p_address_1, 'address_2', p_address_2, 'city', p_city, 'region', p_region,
            'state_province', p_state_province, 'postal_code', p_postal_code, 'country', p_country) END,
        'timezone', p_timezone, 'approximate', p_confidential)
$$;

CREATE OR REPLACE FUNCTION location_summary_json(l locations) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT location_document(l.id, l.name, l.location_type, l.latitude, l.longitude, l.address_1, l.address_2,
                             l.city, l.region, l.state_province, l.postal_code, l.country, l.timezone,
                             l.confidential)
$$;

-- The location as stored: p_exact (admin calls) shows the real place of a confidential one.
CREATE FUNCTION location_full_json(l locations, p_exact boolean) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT (location_document(l.id, l.name, l.location_type, l.latitude, l.longitude, l.address_1, l.address_2,
                              l.city, l.region, l.state_province, l.postal_code, l.country, l.timezone,
                              l.confidential AND NOT p_exact)::jsonb
            || jsonb_build_object(
        'confidential', l.confidential,
        'organization_id', l.organization_id, 'alternate_name', l.alternate_name,
        'description', l.description, 'transportation', l.transportation, 'url', l.url,
        'service_ids', (SELECT coalesce(jsonb_agg(sal.service_id ORDER BY sal.service_id), '[]'::jsonb)
                          FROM service_at_location sal WHERE sal.location_id = l.id),
        'phones', owned_phones_json(l.id), 'schedules', owned_schedules_json(l.id),
        'created_at', l.created_at, 'updated_at', l.updated_at))::json
$$;

CREATE OR REPLACE FUNCTION hsds_location(l locations) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'id', l.id, 'location_type', l.location_type, 'url', l.url, 'organization_id', l.organization_id,
        'name', l.name, 'alternate_name', l.alternate_name, 'description', l.description,
        'transportation', l.transportation,
        'latitude', public_coordinate(l.latitude, l.confidential),
        'longitude', public_coordinate(l.longitude, l.confidential),
        'addresses', CASE WHEN l.address_1 IS NULL OR l.confidential THEN '[]'::jsonb ELSE jsonb_build_array(
            jsonb_strip_nulls(jsonb_build_object(
                'id', hsds_address_id(l.id), 'location_id', l.id,
                'address_1', l.address_1, 'address_2', l.address_2,
                'city', coalesce(l.city, ''), 'region', l.region,
                'state_province', coalesce(l.state_province, ''),
                'postal_code', coalesce(l.postal_code, ''), 'country', coalesce(l.country, ''),
                'address_type', CASE WHEN l.location_type = 'postal' THEN 'postal' ELSE 'physical' END,
                'attributes', '[]'::jsonb, 'metadata', '[]'::jsonb))) END,
        'phones', hsds_phones(l.id), 'schedules', hsds_schedules(l.id),
        'languages', '[]'::jsonb, 'contacts', '[]'::jsonb, 'accessibility', '[]'::jsonb,
        'attributes', '[]'::jsonb, 'metadata', '[]'::jsonb))
$$;

CREATE OR REPLACE FUNCTION hsds_location_summary(l locations) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'id', l.id, 'location_type', l.location_type, 'url', l.url, 'organization_id', l.organization_id,
        'name', l.name, 'alternate_name', l.alternate_name, 'description', l.description,
        'transportation', l.transportation,
        'latitude', public_coordinate(l.latitude, l.confidential),
        'longitude', public_coordinate(l.longitude, l.confidential)))
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
                                exception_dates, exception_opens, exception_closes, head)
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
                                             l.country, l.timezone, l.confidential),
               'description', t.description,
               'phones', coalesce(p.phones, '[]'::json),
               'schedules', coalesce(h.schedules, '[]'::json))::text, -1)
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
           head = EXCLUDED.head;
END
$$;

-- The flag is a column of locations: its update trigger already refreshes the resources there.
SELECT refresh_resource_index(ARRAY(SELECT id FROM service_at_location));
