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

-- Ellipsoidal (WGS-84) distance in metres by Lambert's formula for long lines: within 0.2% of
-- an exact geodesic everywhere (about 0.01% below 1,000 km), where a sphere is off by up to 0.7%.
-- plpgsql rather than SQL: an SQL body with sub-selects is not inlined and costs ~15x more a call.
CREATE FUNCTION geodesic_m(lat1 float8, lon1 float8, lat2 float8, lon2 float8)
RETURNS float8 LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    -- Reduced latitudes on the WGS-84 ellipsoid (1 - f = 0.996647...).
    b1 float8 := atan(0.9966471893352525 * tan(radians(lat1)));
    b2 float8 := atan(0.9966471893352525 * tan(radians(lat2)));
    sigma float8 := 2 * asin(sqrt(least(1, greatest(0,
        sin((b2 - b1) / 2) ^ 2 + cos(b1) * cos(b2) * sin(radians(lon2 - lon1) / 2) ^ 2))));
    p float8 := (b1 + b2) / 2;
    q float8 := (b2 - b1) / 2;
BEGIN
    IF sigma = 0 THEN
        RETURN 0;
    END IF;
    -- a * (sigma - f/2 * (X + Y)); the guard keeps exact antipodes finite.
    RETURN 6378137.0 * (sigma - 0.0016764053323737402 * (
        (sigma - sin(sigma)) * sin(p) ^ 2 * cos(q) ^ 2 / greatest(cos(sigma / 2) ^ 2, 1e-30)
      + (sigma + sin(sigma)) * cos(p) ^ 2 * sin(q) ^ 2 / sin(sigma / 2) ^ 2));
END
$$;

CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
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
CREATE TRIGGER organizations_touch BEFORE UPDATE ON organizations
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
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
CREATE TRIGGER services_touch BEFORE UPDATE ON services
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
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
CREATE FUNCTION locations_set_geo() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.geo := CASE WHEN NEW.latitude IS NULL THEN NULL
                    ELSE ll_to_earth(NEW.latitude, NEW.longitude) END;
    RETURN NEW;
END
$$;
CREATE TRIGGER locations_geo BEFORE INSERT OR UPDATE OF latitude, longitude ON locations
    FOR EACH ROW EXECUTE FUNCTION locations_set_geo();
CREATE TRIGGER locations_touch BEFORE UPDATE ON locations
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
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
CREATE TRIGGER service_at_location_touch BEFORE UPDATE ON service_at_location
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
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

-- The hours that apply to a service at a location: its own, else the service's, else the location's.
CREATE FUNCTION resource_schedules(p_sal uuid, p_service uuid, p_location uuid)
RETURNS SETOF schedules LANGUAGE sql STABLE AS $$
    SELECT * FROM schedules WHERE service_at_location_id = p_sal
    UNION ALL
    SELECT * FROM schedules WHERE service_id = p_service
       AND NOT EXISTS (SELECT 1 FROM schedules WHERE service_at_location_id = p_sal)
    UNION ALL
    SELECT * FROM schedules WHERE location_id = p_location
       AND NOT EXISTS (SELECT 1 FROM schedules WHERE service_at_location_id = p_sal)
       AND NOT EXISTS (SELECT 1 FROM schedules WHERE service_id = p_service)
$$;

-- Which seed datasets were loaded, so `serve` seeds only on first start.
CREATE TABLE seed_loads (
    dataset   text PRIMARY KEY,
    checksum  text NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now()
);
