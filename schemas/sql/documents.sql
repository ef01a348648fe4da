-- The JSON documents the /v1 API answers with, built in the database from the rows.
-- Live objects, each defined once: re-applied (CREATE OR REPLACE) whenever this file changes.

-- JSON documents in the exact shapes of the API (schemas/*.py), built next to the data so a
-- search page is one round trip.
CREATE OR REPLACE FUNCTION phone_json(p phones) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', p.id, 'number', p.number, 'extension', p.extension,
                             'type', p.type, 'description', p.description)
$$;

CREATE OR REPLACE FUNCTION schedule_json(s schedules) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', s.id, 'weekday', s.weekday,
                             'opens_at', to_char(s.opens_at, 'HH24:MI'),
                             'closes_at', to_char(s.closes_at, 'HH24:MI'),
                             'timezone', s.timezone, 'valid_from', s.valid_from, 'valid_to', s.valid_to,
                             'description', s.description)
$$;

CREATE OR REPLACE FUNCTION owned_phones_json(p_owner uuid) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT coalesce(json_agg(phone_json(p) ORDER BY p.position), '[]'::json)
      FROM phones p
     WHERE p.organization_id = p_owner OR p.service_id = p_owner
        OR p.location_id = p_owner OR p.service_at_location_id = p_owner
$$;

CREATE OR REPLACE FUNCTION owned_schedules_json(p_owner uuid) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT coalesce(json_agg(schedule_json(s) ORDER BY s.weekday, s.opens_at, s.position), '[]'::json)
      FROM schedules s
     WHERE s.service_id = p_owner OR s.location_id = p_owner OR s.service_at_location_id = p_owner
$$;

-- A location's summary document from its columns (scalar arguments, so it is inlined).
CREATE OR REPLACE FUNCTION location_document(p_id uuid, p_name text, p_type text, p_latitude float8, p_longitude float8,
                                  p_address_1 text, p_address_2 text, p_city text, p_region text,
                                  p_state_province text, p_postal_code text, p_country text, p_timezone text,
                                  p_confidential boolean, p_approximate boolean)
RETURNS json LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT json_build_object(
        'id', p_id, 'name', p_name, 'location_type', p_type,
        'latitude', public_coordinate(p_latitude, p_confidential),
        'longitude', public_coordinate(p_longitude, p_confidential),
        'address', CASE WHEN p_address_1 IS NULL OR p_confidential THEN NULL ELSE json_build_object(
            'address_1', p_address_1, 'address_2', p_address_2, 'city', p_city, 'region', p_region,
            'state_province', p_state_province, 'postal_code', p_postal_code, 'country', p_country) END,
        'timezone', p_timezone, 'approximate', p_confidential OR p_approximate)
$$;

CREATE OR REPLACE FUNCTION location_json(l locations) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT (location_summary_json(l)::jsonb || jsonb_build_object(
        'organization_id', l.organization_id, 'alternate_name', l.alternate_name,
        'description', l.description, 'transportation', l.transportation, 'url', l.url,
        'service_ids', (SELECT coalesce(jsonb_agg(sal.service_id ORDER BY sal.service_id), '[]'::jsonb)
                          FROM service_at_location sal WHERE sal.location_id = l.id),
        'phones', owned_phones_json(l.id), 'schedules', owned_schedules_json(l.id),
        'created_at', l.created_at, 'updated_at', l.updated_at))::json
$$;

CREATE OR REPLACE FUNCTION location_summary_json(l locations) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT location_document(l.id, l.name, l.location_type, l.latitude, l.longitude, l.address_1, l.address_2,
                             l.city, l.region, l.state_province, l.postal_code, l.country, l.timezone,
                             l.confidential, l.approximate)
$$;

-- The location as stored: p_exact (admin calls) shows the real place of a confidential one.
CREATE OR REPLACE FUNCTION location_full_json(l locations, p_exact boolean) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT (location_document(l.id, l.name, l.location_type, l.latitude, l.longitude, l.address_1, l.address_2,
                              l.city, l.region, l.state_province, l.postal_code, l.country, l.timezone,
                              l.confidential AND NOT p_exact, l.approximate)::jsonb
            || jsonb_build_object(
        'confidential', l.confidential,
        'organization_id', l.organization_id, 'alternate_name', l.alternate_name,
        'description', l.description, 'transportation', l.transportation, 'url', l.url,
        'service_ids', (SELECT coalesce(jsonb_agg(sal.service_id ORDER BY sal.service_id), '[]'::jsonb)
                          FROM service_at_location sal WHERE sal.location_id = l.id),
        'phones', owned_phones_json(l.id), 'schedules', owned_schedules_json(l.id),
        'created_at', l.created_at, 'updated_at', l.updated_at))::json
$$;

CREATE OR REPLACE FUNCTION organization_json(o organizations) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', o.id, 'name', o.name, 'alternate_name', o.alternate_name, 'description', o.description,
        'email', o.email, 'website', o.website, 'phones', owned_phones_json(o.id),
        'created_at', o.created_at, 'updated_at', o.updated_at)
$$;

CREATE OR REPLACE FUNCTION service_json(s services) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT (service_summary_json(s)::jsonb || jsonb_build_object(
        'organization_id', s.organization_id,
        'location_ids', (SELECT coalesce(jsonb_agg(sal.location_id ORDER BY sal.location_id), '[]'::jsonb)
                           FROM service_at_location sal WHERE sal.service_id = s.id),
        'phones', owned_phones_json(s.id), 'schedules', owned_schedules_json(s.id),
        'service_areas', service_areas_json(s.id)::jsonb,
        'created_at', s.created_at, 'updated_at', s.updated_at))::json
$$;

-- The service part of every document gains the new fields (resource_document reads it).
CREATE OR REPLACE FUNCTION service_summary_json(s services) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', s.id, 'name', s.name, 'alternate_name', s.alternate_name, 'description', s.description,
        'categories', (SELECT coalesce(json_agg(sc.category_slug ORDER BY sc.category_slug), '[]'::json)
                         FROM service_categories sc WHERE sc.service_id = s.id),
        'status', s.status, 'url', s.url, 'email', s.email,
        'eligibility_description', s.eligibility_description, 'fees_description', s.fees_description,
        'application_process', s.application_process, 'languages', to_json(s.languages),
        'assured_date', s.assured_date,
        'attributes', (SELECT coalesce(json_agg(sa.attribute_slug ORDER BY sa.attribute_slug), '[]'::json)
                         FROM service_attributes sa WHERE sa.service_id = s.id),
        'genders', to_json(s.genders), 'minimum_age', s.minimum_age, 'maximum_age', s.maximum_age,
        'cost', to_json(s.cost))
$$;

-- What a result shows: every unit's latest count, with its age; `available` is null once the count
-- is older than the request's max age (the last count stays visible as reported_available).
CREATE OR REPLACE FUNCTION capacity_json(p_capacity jsonb, p_at timestamptz, p_max_age interval) RETURNS text
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

-- A service's areas as the API shows them.
CREATE OR REPLACE FUNCTION service_areas_json(p_service uuid) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT coalesce(json_agg(json_build_object(
               'id', a.id, 'name', a.name, 'extent', a.extent, 'postal_codes', to_json(a.postal_codes),
               'center', CASE WHEN a.center_latitude IS NULL THEN NULL
                              ELSE json_build_object('latitude', a.center_latitude, 'longitude', a.center_longitude) END,
               'radius_m', a.radius_m) ORDER BY a.position, a.id), '[]'::json)
      FROM service_areas a WHERE a.service_id = p_service
$$;

-- The unchanging part of one search result (everything but open_now and distance_m): the service
-- at a location with its phones (most specific first) and the hours that apply.
CREATE OR REPLACE FUNCTION resource_document(p_id uuid) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', sal.id,
        'service', service_summary_json(s),
        'organization', json_build_object('id', o.id, 'name', o.name),
        'location', location_summary_json(l),
        'description', sal.description,
        'phones', (SELECT coalesce(json_agg(phone_json(p) ORDER BY
                                     CASE WHEN p.service_at_location_id IS NOT NULL THEN 0
                                          WHEN p.service_id IS NOT NULL THEN 1
                                          WHEN p.location_id IS NOT NULL THEN 2 ELSE 3 END, p.position),
                                   '[]'::json)
                     FROM phones p
                    WHERE p.service_at_location_id = sal.id OR p.service_id = s.id
                       OR p.location_id = l.id OR p.organization_id = o.id),
        'schedules', (SELECT coalesce(json_agg(schedule_json(rs) ORDER BY rs.weekday, rs.opens_at, rs.position),
                                      '[]'::json)
                        FROM resource_schedules(sal.id, s.id, l.id) AS rs))
      FROM service_at_location sal
      JOIN services s ON s.id = sal.service_id
      JOIN organizations o ON o.id = s.organization_id
      JOIN locations l ON l.id = sal.location_id
     WHERE sal.id = p_id
$$;

-- Whether a row hangs off live listings (for exports, which leave deleted listings out).
CREATE OR REPLACE FUNCTION listed(p_organization uuid, p_service uuid, p_location uuid, p_link uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN p_organization IS NOT NULL
            THEN EXISTS (SELECT 1 FROM organizations WHERE id = p_organization AND deleted_at IS NULL)
        WHEN p_service IS NOT NULL
            THEN EXISTS (SELECT 1 FROM services WHERE id = p_service AND deleted_at IS NULL)
        WHEN p_location IS NOT NULL
            THEN EXISTS (SELECT 1 FROM locations WHERE id = p_location AND deleted_at IS NULL)
        ELSE EXISTS (SELECT 1 FROM service_at_location sal
                       JOIN services s ON s.id = sal.service_id AND s.deleted_at IS NULL
                       JOIN locations l ON l.id = sal.location_id AND l.deleted_at IS NULL
                      WHERE sal.id = p_link)
    END
$$;
