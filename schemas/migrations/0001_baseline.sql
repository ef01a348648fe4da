-- The baseline: every table, column, index and reference row of the schema, as the migrations
-- 0001-0017 built them (squashed before the first release; their order is kept, so columns stand
-- where a database migrated step by step has them). Functions, triggers and views live in
-- schemas/sql/, one file per area, applied after the migrations. Backfills of those migrations
-- are gone: a new database has nothing to backfill.


-- ==== 0001_core ====
-- The directory core: organizations -> services -> service_at_location <- locations,
-- with phones and weekly schedules. Names follow Open Referral HSDS 3.0.

CREATE EXTENSION IF NOT EXISTS cube;
CREATE EXTENSION IF NOT EXISTS earthdistance;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;
-- Words match with or without accents ("cafe" finds "Café") and by English stem.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'cg_search') THEN
        CREATE TEXT SEARCH CONFIGURATION cg_search (COPY = english);
        ALTER TEXT SEARCH CONFIGURATION cg_search
            ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;
    END IF;
END
$$;
CREATE TABLE organizations (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name           text NOT NULL CHECK (length(btrim(name)) > 0),
    alternate_name text,
    description    text,
    email          text,
    website        text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX organizations_name ON organizations (name, id);
CREATE TABLE services (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations ON DELETE RESTRICT,
    name                    text NOT NULL CHECK (length(btrim(name)) > 0),
    alternate_name          text,
    description             text,
    status                  text NOT NULL DEFAULT 'active'
                            CHECK (status IN ('active', 'inactive', 'defunct', 'temporarily closed')),
    url                     text,
    email                   text,
    eligibility_description text,
    fees_description        text,
    application_process     text,
    languages               text[] NOT NULL DEFAULT '{}',
    assured_date            date,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    search_vector           tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('cg_search', coalesce(name, '')), 'A')
     || setweight(to_tsvector('cg_search', coalesce(alternate_name, '')), 'B')
     || setweight(to_tsvector('cg_search', coalesce(description, '')), 'C')
    ) STORED
);
CREATE INDEX services_organization ON services (organization_id);
CREATE INDEX services_name ON services (name, id);
CREATE INDEX services_search ON services USING gin (search_vector);
-- Our own two-level taxonomy; rows are data we publish (0002_categories.sql).
CREATE TABLE categories (
    slug        text PRIMARY KEY CHECK (slug ~ '^[a-z][a-z0-9-]*$'),
    parent_slug text REFERENCES categories,
    name        text NOT NULL,
    description text NOT NULL,
    position    int NOT NULL
);
CREATE TABLE service_categories (
    service_id    uuid NOT NULL REFERENCES services ON DELETE CASCADE,
    category_slug text NOT NULL REFERENCES categories,
    PRIMARY KEY (service_id, category_slug)
);
CREATE INDEX service_categories_slug ON service_categories (category_slug, service_id);
CREATE TABLE locations (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid REFERENCES organizations ON DELETE RESTRICT,
    name            text,
    alternate_name  text,
    description     text,
    location_type   text NOT NULL DEFAULT 'physical'
                    CHECK (location_type IN ('physical', 'postal', 'virtual')),
    latitude        float8 CHECK (latitude BETWEEN -90 AND 90),
    longitude       float8 CHECK (longitude BETWEEN -180 AND 180),
    -- Written from (latitude, longitude) by a trigger: a stored column, not an expression index,
    -- so pg_dump/restore works on every PostgreSQL version.
    geo             earth,
    timezone        text,
    address_1       text,
    address_2       text,
    city            text,
    region          text,
    state_province  text,
    postal_code     text,
    country         text,
    transportation  text,
    url             text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((latitude IS NULL) = (longitude IS NULL))
);
CREATE INDEX locations_geo_gist ON locations USING gist (geo);
CREATE INDEX locations_organization ON locations (organization_id);
CREATE TABLE service_at_location (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    service_id  uuid NOT NULL REFERENCES services ON DELETE CASCADE,
    location_id uuid NOT NULL REFERENCES locations ON DELETE CASCADE,
    description text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (service_id, location_id)
);
CREATE INDEX service_at_location_location ON service_at_location (location_id, id);
-- Phones and schedules belong to exactly one owner, as in HSDS.
CREATE TABLE phones (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id        uuid REFERENCES organizations ON DELETE CASCADE,
    service_id             uuid REFERENCES services ON DELETE CASCADE,
    location_id            uuid REFERENCES locations ON DELETE CASCADE,
    service_at_location_id uuid REFERENCES service_at_location ON DELETE CASCADE,
    number                 text NOT NULL CHECK (length(btrim(number)) > 0),
    extension              text,
    type                   text CHECK (type IN ('text', 'voice', 'fax', 'cell', 'video', 'pager', 'textphone')),
    description            text,
    position               int NOT NULL DEFAULT 0,
    CHECK (num_nonnulls(organization_id, service_id, location_id, service_at_location_id) = 1)
);
CREATE INDEX phones_organization ON phones (organization_id) WHERE organization_id IS NOT NULL;
CREATE INDEX phones_service ON phones (service_id) WHERE service_id IS NOT NULL;
CREATE INDEX phones_location ON phones (location_id) WHERE location_id IS NOT NULL;
CREATE INDEX phones_service_at_location ON phones (service_at_location_id)
    WHERE service_at_location_id IS NOT NULL;
