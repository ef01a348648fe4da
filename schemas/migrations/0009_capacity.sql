-- Live capacity and supplies (HSDS 3.1 service_capacity): every count reported is kept; the
-- latest per unit rides in the search table, and each request decides whether it is still current.

CREATE TABLE service_capacity (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    service_id  uuid NOT NULL REFERENCES services ON DELETE CASCADE,
    unit        text NOT NULL CHECK (unit ~ '^[a-z][a-z0-9-]{0,63}$'),
    available   int NOT NULL CHECK (available >= 0),
    maximum     int CHECK (maximum >= 0),
    updated_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK (maximum IS NULL OR available <= maximum)
);
CREATE INDEX service_capacity_latest ON service_capacity (service_id, unit, updated_at DESC, id DESC);

ALTER TABLE resource_index ADD COLUMN capacity jsonb NOT NULL DEFAULT '[]';

-- What a result shows: every unit's latest count, with its age; `available` is null once the count
-- is older than the request's max age (the last count stays visible as reported_available).
CREATE FUNCTION capacity_json(p_capacity jsonb, p_at timestamptz, p_max_age interval) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_capacity = '[]'::jsonb THEN '[]' ELSE (
        SELECT json_agg(json_build_object(
                   'unit', e->>'unit',
                   'available', CASE WHEN (e->>'updated_at')::timestamptz >= p_at - p_max_age
                                     THEN (e->>'available')::int END,
                   'maximum', (e->>'maximum')::int,
                   'reported_available', (e->>'available')::int,
                   'updated_at', (e->>'updated_at')::timestamptz,
                   'age_seconds', greatest(0, floor(extract(epoch FROM p_at - (e->>'updated_at')::timestamptz)))::int,
                   'current', (e->>'updated_at')::timestamptz >= p_at - p_max_age)
               ORDER BY e->>'unit')::text
          FROM jsonb_array_elements(p_capacity) AS e) END
$$;

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
                                attributes, genders, minimum_age, maximum_age, cost, languages, capacity, head)
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
    SELECT t.id, s.status, coalesce(c.slugs, '{}'), s.name, s.search_vector, l.latitude, l.longitude, l.geo,
           l.timezone, coalesce(h.weekdays, '{}'), coalesce(h.opens, '{}'), coalesce(h.closes, '{}'),
           coalesce(h.valid_from, '{}'), coalesce(h.valid_to, '{}'), coalesce(h.zones, '{}'), h.week_open,
           coalesce(h.simple, true),
           coalesce(a.slugs, '{}'), s.genders, s.minimum_age, s.maximum_age, s.cost, s.languages,
           coalesce(cap.capacity, '[]'::jsonb),
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
               -- location_summary_json(l), written out: a whole-row argument keeps it from being inlined.
               'location', json_build_object(
                   'id', l.id, 'name', l.name, 'location_type', l.location_type,
                   'latitude', l.latitude, 'longitude', l.longitude,
                   'address', CASE WHEN l.address_1 IS NULL THEN NULL ELSE json_build_object(
                       'address_1', l.address_1, 'address_2', l.address_2, 'city', l.city, 'region', l.region,
                       'state_province', l.state_province, 'postal_code', l.postal_code, 'country', l.country) END,
                   'timezone', l.timezone),
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
           capacity = EXCLUDED.capacity,
           head = EXCLUDED.head;
END
$$;

CREATE TRIGGER service_capacity_reindex AFTER INSERT ON service_capacity
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION reindex_after_service_categories();
