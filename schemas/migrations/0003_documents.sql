-- JSON documents in the exact shapes of the API (schemas/*.py), built next to the data so a
-- search page is one round trip.

CREATE FUNCTION phone_json(p phones) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', p.id, 'number', p.number, 'extension', p.extension,
                             'type', p.type, 'description', p.description)
$$;

CREATE FUNCTION schedule_json(s schedules) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', s.id, 'weekday', s.weekday,
                             'opens_at', to_char(s.opens_at, 'HH24:MI'),
                             'closes_at', to_char(s.closes_at, 'HH24:MI'),
                             'timezone', s.timezone, 'valid_from', s.valid_from, 'valid_to', s.valid_to,
                             'description', s.description)
$$;

CREATE FUNCTION location_summary_json(l locations) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', l.id, 'name', l.name, 'location_type', l.location_type,
        'latitude', l.latitude, 'longitude', l.longitude,
        'address', CASE WHEN l.address_1 IS NULL THEN NULL ELSE json_build_object(
            'address_1', l.address_1, 'address_2', l.address_2, 'city', l.city, 'region', l.region,
            'state_province', l.state_province, 'postal_code', l.postal_code, 'country', l.country) END,
        'timezone', l.timezone)
$$;

CREATE FUNCTION service_summary_json(s services) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', s.id, 'name', s.name, 'alternate_name', s.alternate_name, 'description', s.description,
        'categories', (SELECT coalesce(json_agg(sc.category_slug ORDER BY sc.category_slug), '[]'::json)
                         FROM service_categories sc WHERE sc.service_id = s.id),
        'status', s.status, 'url', s.url, 'email', s.email,
        'eligibility_description', s.eligibility_description, 'fees_description', s.fees_description,
        'application_process', s.application_process, 'languages', to_json(s.languages),
        'assured_date', s.assured_date)
$$;

CREATE FUNCTION owned_phones_json(p_owner uuid) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT coalesce(json_agg(phone_json(p) ORDER BY p.position), '[]'::json)
      FROM phones p
     WHERE p.organization_id = p_owner OR p.service_id = p_owner
        OR p.location_id = p_owner OR p.service_at_location_id = p_owner
$$;

CREATE FUNCTION owned_schedules_json(p_owner uuid) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT coalesce(json_agg(schedule_json(s) ORDER BY s.weekday, s.opens_at, s.position), '[]'::json)
      FROM schedules s
     WHERE s.service_id = p_owner OR s.location_id = p_owner OR s.service_at_location_id = p_owner
$$;

CREATE FUNCTION organization_json(o organizations) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', o.id, 'name', o.name, 'alternate_name', o.alternate_name, 'description', o.description,
        'email', o.email, 'website', o.website, 'phones', owned_phones_json(o.id),
        'created_at', o.created_at, 'updated_at', o.updated_at)
$$;

CREATE FUNCTION service_json(s services) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT (service_summary_json(s)::jsonb || jsonb_build_object(
        'organization_id', s.organization_id,
        'location_ids', (SELECT coalesce(jsonb_agg(sal.location_id ORDER BY sal.location_id), '[]'::jsonb)
                           FROM service_at_location sal WHERE sal.service_id = s.id),
        'phones', owned_phones_json(s.id), 'schedules', owned_schedules_json(s.id),
        'created_at', s.created_at, 'updated_at', s.updated_at))::json
$$;

CREATE FUNCTION location_json(l locations) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT (location_summary_json(l)::jsonb || jsonb_build_object(
        'organization_id', l.organization_id, 'alternate_name', l.alternate_name,
        'description', l.description, 'transportation', l.transportation, 'url', l.url,
        'service_ids', (SELECT coalesce(jsonb_agg(sal.service_id ORDER BY sal.service_id), '[]'::jsonb)
                          FROM service_at_location sal WHERE sal.location_id = l.id),
        'phones', owned_phones_json(l.id), 'schedules', owned_schedules_json(l.id),
        'created_at', l.created_at, 'updated_at', l.updated_at))::json
$$;

-- The unchanging part of one search result (everything but open_now and distance_m): the service
-- at a location with its phones (most specific first) and the hours that apply.
CREATE FUNCTION resource_document(p_id uuid) RETURNS json LANGUAGE sql STABLE AS $$
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