-- Weekly hours. closes_at <= opens_at means the span runs past midnight into the next day;
-- closes_at = '24:00' means until the end of the day.
CREATE TABLE schedules (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    service_id             uuid REFERENCES services ON DELETE CASCADE,
    location_id            uuid REFERENCES locations ON DELETE CASCADE,
    service_at_location_id uuid REFERENCES service_at_location ON DELETE CASCADE,
    weekday                smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    opens_at               time NOT NULL,
    closes_at              time NOT NULL,
    timezone               text,
    valid_from             date,
    valid_to               date,
    description            text,
    position               int NOT NULL DEFAULT 0,
    CHECK (num_nonnulls(service_id, location_id, service_at_location_id) = 1),
    CHECK (opens_at <> closes_at),
    CHECK (opens_at < '24:00'),
    CHECK (valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to)
);
CREATE INDEX schedules_service ON schedules (service_id) WHERE service_id IS NOT NULL;
CREATE INDEX schedules_location ON schedules (location_id) WHERE location_id IS NOT NULL;
CREATE INDEX schedules_service_at_location ON schedules (service_at_location_id)
    WHERE service_at_location_id IS NOT NULL;
-- Which seed datasets were loaded, so `serve` seeds only on first start.
CREATE TABLE seed_loads (
    dataset   text PRIMARY KEY,
    checksum  text NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now()
);


-- ==== 0002_categories ====
-- The CommonGround taxonomy: four parents, each with its children. A filter on a parent
-- includes its children.
INSERT INTO categories (slug, parent_slug, name, description, position) VALUES
    ('housing', NULL, 'Housing', 'Somewhere to sleep tonight and somewhere to live after.', 1),
    ('emergency-shelter', 'housing', 'Emergency shelter', 'Beds for tonight, no lease required.', 1),
    ('recovery-housing', 'housing', 'Recovery housing', 'Sober living and recovery residences.', 2),
    ('transitional-housing', 'housing', 'Transitional housing', 'Time-limited housing with support, on the way to a home.', 3),
    ('rental-assistance', 'housing', 'Rental assistance', 'Help with deposits, rent and arrears.', 4),
    ('harm-reduction', NULL, 'Harm reduction', 'Keeping people who use drugs alive and well.', 2),
    ('naloxone', 'harm-reduction', 'Naloxone', 'Naloxone (Narcan) kits and training.', 1),
    ('syringe-services', 'harm-reduction', 'Syringe services', 'Sterile syringes, disposal and related care.', 2),
    ('drug-checking', 'harm-reduction', 'Drug checking', 'Fentanyl test strips and drug-checking services.', 3),
    ('safer-use-supplies', 'harm-reduction', 'Safer-use supplies', 'Pipes, snorting kits and other supplies for safer use.', 4),
    ('overdose-prevention-site', 'harm-reduction', 'Overdose prevention site', 'Supervised consumption and overdose prevention sites.', 5),
    ('transport', NULL, 'Transport', 'Getting people where they need to be.', 3),
    ('rides', 'transport', 'Rides', 'Rides to appointments, court, treatment and housing.', 1),
    ('transit-passes', 'transport', 'Transit passes', 'Free or reduced bus and rail passes.', 2),
    ('medical-transport', 'transport', 'Medical transport', 'Non-emergency medical transportation.', 3),
    ('court-support', NULL, 'Court support', 'Help before, during and after court.', 4),
    ('court-accompaniment', 'court-support', 'Court accompaniment', 'Someone to go to court with a person.', 1),
    ('legal-aid', 'court-support', 'Legal aid', 'Free or low-cost legal help, public defenders.', 2),
    ('treatment-court', 'court-support', 'Treatment court', 'Drug, recovery and mental-health treatment courts.', 3),
    ('expungement', 'court-support', 'Expungement', 'Record clearing and expungement clinics.', 4);


