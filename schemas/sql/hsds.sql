-- Open Referral HSDS 3.0 documents and taxonomy views, shared by the /hsds API and the exports.
-- Live objects, each defined once: re-applied (CREATE OR REPLACE) whenever this file changes.

-- Our own categories, published as one HSDS taxonomy; ids are fixed UUIDv5s so they never move.
CREATE OR REPLACE FUNCTION category_taxonomy_id() RETURNS uuid LANGUAGE sql IMMUTABLE AS $$
    SELECT 'c0a5f3b4-6d1e-5b8a-9c3f-0e7d2a41b9c6'::uuid
$$;

-- A category's term id: a UUID derived from its slug (md5, shaped as a version-3 UUID).
CREATE OR REPLACE FUNCTION category_term_id(p_slug text) RETURNS uuid LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT overlay(overlay(md5('commonground-category:' || p_slug) PLACING '3' FROM 13)
                   PLACING '8' FROM 17)::uuid
$$;

-- HSDS: ages are HSDS service fields; attributes, genders and cost travel as terms of the
-- taxonomy "CommonGround eligibility" (codes: an attribute slug, gender:<g>, cost:<c>).
CREATE OR REPLACE FUNCTION eligibility_taxonomy_id() RETURNS uuid LANGUAGE sql IMMUTABLE AS $$
    SELECT 'e1b9a0d2-4c3f-5a7e-8b6d-2f1c0e9a7b35'::uuid
$$;

CREATE OR REPLACE FUNCTION eligibility_term_id(p_code text) RETURNS uuid LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT overlay(overlay(md5('commonground-eligibility:' || p_code) PLACING '3' FROM 13)
                   PLACING '8' FROM 17)::uuid
$$;

-- HSDS 3.0 documents. Nulls are left out (jsonb_strip_nulls): HSDS types optional fields as
-- plain strings, so an absent field is valid where null is not. HSDS requires a description of
-- organizations, taxonomies and terms; where we have none, the name stands in for it.
CREATE OR REPLACE FUNCTION hsds_weekday(p_weekday smallint) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT (ARRAY['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'])[p_weekday]
$$;

CREATE OR REPLACE FUNCTION hsds_address_id(p_location uuid) RETURNS uuid LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT overlay(overlay(md5('commonground-address:' || p_location::text) PLACING '3' FROM 13)
                   PLACING '8' FROM 17)::uuid
$$;

CREATE OR REPLACE FUNCTION hsds_phones(p_owner uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
               'id', p.id, 'organization_id', p.organization_id, 'service_id', p.service_id,
               'location_id', p.location_id, 'service_at_location_id', p.service_at_location_id,
               'number', p.number, 'extension', p.extension, 'type', p.type, 'description', p.description,
               'languages', '[]'::jsonb, 'attributes', '[]'::jsonb, 'metadata', '[]'::jsonb))
           ORDER BY p.position, p.id), '[]'::jsonb)
      FROM phones p
     WHERE p.organization_id = p_owner OR p.service_id = p_owner
        OR p.location_id = p_owner OR p.service_at_location_id = p_owner
$$;

CREATE OR REPLACE FUNCTION hsds_schedules(p_owner uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
               'id', s.id, 'service_id', s.service_id, 'location_id', s.location_id,
               'service_at_location_id', s.service_at_location_id,
               'valid_from', s.valid_from, 'valid_to', s.valid_to,
               'freq', 'WEEKLY', 'wkst', 'MO', 'byday', hsds_weekday(s.weekday),
               'opens_at', s.opens_at::text, 'closes_at', s.closes_at::text, 'description', s.description,
               'attributes', '[]'::jsonb, 'metadata', '[]'::jsonb))
           ORDER BY s.weekday, s.opens_at, s.position, s.id), '[]'::jsonb)
      FROM schedules s
     WHERE s.service_id = p_owner OR s.location_id = p_owner OR s.service_at_location_id = p_owner
$$;

