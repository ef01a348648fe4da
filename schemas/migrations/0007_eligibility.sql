-- Eligibility and barriers as structured, filterable data: attributes from a vocabulary we publish,
-- genders served, ages, cost; carried into the search table and into HSDS as taxonomy terms.

CREATE TABLE attributes (
    slug        text PRIMARY KEY CHECK (slug ~ '^[a-z][a-z0-9-]*$'),
    name        text NOT NULL,
    description text NOT NULL,
    position    int NOT NULL
);
INSERT INTO attributes (slug, name, description, position) VALUES
    ('no-id-required', 'No ID required', 'Serves people without photo ID or documents.', 1),
    ('accepts-moud', 'Accepts people on MOUD', 'Welcomes people taking methadone or buprenorphine.', 2),
    ('sobriety-not-required', 'Sobriety not required', 'Does not require abstinence or a clean test.', 3),
    ('walk-in', 'Walk-in', 'No appointment needed.', 4),
    ('referral-required', 'Referral required', 'Needs a referral from an agency, clinician or court.', 5),
    ('pets-allowed', 'Pets allowed', 'People may bring pets or service animals.', 6),
    ('couples', 'Couples', 'Couples can stay or be served together.', 7),
    ('families-with-children', 'Families with children', 'Serves parents or caregivers with children.', 8),
    ('accepts-criminal-records', 'Accepts criminal records', 'A conviction history is not a barrier.', 9),
    ('accepts-registry', 'Accepts people on a registry', 'Serves people on a sex-offense registry.', 10),
    ('lgbtq-affirming', 'LGBTQ+ affirming', 'Affirming of lesbian, gay, bisexual, transgender and queer people.', 11),
    ('wheelchair-accessible', 'Wheelchair accessible', 'Step-free access for wheelchair users.', 12),
    ('veterans', 'Veterans', 'Serves veterans, whatever their discharge status.', 13);

CREATE TABLE service_attributes (
    service_id     uuid NOT NULL REFERENCES services ON DELETE CASCADE,
    attribute_slug text NOT NULL REFERENCES attributes,
    PRIMARY KEY (service_id, attribute_slug)
);
CREATE INDEX service_attributes_slug ON service_attributes (attribute_slug, service_id);

ALTER TABLE services
    ADD COLUMN genders text[] NOT NULL DEFAULT '{}'
        CHECK (genders <@ ARRAY['women', 'men', 'transgender', 'nonbinary']),
    ADD COLUMN minimum_age smallint CHECK (minimum_age BETWEEN 0 AND 130),
    ADD COLUMN maximum_age smallint CHECK (maximum_age BETWEEN 0 AND 130),
    ADD COLUMN cost text[] NOT NULL DEFAULT '{}' CHECK (cost <@ ARRAY['free', 'sliding-scale', 'insurance', 'fee']),
    ADD CONSTRAINT services_age_range CHECK (minimum_age IS NULL OR maximum_age IS NULL OR minimum_age <= maximum_age);

ALTER TABLE resource_index
    ADD COLUMN attributes text[] NOT NULL DEFAULT '{}',
    ADD COLUMN genders text[] NOT NULL DEFAULT '{}',
    ADD COLUMN minimum_age smallint,
    ADD COLUMN maximum_age smallint,
    ADD COLUMN cost text[] NOT NULL DEFAULT '{}',
    ADD COLUMN languages text[] NOT NULL DEFAULT '{}';
CREATE INDEX resource_index_attributes ON resource_index USING gin (attributes);

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

-- refresh_resource_index() fills the new columns from 0011 on, where it is defined once.

-- service_attributes feed the search table like service_categories do (the function maps
-- changed service_id rows to their resources).
CREATE TRIGGER service_attributes_reindex_insert AFTER INSERT ON service_attributes
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION reindex_after_service_categories();
CREATE TRIGGER service_attributes_reindex_delete AFTER DELETE ON service_attributes
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION reindex_after_service_categories();

-- HSDS: ages are HSDS service fields; attributes, genders and cost travel as terms of the
-- taxonomy "CommonGround eligibility" (codes: an attribute slug, gender:<g>, cost:<c>).
CREATE FUNCTION eligibility_taxonomy_id() RETURNS uuid LANGUAGE sql IMMUTABLE AS $$
    SELECT 'e1b9a0d2-4c3f-5a7e-8b6d-2f1c0e9a7b35'::uuid
$$;

CREATE FUNCTION eligibility_term_id(p_code text) RETURNS uuid LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT overlay(overlay(md5('commonground-eligibility:' || p_code) PLACING '3' FROM 13)
                   PLACING '8' FROM 17)::uuid
$$;

CREATE TABLE eligibility_terms (
    code        text PRIMARY KEY,
    name        text NOT NULL,
    description text NOT NULL
);
INSERT INTO eligibility_terms (code, name, description)
SELECT slug, name, description FROM attributes
UNION ALL VALUES
    ('gender:women', 'Serves women', 'The service serves women.'),
    ('gender:men', 'Serves men', 'The service serves men.'),
    ('gender:transgender', 'Serves transgender people', 'The service serves transgender people.'),
    ('gender:nonbinary', 'Serves nonbinary people', 'The service serves nonbinary people.'),
    ('cost:free', 'Free', 'No charge.'),
    ('cost:sliding-scale', 'Sliding scale', 'Charges by ability to pay.'),
    ('cost:insurance', 'Insurance', 'Bills insurance (including Medicaid).'),
    ('cost:fee', 'Fee', 'Charges a fee.');

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

CREATE OR REPLACE FUNCTION hsds_service(s services, p_stamp boolean) RETURNS jsonb LANGUAGE sql STABLE AS $$
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

-- Existing search rows are rebuilt with these fields at the end of 0011.