-- ==== 0004_resource_index ====
-- One row per service at a location with everything a search filters on and the finished JSON
-- document, so a search is a single-table KNN scan. Kept current by statement-level triggers
-- on every table a document reads from.

CREATE TABLE resource_index (
    id            uuid PRIMARY KEY REFERENCES service_at_location ON DELETE CASCADE,
    status        text NOT NULL,
    categories    text[] NOT NULL,
    name          text NOT NULL,
    search_vector tsvector NOT NULL,
    latitude      float8,
    longitude     float8,
    geo           earth,
    timezone      text,
    -- The hours that apply, as parallel arrays (see resource_schedules).
    weekdays      smallint[] NOT NULL,
    opens         time[] NOT NULL,
    closes        time[] NOT NULL,
    valid_from    date[] NOT NULL,
    valid_to      date[] NOT NULL,
    zones         text[] NOT NULL,
    -- The same hours as seconds of the local week (Monday 00:00 = 0), when they are plain weekly
    -- hours in the location's time zone: then "open at t" is one containment test.
    week_open     int4multirange,
    hours_simple  boolean NOT NULL,
    -- resource_document without its closing brace: each request appends open_now and distance_m.
    head          text NOT NULL
) WITH (toast_tuple_target = 8160);
  -- keep heads inline and uncompressed: they are read on every search
CREATE INDEX resource_index_geo ON resource_index USING gist (geo);
CREATE INDEX resource_index_name ON resource_index (name, id);
CREATE INDEX resource_index_search ON resource_index USING gin (search_vector);
CREATE INDEX resource_index_categories ON resource_index USING gin (categories);


-- ==== 0005_hsds ====
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


-- ==== 0007_eligibility ====
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


-- ==== 0008_words ====
-- Forgiving words: a vocabulary of every word in service names and descriptions (unaccented,
-- lower case), trigram-indexed, so a misspelled search word can be corrected to a word that
-- exists ("naloxon" -> naloxone, "shelte" -> shelter) before full-text search runs.

CREATE TABLE search_words (word text PRIMARY KEY);
CREATE INDEX search_words_trgm ON search_words USING gin (word gin_trgm_ops);


-- ==== 0009_capacity ====
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


-- ==== 0010_exceptions ====
-- Hours that fit the field: one-off exceptions and holiday closures, and for every result when
-- it closes, when it next opens and today's hours, in the location's own time zone.

-- A date's own hours, replacing the weekly openings that start that day: closed all day when
-- opens_at is null, else open from opens_at to closes_at (past midnight when closes <= opens).
CREATE TABLE schedule_exceptions (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    service_id             uuid REFERENCES services ON DELETE CASCADE,
    location_id            uuid REFERENCES locations ON DELETE CASCADE,
    service_at_location_id uuid REFERENCES service_at_location ON DELETE CASCADE,
    day                    date NOT NULL,
    opens_at               time,
    closes_at              time,
    description            text,
    CHECK (num_nonnulls(service_id, location_id, service_at_location_id) = 1),
    CHECK ((opens_at IS NULL) = (closes_at IS NULL)),
    CHECK (opens_at IS NULL OR (opens_at <> closes_at AND opens_at < '24:00'))
);
CREATE INDEX schedule_exceptions_service ON schedule_exceptions (service_id, day) WHERE service_id IS NOT NULL;
CREATE INDEX schedule_exceptions_location ON schedule_exceptions (location_id, day) WHERE location_id IS NOT NULL;
CREATE INDEX schedule_exceptions_link ON schedule_exceptions (service_at_location_id, day)
    WHERE service_at_location_id IS NOT NULL;
ALTER TABLE resource_index
    ADD COLUMN exception_dates date[] NOT NULL DEFAULT '{}',
    ADD COLUMN exception_opens time[] NOT NULL DEFAULT '{}',
    ADD COLUMN exception_closes time[] NOT NULL DEFAULT '{}';