CREATE OR REPLACE FUNCTION hsds_attributes(p_service uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'id', overlay(overlay(md5('commonground-attribute:' || st.service_id || ':' || st.taxonomy_term_id)
                                     PLACING '3' FROM 13) PLACING '8' FROM 17)::uuid,
               'link_id', st.service_id, 'link_type', 'service', 'link_entity', 'service',
               'taxonomy_term_id', st.taxonomy_term_id, 'taxonomy_term', hsds_taxonomy_term(st.taxonomy_term_id),
               'metadata', '[]'::jsonb)
           ORDER BY st.taxonomy_term_id), '[]'::jsonb)
      FROM hsds_service_terms st WHERE st.service_id = p_service
$$;

-- A location's coordinate as HSDS shows it: none for a place at a ZIP centroid (HSDS has no way to say
-- approximate, and the centroid is not the place's; its address keeps the ZIP), rounded for a
-- confidential one.
CREATE OR REPLACE FUNCTION hsds_coordinate(p_value float8, p_confidential boolean, p_approximate boolean)
RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_approximate THEN NULL ELSE public_coordinate(p_value, p_confidential) END
$$;

-- Whether HSDS shows a location's address: a street, or the ZIP a centroid came from; never a
-- confidential one's.
CREATE OR REPLACE FUNCTION hsds_has_address(l locations) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT (l.address_1 IS NOT NULL OR l.approximate) AND NOT l.confidential
$$;

CREATE OR REPLACE FUNCTION hsds_location(l locations) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'id', l.id, 'location_type', l.location_type, 'url', l.url, 'organization_id', l.organization_id,
        'name', l.name, 'alternate_name', l.alternate_name, 'description', l.description,
        'transportation', l.transportation,
        'latitude', hsds_coordinate(l.latitude, l.confidential, l.approximate),
        'longitude', hsds_coordinate(l.longitude, l.confidential, l.approximate),
        'addresses', CASE WHEN NOT hsds_has_address(l) THEN '[]'::jsonb ELSE jsonb_build_array(
            jsonb_strip_nulls(jsonb_build_object(
                'id', hsds_address_id(l.id), 'location_id', l.id,
                'address_1', coalesce(l.address_1, ''), 'address_2', l.address_2,
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
        'latitude', hsds_coordinate(l.latitude, l.confidential, l.approximate),
        'longitude', hsds_coordinate(l.longitude, l.confidential, l.approximate)))
$$;

CREATE OR REPLACE FUNCTION hsds_organization_with_deleted(o organizations, p_full boolean) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'id', o.id, 'name', o.name, 'alternate_name', o.alternate_name,
        'description', coalesce(o.description, o.name), 'email', o.email, 'website', o.website,
        'phones', hsds_phones(o.id),
        'locations', CASE WHEN p_full THEN (
            SELECT coalesce(jsonb_agg(hsds_location(l) ORDER BY l.id), '[]'::jsonb)
              FROM locations l WHERE l.organization_id = o.id) END,
        'funding', '[]'::jsonb, 'contacts', '[]'::jsonb, 'programs', '[]'::jsonb,
        'organization_identifiers', '[]'::jsonb, 'attributes', '[]'::jsonb, 'metadata', '[]'::jsonb))
$$;

CREATE OR REPLACE FUNCTION hsds_organization(o organizations, p_full boolean) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN d ? 'locations' THEN jsonb_set(d, '{locations}', (
               SELECT coalesce(jsonb_agg(x ORDER BY n), '[]'::jsonb)
                 FROM jsonb_array_elements(d -> 'locations') WITH ORDINALITY AS e (x, n)
                WHERE listed(NULL, NULL, (x ->> 'id')::uuid, NULL))) ELSE d END
      FROM (SELECT hsds_organization_with_deleted(o, p_full) AS d) doc
$$;

