-- Open Referral HSDS 3.0 exchange: where imported records came from, incoming taxonomies and
-- how they map to our categories, import jobs, and HSDS-shaped JSON documents.

-- Which source (an import's --source name) last delivered each record, under which of its own ids.
-- Ids are deterministic (the source id itself when it is a UUID, else a UUIDv5 of source,
-- entity and source id), so a re-import updates the same rows; this table keeps provenance and
-- scopes what a re-import may remove (children this source delivered before and no longer does).
CREATE TABLE source_records (
    id        uuid PRIMARY KEY,
    source    text NOT NULL,
    entity    text NOT NULL,
    source_id text NOT NULL
);

CREATE TABLE taxonomies (
    id          uuid PRIMARY KEY,
    name        text NOT NULL CHECK (length(btrim(name)) > 0),
    description text,
    uri         text,
    version     text
);

CREATE TABLE taxonomy_terms (
    id          uuid PRIMARY KEY,
    taxonomy_id uuid REFERENCES taxonomies ON DELETE SET NULL,
    -- Free-text vocabulary name when the source has no taxonomy record (HSDS "taxonomy").
    vocabulary  text,
    code        text,
    name        text NOT NULL CHECK (length(btrim(name)) > 0),
    description text,
    parent_id   uuid REFERENCES taxonomy_terms ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
    language    text,
    term_uri    text
);
CREATE INDEX taxonomy_terms_taxonomy ON taxonomy_terms (taxonomy_id, id);
CREATE INDEX taxonomy_terms_parent ON taxonomy_terms (parent_id, id);

-- HSDS attributes that link a service to a taxonomy term.
CREATE TABLE service_taxonomy_terms (
    service_id       uuid NOT NULL REFERENCES services ON DELETE CASCADE,
    taxonomy_term_id uuid NOT NULL REFERENCES taxonomy_terms ON DELETE CASCADE,
    PRIMARY KEY (service_id, taxonomy_term_id)
);
CREATE INDEX service_taxonomy_terms_term ON service_taxonomy_terms (taxonomy_term_id, service_id);

-- How incoming terms become our categories. A term matches a row when its code or its name
-- equals `term` ignoring case and surrounding space; `vocabulary` '*' matches any taxonomy,
-- otherwise the term's taxonomy name (or free-text vocabulary). Admins edit these rows.
CREATE TABLE category_mappings (
    vocabulary    text NOT NULL DEFAULT '*',
    term          text NOT NULL CHECK (term = lower(btrim(term)) AND term <> ''),
    category_slug text NOT NULL REFERENCES categories ON DELETE CASCADE,
    PRIMARY KEY (vocabulary, term, category_slug)
);

INSERT INTO category_mappings (vocabulary, term, category_slug) VALUES
    -- Open Eligibility / Ohana names, as published by 211 directories.
    ('*', 'emergency shelter', 'emergency-shelter'),
    ('*', 'temporary shelter', 'emergency-shelter'),
    ('*', 'shelter', 'emergency-shelter'),
    ('*', 'homeless shelter', 'emergency-shelter'),
    ('*', 'recovery housing', 'recovery-housing'),
    ('*', 'sober living', 'recovery-housing'),
    ('*', 'transitional housing', 'transitional-housing'),
    ('*', 'help pay for housing', 'rental-assistance'),
    ('*', 'rent assistance', 'rental-assistance'),
    ('*', 'rental assistance', 'rental-assistance'),
    ('*', 'housing vouchers', 'rental-assistance'),
    ('*', 'naloxone', 'naloxone'),
    ('*', 'narcan', 'naloxone'),
    ('*', 'overdose prevention', 'naloxone'),
    ('*', 'syringe services', 'syringe-services'),
    ('*', 'needle exchange', 'syringe-services'),
    ('*', 'syringe exchange', 'syringe-services'),
    ('*', 'harm reduction', 'harm-reduction'),
    ('*', 'drug testing', 'drug-checking'),
    ('*', 'fentanyl test strips', 'drug-checking'),
    ('*', 'transportation', 'transport'),
    ('*', 'transit', 'transport'),
    ('*', 'help pay for transit', 'transit-passes'),
    ('*', 'bus passes', 'transit-passes'),
    ('*', 'transportation for healthcare', 'medical-transport'),
    ('*', 'medical transportation', 'medical-transport'),
    ('*', 'legal', 'court-support'),
    ('*', 'legal aid', 'legal-aid'),
    ('*', 'legal representation', 'legal-aid'),
    ('*', 'advocacy & legal aid', 'legal-aid'),
    ('*', 'housing legal services', 'legal-aid'),
    ('*', 'criminal defense', 'legal-aid'),
    ('*', 'expungement', 'expungement'),
    ('*', 'record expungement', 'expungement'),
    ('*', 'drug court', 'treatment-court'),
    ('*', 'treatment court', 'treatment-court'),
    ('*', 'court accompaniment', 'court-accompaniment'),
    -- SAMHSA treatment locator service codes.
    ('samhsa', 'nxn', 'naloxone'),
    ('samhsa', 'tbg', 'transport'),
    ('samhsa', 'shb', 'harm-reduction');

-- Our own categories, published as one HSDS taxonomy; ids are fixed UUIDv5s so they never move.
CREATE FUNCTION category_taxonomy_id() RETURNS uuid LANGUAGE sql IMMUTABLE AS $$
    SELECT 'c0a5f3b4-6d1e-5b8a-9c3f-0e7d2a41b9c6'::uuid
$$;

-- A category's term id: a UUID derived from its slug (md5, shaped as a version-3 UUID).
CREATE FUNCTION category_term_id(p_slug text) RETURNS uuid LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT overlay(overlay(md5('commonground-category:' || p_slug) PLACING '3' FROM 13)
                   PLACING '8' FROM 17)::uuid
$$;

-- Every taxonomy term the HSDS API serves: imported ones and our categories.
CREATE VIEW hsds_taxonomy_terms AS
    SELECT t.id, t.code, t.name, coalesce(t.description, t.name) AS description, t.parent_id,
           coalesce(tx.name, t.vocabulary) AS taxonomy, t.taxonomy_id, t.language, t.term_uri
      FROM taxonomy_terms t LEFT JOIN taxonomies tx ON tx.id = t.taxonomy_id
    UNION ALL
    SELECT category_term_id(c.slug), c.slug, c.name, c.description, category_term_id(c.parent_slug),
           'CommonGround categories', category_taxonomy_id(), 'en', NULL
      FROM categories c;

CREATE VIEW hsds_taxonomies AS
    SELECT id, name, coalesce(description, name) AS description, uri, version FROM taxonomies
    UNION ALL
    SELECT category_taxonomy_id(), 'CommonGround categories',
           'The CommonGround directory''s own two-level categories; a filter on a parent includes its children.',
           NULL, '1';

-- Terms linked to each service: imported links and the service's categories.
CREATE VIEW hsds_service_terms AS
    SELECT service_id, taxonomy_term_id FROM service_taxonomy_terms
    UNION ALL
    SELECT service_id, category_term_id(category_slug) FROM service_categories;

-- An import: queued by POST /v1/imports or run by the CLI, with progress and its report.
CREATE TABLE imports (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    source      text NOT NULL,
    format      text,
    filename    text,
    status      text NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    dry_run     boolean NOT NULL DEFAULT false,
    strict      boolean NOT NULL DEFAULT false,
    phase       text,
    processed   bigint NOT NULL DEFAULT 0,
    total       bigint,
    report      jsonb,
    error       text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    started_at  timestamptz,
    finished_at timestamptz,
    -- Written every second while the job runs: a stale heartbeat means its process died.
    heartbeat_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX imports_created ON imports (created_at DESC, id);

-- HSDS 3.0 documents. Nulls are left out (jsonb_strip_nulls): HSDS types optional fields as
-- plain strings, so an absent field is valid where null is not. HSDS requires a description of
-- organizations, taxonomies and terms; where we have none, the name stands in for it.
CREATE FUNCTION hsds_weekday(p_weekday smallint) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT (ARRAY['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'])[p_weekday]
$$;

CREATE FUNCTION hsds_phones(p_owner uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
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

CREATE FUNCTION hsds_schedules(p_owner uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
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

CREATE FUNCTION hsds_taxonomy_term(p_id uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
               'id', t.id, 'code', t.code, 'name', t.name, 'description', t.description,
               'parent_id', t.parent_id, 'taxonomy', t.taxonomy, 'taxonomy_id', t.taxonomy_id,
               'language', t.language, 'term_uri', t.term_uri,
               'taxonomy_detail', (SELECT jsonb_strip_nulls(jsonb_build_object(
                                       'id', x.id, 'name', x.name, 'description', x.description,
                                       'uri', x.uri, 'version', x.version, 'metadata', '[]'::jsonb))
                                     FROM hsds_taxonomies x WHERE x.id = t.taxonomy_id),
               'metadata', '[]'::jsonb))
      FROM hsds_taxonomy_terms t WHERE t.id = p_id
$$;

CREATE FUNCTION hsds_address_id(p_location uuid) RETURNS uuid LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT overlay(overlay(md5('commonground-address:' || p_location::text) PLACING '3' FROM 13)
                   PLACING '8' FROM 17)::uuid
$$;

CREATE FUNCTION hsds_location(l locations) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'id', l.id, 'location_type', l.location_type, 'url', l.url, 'organization_id', l.organization_id,
        'name', l.name, 'alternate_name', l.alternate_name, 'description', l.description,
        'transportation', l.transportation, 'latitude', l.latitude, 'longitude', l.longitude,
        'addresses', CASE WHEN l.address_1 IS NULL THEN '[]'::jsonb ELSE jsonb_build_array(jsonb_strip_nulls(
            jsonb_build_object('id', hsds_address_id(l.id), 'location_id', l.id,
                               'address_1', l.address_1, 'address_2', l.address_2,
                               'city', coalesce(l.city, ''), 'region', l.region,
                               'state_province', coalesce(l.state_province, ''),
                               'postal_code', coalesce(l.postal_code, ''), 'country', coalesce(l.country, ''),
                               'address_type', CASE WHEN l.location_type = 'postal' THEN 'postal'
                                                    ELSE 'physical' END,
                               'attributes', '[]'::jsonb, 'metadata', '[]'::jsonb))) END,
        'phones', hsds_phones(l.id), 'schedules', hsds_schedules(l.id),
        'languages', '[]'::jsonb, 'contacts', '[]'::jsonb, 'accessibility', '[]'::jsonb,
        'attributes', '[]'::jsonb, 'metadata', '[]'::jsonb))
$$;

CREATE FUNCTION hsds_organization(o organizations, p_full boolean) RETURNS jsonb LANGUAGE sql STABLE AS $$
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

CREATE FUNCTION hsds_attributes(p_service uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'id', overlay(overlay(md5('commonground-attribute:' || st.service_id || ':' || st.taxonomy_term_id)
                                     PLACING '3' FROM 13) PLACING '8' FROM 17)::uuid,
               'link_id', st.service_id, 'link_type', 'service', 'link_entity', 'service',
               'taxonomy_term_id', st.taxonomy_term_id, 'taxonomy_term', hsds_taxonomy_term(st.taxonomy_term_id),
               'metadata', '[]'::jsonb)
           ORDER BY st.taxonomy_term_id), '[]'::jsonb)
      FROM hsds_service_terms st WHERE st.service_id = p_service