-- ==== 0011_confidential ====
-- Confidential locations (a domestic-violence shelter, a safe house): public responses carry no
-- street address and coordinates rounded to 0.01 degree (about 1 km), marked approximate. The
-- search table itself holds only the rounded point, so neither distances nor the nearest-first
-- order can be used to triangulate the real one. Admin calls on a location see everything.

ALTER TABLE locations ADD COLUMN confidential boolean NOT NULL DEFAULT false;


-- ==== 0012_service_areas ====
-- Service areas: where a service without a door to walk to reaches people (a hotline, a mobile
-- van, county-wide court accompaniment). A GeoJSON (Multi)Polygon, a list of postal codes, or a
-- circle. Boxes around each area (split at the antimeridian) are GiST-indexed as a prefilter; the
-- exact test runs in the application (shapely).

CREATE TABLE service_areas (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    service_id       uuid NOT NULL REFERENCES services ON DELETE CASCADE,
    name             text,
    extent           jsonb,
    postal_codes     text[] NOT NULL DEFAULT '{}',
    center_latitude  float8 CHECK (center_latitude BETWEEN -90 AND 90),
    center_longitude float8 CHECK (center_longitude BETWEEN -180 AND 180),
    radius_m         float8 CHECK (radius_m > 0),
    position         int NOT NULL DEFAULT 0,
    CHECK (num_nonnulls(extent, center_latitude) + (cardinality(postal_codes) > 0)::int = 1),
    CHECK ((center_latitude IS NULL) = (center_longitude IS NULL) AND (center_latitude IS NULL) = (radius_m IS NULL))
);
CREATE INDEX service_areas_service ON service_areas (service_id);
CREATE INDEX service_areas_postal_codes ON service_areas USING gin (postal_codes);
CREATE TABLE service_area_boxes (
    area_id uuid NOT NULL REFERENCES service_areas ON DELETE CASCADE,
    extent  box NOT NULL  -- (longitude, latitude) corners
);
CREATE INDEX service_area_boxes_extent ON service_area_boxes USING gist (extent);
CREATE INDEX service_area_boxes_area ON service_area_boxes (area_id);


-- ==== 0013_idempotency ====
-- Idempotency-Key on POST: the first answer to a key is kept for 24 hours and replayed to retries;
-- a row without a status is a request still running.
CREATE TABLE idempotency_keys (
    key          text NOT NULL,
    method       text NOT NULL,
    path         text NOT NULL,
    request_hash text NOT NULL,
    status       int,
    headers      jsonb,
    body         bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (key, method, path)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);