-- The lighter shapes of HSDS list endpoints (compiled/*_list.json).
CREATE OR REPLACE FUNCTION hsds_organization_summary(o organizations) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'id', o.id, 'name', o.name, 'alternate_name', o.alternate_name,
        'description', coalesce(o.description, o.name), 'email', o.email, 'website', o.website))
$$;

-- An organization for /hsds/organizations: the list shape, fully nested, or with full services.
CREATE OR REPLACE FUNCTION hsds_organization_document(o organizations, p_full boolean, p_full_service boolean)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN p_full OR p_full_service
        THEN hsds_organization(o, true) || jsonb_build_object('services', (
             SELECT coalesce(jsonb_agg(CASE WHEN p_full_service THEN hsds_service(s, true)
                                            ELSE hsds_service_summary(s) END ORDER BY s.id), '[]'::jsonb)
               FROM services s WHERE s.organization_id = o.id AND s.deleted_at IS NULL))
        ELSE hsds_organization_summary(o)
    END
$$;

-- A fully nested HSDS service; p_stamp adds last_modified (the API does, exports do not, so an
-- export is reproducible).
CREATE OR REPLACE FUNCTION hsds_service_with_deleted(s services, p_stamp boolean) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'id', s.id, 'organization_id', s.organization_id, 'name', s.name, 'alternate_name', s.alternate_name,
        'description', s.description, 'url', s.url, 'email', s.email, 'status', s.status,
        'application_process', s.application_process, 'fees_description', s.fees_description,
        'eligibility_description', s.eligibility_description, 'assured_date', s.assured_date,
        'minimum_age', s.minimum_age, 'maximum_age', s.maximum_age,
        'last_modified', CASE WHEN p_stamp THEN s.updated_at END,
        'phones', hsds_phones(s.id), 'schedules', hsds_schedules(s.id),
        'service_at_locations', (SELECT coalesce(jsonb_agg(hsds_service_at_location(sal, true) ORDER BY sal.id),
                                                 '[]'::jsonb)
                                   FROM service_at_location sal WHERE sal.service_id = s.id),
        'languages', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                          'id', overlay(overlay(md5('commonground-language:' || s.id || ':' || code)
                                                                PLACING '3' FROM 13) PLACING '8' FROM 17)::uuid,
                                          'service_id', s.id, 'code', code, 'attributes', '[]'::jsonb,
                                          'metadata', '[]'::jsonb) ORDER BY ord), '[]'::jsonb)
                        FROM unnest(s.languages) WITH ORDINALITY AS lang(code, ord)),
        'organization', (SELECT hsds_organization(o, false) FROM organizations o WHERE o.id = s.organization_id),
        'attributes', hsds_attributes(s.id),
        'service_areas', '[]'::jsonb, 'funding', '[]'::jsonb, 'cost_options', '[]'::jsonb,
        'required_documents', '[]'::jsonb, 'contacts', '[]'::jsonb, 'metadata', '[]'::jsonb))
$$;

CREATE OR REPLACE FUNCTION hsds_service(s services, p_stamp boolean) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_set(d, '{service_at_locations}', (
               SELECT coalesce(jsonb_agg(x ORDER BY n), '[]'::jsonb)
                 FROM jsonb_array_elements(d -> 'service_at_locations') WITH ORDINALITY AS e (x, n)
                WHERE listed(NULL, NULL, NULL, (x ->> 'id')::uuid)))
      FROM (SELECT hsds_service_with_deleted(s, p_stamp) AS d) doc
$$;

CREATE OR REPLACE FUNCTION hsds_service_summary(s services) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'id', s.id, 'organization_id', s.organization_id, 'name', s.name, 'alternate_name', s.alternate_name,
        'description', s.description, 'url', s.url, 'email', s.email, 'status', s.status,
        'application_process', s.application_process, 'fees_description', s.fees_description,
        'eligibility_description', s.eligibility_description, 'assured_date', s.assured_date,
        'minimum_age', s.minimum_age, 'maximum_age', s.maximum_age,
        'last_modified', s.updated_at,
        'organization', (SELECT hsds_organization_summary(o) FROM organizations o WHERE o.id = s.organization_id)))
$$;

CREATE OR REPLACE FUNCTION hsds_service_at_location(sal service_at_location, p_with_location boolean)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'id', sal.id, 'service_id', sal.service_id, 'location_id', sal.location_id,
        'description', sal.description,
        'phones', hsds_phones(sal.id), 'schedules', hsds_schedules(sal.id),
        'location', CASE WHEN p_with_location THEN (SELECT hsds_location(l) FROM locations l WHERE l.id = sal.location_id) END,
        'contacts', '[]'::jsonb, 'attributes', '[]'::jsonb, 'metadata', '[]'::jsonb))
$$;

-- A service at a location for /hsds/service_at_locations: the list shape, or fully nested.
CREATE OR REPLACE FUNCTION hsds_service_at_location_document(sal service_at_location, p_full boolean)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN p_full
        THEN hsds_service_at_location(sal, true)
             || jsonb_build_object('service', (SELECT hsds_service(s, true) - 'service_at_locations'
                                                 FROM services s WHERE s.id = sal.service_id))
        ELSE jsonb_strip_nulls(jsonb_build_object(
             'id', sal.id, 'service_id', sal.service_id, 'location_id', sal.location_id,
             'description', sal.description,
             'location', (SELECT hsds_location_summary(l) FROM locations l WHERE l.id = sal.location_id),
             'service', (SELECT hsds_service_summary(s) FROM services s WHERE s.id = sal.service_id)))
    END
$$;

-- An imported term's parents, the root first (an extension of HSDS's taxonomy_term, which names only
-- parent_id): a service document then carries its terms' whole hierarchy, so a JSON export imports
-- back with parents no service uses. Null for a root, and for our own categories.
CREATE OR REPLACE FUNCTION hsds_term_ancestors(p_parent uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
    WITH RECURSIVE up (id, depth) AS (
        SELECT p_parent, 1 WHERE p_parent IS NOT NULL
        UNION ALL
        SELECT t.parent_id, up.depth + 1 FROM up JOIN taxonomy_terms t ON t.id = up.id
         WHERE t.parent_id IS NOT NULL AND up.depth < 32
    )
    SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
               'id', t.id, 'code', t.code, 'name', t.name, 'description', coalesce(t.description, t.name),
               'parent_id', t.parent_id, 'taxonomy', coalesce(x.name, t.vocabulary), 'taxonomy_id', t.taxonomy_id,
               'language', t.language, 'term_uri', t.term_uri)) ORDER BY up.depth DESC)
      FROM up JOIN taxonomy_terms t ON t.id = up.id LEFT JOIN taxonomies x ON x.id = t.taxonomy_id
$$;

CREATE OR REPLACE FUNCTION hsds_taxonomy_term(p_id uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
               'id', t.id, 'code', t.code, 'name', t.name, 'description', t.description,
               'parent_id', t.parent_id, 'taxonomy', t.taxonomy, 'taxonomy_id', t.taxonomy_id,
               'language', t.language, 'term_uri', t.term_uri,
               'taxonomy_detail', (SELECT jsonb_strip_nulls(jsonb_build_object(
                                       'id', x.id, 'name', x.name, 'description', x.description,
                                       'uri', x.uri, 'version', x.version, 'metadata', '[]'::jsonb))
                                     FROM hsds_taxonomies x WHERE x.id = t.taxonomy_id),
               'ancestors', hsds_term_ancestors(t.parent_id),
               'metadata', '[]'::jsonb))
      FROM hsds_taxonomy_terms t WHERE t.id = p_id
$$;

CREATE OR REPLACE VIEW hsds_taxonomies AS
    SELECT id, name, coalesce(description, name) AS description, uri, version FROM taxonomies
    UNION ALL
    SELECT category_taxonomy_id(), 'CommonGround categories',
           'The CommonGround directory''s own two-level categories; a filter on a parent includes its children.',
           NULL, '1'
    UNION ALL
    SELECT eligibility_taxonomy_id(), 'CommonGround eligibility',
           'Who a service takes and on what terms: barrier attributes (GET /v1/attributes), genders served, cost.',
           NULL, '1';

-- Every taxonomy term the HSDS API serves: imported ones and our categories.
CREATE OR REPLACE VIEW hsds_taxonomy_terms AS
    SELECT t.id, t.code, t.name, coalesce(t.description, t.name) AS description, t.parent_id,
           coalesce(tx.name, t.vocabulary) AS taxonomy, t.taxonomy_id, t.language, t.term_uri
      FROM taxonomy_terms t LEFT JOIN taxonomies tx ON tx.id = t.taxonomy_id
    UNION ALL
    SELECT category_term_id(c.slug), c.slug, c.name, c.description, category_term_id(c.parent_slug),
           'CommonGround categories', category_taxonomy_id(), 'en', NULL
      FROM categories c
    UNION ALL
    SELECT eligibility_term_id(e.code), e.code, e.name, e.description, NULL,
           'CommonGround eligibility', eligibility_taxonomy_id(), 'en', NULL
      FROM eligibility_terms e;

-- Terms linked to each service: imported links and the service's categories.
CREATE OR REPLACE VIEW hsds_service_terms AS
    SELECT service_id, taxonomy_term_id FROM service_taxonomy_terms
    UNION ALL
    SELECT service_id, category_term_id(category_slug) FROM service_categories
    UNION ALL
    SELECT service_id, eligibility_term_id(attribute_slug) FROM service_attributes
    UNION ALL
    SELECT s.id, eligibility_term_id('gender:' || g) FROM services s, unnest(s.genders) AS g
    UNION ALL
    SELECT s.id, eligibility_term_id('cost:' || c) FROM services s, unnest(s.cost) AS c;

-- HSDS 3.1 capacity (the opt-in 3.1 profile of the exports). A unit is one of our unit slugs: its id is
-- derived from the slug so it never moves, its scheme says the identifier is ours, and its name is the
-- slug in words ("naloxone-kit" is "Naloxone Kit").
CREATE OR REPLACE FUNCTION hsds_unit_id(p_unit text) RETURNS uuid LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT overlay(overlay(md5('commonground-unit:' || p_unit) PLACING '3' FROM 13) PLACING '8' FROM 17)::uuid
$$;

CREATE OR REPLACE FUNCTION hsds_unit_name(p_unit text) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT initcap(replace(p_unit, '-', ' '))
$$;

CREATE OR REPLACE FUNCTION hsds_unit(p_unit text) RETURNS jsonb LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT jsonb_build_object('id', hsds_unit_id(p_unit), 'name', hsds_unit_name(p_unit), 'scheme', 'CommonGround',
                              'identifier', p_unit)
$$;

-- An instant as RFC 3339 in UTC with microseconds, whatever the session's time zone: exports stay the
-- same bytes, and an import reads back the very instant.
CREATE OR REPLACE FUNCTION hsds_instant(p_at timestamptz) RETURNS text LANGUAGE sql STABLE STRICT AS $$
    SELECT to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

-- The latest count of each unit of each service, as search shows it (refresh_resource_index).
CREATE OR REPLACE VIEW hsds_latest_capacity AS
    SELECT DISTINCT ON (service_id, unit) id, service_id, unit, available, maximum, updated_at
      FROM service_capacity
     ORDER BY service_id, unit, updated_at DESC, id DESC;

CREATE OR REPLACE FUNCTION hsds_capacities(p_service uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
               'id', c.id, 'service_id', c.service_id, 'unit_id', hsds_unit_id(c.unit), 'unit', hsds_unit(c.unit),
               'available', c.available, 'maximum', c.maximum, 'updated', hsds_instant(c.updated_at)))
           ORDER BY c.unit), '[]'::jsonb)
      FROM hsds_latest_capacity c WHERE c.service_id = p_service
$$;