$$;

CREATE FUNCTION hsds_service_at_location(sal service_at_location, p_with_location boolean)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'id', sal.id, 'service_id', sal.service_id, 'location_id', sal.location_id,
        'description', sal.description,
        'phones', hsds_phones(sal.id), 'schedules', hsds_schedules(sal.id),
        'location', CASE WHEN p_with_location THEN (SELECT hsds_location(l) FROM locations l WHERE l.id = sal.location_id) END,
        'contacts', '[]'::jsonb, 'attributes', '[]'::jsonb, 'metadata', '[]'::jsonb))
$$;

-- A fully nested HSDS service; p_stamp adds last_modified (the API does, exports do not, so an
-- export is reproducible).
CREATE FUNCTION hsds_service(s services, p_stamp boolean) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'id', s.id, 'organization_id', s.organization_id, 'name', s.name, 'alternate_name', s.alternate_name,
        'description', s.description, 'url', s.url, 'email', s.email, 'status', s.status,
        'application_process', s.application_process, 'fees_description', s.fees_description,
        'eligibility_description', s.eligibility_description, 'assured_date', s.assured_date,
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

-- The lighter shapes of HSDS list endpoints (compiled/*_list.json).
CREATE FUNCTION hsds_organization_summary(o organizations) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'id', o.id, 'name', o.name, 'alternate_name', o.alternate_name,
        'description', coalesce(o.description, o.name), 'email', o.email, 'website', o.website))
$$;

CREATE FUNCTION hsds_service_summary(s services) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'id', s.id, 'organization_id', s.organization_id, 'name', s.name, 'alternate_name', s.alternate_name,
        'description', s.description, 'url', s.url, 'email', s.email, 'status', s.status,
        'application_process', s.application_process, 'fees_description', s.fees_description,
        'eligibility_description', s.eligibility_description, 'assured_date', s.assured_date,
        'last_modified', s.updated_at,
        'organization', (SELECT hsds_organization_summary(o) FROM organizations o WHERE o.id = s.organization_id)))
$$;

CREATE FUNCTION hsds_location_summary(l locations) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'id', l.id, 'location_type', l.location_type, 'url', l.url, 'organization_id', l.organization_id,
        'name', l.name, 'alternate_name', l.alternate_name, 'description', l.description,
        'transportation', l.transportation, 'latitude', l.latitude, 'longitude', l.longitude))
$$;

-- A service at a location for /hsds/service_at_locations: the list shape, or fully nested.
CREATE FUNCTION hsds_service_at_location_document(sal service_at_location, p_full boolean)
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

-- An organization for /hsds/organizations: the list shape, fully nested, or with full services.
CREATE FUNCTION hsds_organization_document(o organizations, p_full boolean, p_full_service boolean)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN p_full OR p_full_service
        THEN hsds_organization(o, true) || jsonb_build_object('services', (
             SELECT coalesce(jsonb_agg(CASE WHEN p_full_service THEN hsds_service(s, true)
                                            ELSE hsds_service_summary(s) END ORDER BY s.id), '[]'::jsonb)
               FROM services s WHERE s.organization_id = o.id))
        ELSE hsds_organization_summary(o)
    END
$$;