-- ==== 0014_changes ====
-- The change feed: every creation, update and deletion of organizations, services, locations and
-- capacity counts, with the transaction that made it. Readers only see changes of transactions
-- that have ended (below the oldest one still running), ordered by (transaction, seq): a change
-- that commits late can never land behind a cursor a reader already holds.
CREATE TABLE changes (
    seq       bigserial PRIMARY KEY,
    txid      xid8 NOT NULL DEFAULT pg_current_xact_id(),
    entity    text NOT NULL,
    entity_id uuid NOT NULL,
    op        text NOT NULL CHECK (op IN ('create', 'update', 'delete')),
    at        timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX changes_order ON changes (txid, seq);


-- ==== 0015_keys ====
-- API keys: only a SHA-256 of each secret is stored (the secrets are 256-bit random, so a slow
-- hash adds nothing). A key limited to organizations may write only their listings.
CREATE TABLE api_keys (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    prefix           text NOT NULL,
    secret_hash      bytea NOT NULL UNIQUE,
    scopes           text[] NOT NULL CHECK (scopes <@ ARRAY['read', 'suggest', 'write', 'admin', 'confidential']
                                            AND cardinality(scopes) > 0),
    organization_ids uuid[],
    rate_limit       int CHECK (rate_limit > 0),
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz,
    revoked_at       timestamptz,
    rotated_from     uuid REFERENCES api_keys ON DELETE SET NULL
);
-- Requests per caller per fixed one-minute window, shared by every worker. Unlogged: a crash only
-- forgets the current minute's counts.
CREATE UNLOGGED TABLE rate_windows (
    bucket       text NOT NULL,
    window_start timestamptz NOT NULL,
    hits         int NOT NULL,
    PRIMARY KEY (bucket, window_start)
) WITH (fillfactor = 70);
-- Usage per key per day, readable by admins (the bootstrap key from the environment has the nil id).
CREATE TABLE key_usage (
    key_id    uuid NOT NULL,
    day       date NOT NULL,
    requests  bigint NOT NULL DEFAULT 0,
    throttled bigint NOT NULL DEFAULT 0,
    last_used timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (key_id, day)
) WITH (fillfactor = 70);


-- ==== 0016_webhooks ====
-- Webhooks: partners register a URL and event types ('service.update', 'capacity.update', '*').
-- Each change fans out into the outbox (webhook_deliveries) in the transaction that made it, so a
-- crash or restart never loses an event; deliverers claim due rows with SKIP LOCKED and retry with
-- exponential backoff. The signing secret is kept as given: HMAC needs it.
CREATE TABLE webhooks (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    key_id      uuid NOT NULL,
    url         text NOT NULL,
    events      text[] NOT NULL CHECK (cardinality(events) > 0),
    description text,
    secret      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE INDEX webhooks_key ON webhooks (key_id) WHERE deleted_at IS NULL;
CREATE TABLE webhook_deliveries (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq             bigserial UNIQUE,
    webhook_id      uuid NOT NULL REFERENCES webhooks ON DELETE CASCADE,
    event_type      text NOT NULL,
    entity          text NOT NULL,
    entity_id       uuid NOT NULL,
    op              text NOT NULL,
    at              timestamptz NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    locked_until    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, seq);
-- Every attempt, for the partner's delivery log.
CREATE TABLE webhook_attempts (
    delivery_id uuid NOT NULL REFERENCES webhook_deliveries ON DELETE CASCADE,
    attempt     int NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    status_code int,
    error       text,
    duration_ms int NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);


-- ==== 0017_curation ====
-- Curation: soft deletion, an audit log of every write, verifications, suggestions from the field,
-- and redirects left by merges.

-- Listings are never hard-deleted by a normal call: DELETE sets deleted_at (and a service's status
-- to defunct); search rows of deleted listings are removed as soon as they are written.
ALTER TABLE organizations ADD COLUMN deleted_at timestamptz;
ALTER TABLE services ADD COLUMN deleted_at timestamptz, ADD COLUMN status_before_delete text;
ALTER TABLE locations ADD COLUMN deleted_at timestamptz;
-- Set only by a verification, so an unrelated save or an import never moves assured_date.
ALTER TABLE services ADD COLUMN verified_at timestamptz;
-- The audit log: who (key id, or import:<source>), when, which request, and the before/after of each
-- changed column, written by triggers in the transaction of the write. `snapshot` is the row after the
-- change, so any version can be restored. A purge blanks the object's earlier records.
CREATE TABLE audit_log (
    id         bigserial PRIMARY KEY,
    entity     text NOT NULL,
    entity_id  uuid NOT NULL,
    op         text NOT NULL,
    changes    jsonb,
    snapshot   jsonb,
    actor      text,
    request_id text,
    note       text,
    at         timestamptz NOT NULL DEFAULT now(),
    txid       xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, id);
-- A person checked the listing: by phone, a visit, email, or an update from the provider.
CREATE TABLE verifications (
    id         bigserial PRIMARY KEY,
    service_id uuid NOT NULL REFERENCES services ON DELETE CASCADE,
    method     text NOT NULL CHECK (method IN ('phone', 'visit', 'email', 'provider-update')),
    note       text,
    actor      text,
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX verifications_service ON verifications (service_id, at DESC);
-- How often each service was shown (search results and reads), per day: re-check the busy ones first.
CREATE TABLE service_views (
    service_id uuid NOT NULL REFERENCES services ON DELETE CASCADE,
    day        date NOT NULL,
    served     bigint NOT NULL,
    PRIMARY KEY (service_id, day)
);
-- Reports from the field, applied only when an admin approves them.
CREATE TABLE suggestions (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind         text NOT NULL CHECK (kind IN ('correction', 'closure', 'new')),
    service_id   uuid REFERENCES services ON DELETE SET NULL,
    changes      jsonb NOT NULL DEFAULT '{}',
    note         text,
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    submitted_by text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    decided_at   timestamptz,
    decided_by   text,
    reason       text,
    result_id    uuid
);
CREATE INDEX suggestions_queue ON suggestions (status, created_at);
-- Ids merged into another: they keep answering, with a 308 to the survivor.
CREATE TABLE redirects (
    entity     text NOT NULL,
    old_id     uuid NOT NULL,
    new_id     uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (entity, old_id)
);
-- Likely duplicate organizations are found by similar names.
CREATE INDEX organizations_name_trgm ON organizations USING gin (name gin_trgm_ops);
