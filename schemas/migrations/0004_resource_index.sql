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
) WITH (toast_tuple_target = 8160);  -- keep heads inline and uncompressed: they are read on every search
CREATE INDEX resource_index_geo ON resource_index USING gist (geo);
CREATE INDEX resource_index_name ON resource_index (name, id);
CREATE INDEX resource_index_search ON resource_index USING gin (search_vector);
CREATE INDEX resource_index_categories ON resource_index USING gin (categories);

-- Open at an instant, from the hours arrays, each opening in its own (else the location's) time
-- zone; NULL when no hours are known. A closes time at or before opens runs past midnight.
CREATE FUNCTION hours_open_at(p_weekdays smallint[], p_opens time[], p_closes time[], p_from date[], p_to date[],
                              p_zones text[], p_tz text, p_at timestamptz)
RETURNS boolean LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    zone text;
    local timestamp;
    day date;
    clock time;
    dow int;
    known boolean := false;
BEGIN
    FOR i IN 1 .. coalesce(array_length(p_weekdays, 1), 0) LOOP
        CONTINUE WHEN coalesce(p_zones[i], p_tz) IS NULL;
        IF zone IS DISTINCT FROM coalesce(p_zones[i], p_tz) THEN
            zone := coalesce(p_zones[i], p_tz);
            local := p_at AT TIME ZONE zone;
            day := local::date;
            clock := local::time;
            dow := extract(isodow FROM local);
        END IF;
        known := true;
        -- The opening day itself (to closing time, or to midnight for an overnight span).
        IF p_weekdays[i] = dow AND clock >= p_opens[i] AND (p_closes[i] <= p_opens[i] OR clock < p_closes[i])
           AND (p_from[i] IS NULL OR day >= p_from[i]) AND (p_to[i] IS NULL OR day <= p_to[i]) THEN
            RETURN true;
        END IF;
        -- The next morning of an overnight span opened yesterday.
        IF p_closes[i] <= p_opens[i] AND p_weekdays[i] = (dow + 5) % 7 + 1 AND clock < p_closes[i]
           AND (p_from[i] IS NULL OR day - 1 >= p_from[i]) AND (p_to[i] IS NULL OR day - 1 <= p_to[i]) THEN
            RETURN true;
        END IF;
    END LOOP;
    RETURN CASE WHEN known THEN false END;
END
$$;

-- Seconds since Monday 00:00 of the local week at an instant (1970-01-01 was a Thursday).
CREATE FUNCTION week_second(p_at timestamptz, p_tz text) RETURNS int
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT ((floor(extract(epoch FROM p_at AT TIME ZONE p_tz))::bigint + 259200) % 604800 + 604800)::int % 604800
$$;

-- One weekly opening as ranges of week seconds; an overnight span that runs past Sunday night
-- wraps to Monday morning.
CREATE FUNCTION week_ranges(p_weekday smallint, p_opens time, p_closes time) RETURNS int4multirange
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_closes > p_opens
                THEN int4multirange(int4range(start, day + extract(epoch FROM p_closes)::int))
                WHEN day + 86400 + extract(epoch FROM p_closes)::int <= 604800
                THEN int4multirange(int4range(start, day + 86400 + extract(epoch FROM p_closes)::int))
                ELSE int4multirange(int4range(start, 604800),
                                    int4range(0, day + 86400 + extract(epoch FROM p_closes)::int - 604800))
           END
      FROM (SELECT (p_weekday - 1) * 86400 AS day,
                   (p_weekday - 1) * 86400 + extract(epoch FROM p_opens)::int AS start) AS w
$$;

-- Whether a resource is open at an instant; NULL when its hours (or time zone) are unknown.
CREATE FUNCTION resource_open_at(r resource_index, p_at timestamptz) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN r.hours_simple THEN r.week_open @> week_second(p_at, r.timezone)
                ELSE hours_open_at(r.weekdays, r.opens, r.closes, r.valid_from, r.valid_to, r.zones, r.timezone, p_at)
           END
$$;

-- Recompute the rows of these resources. Locking them first, then reading with a fresh snapshot,
-- means two transactions editing one resource at once both end up in the final document.
CREATE FUNCTION refresh_resource_index(p_ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_ids IS NULL OR cardinality(p_ids) = 0 THEN
        RETURN;
    END IF;
    PERFORM 1 FROM service_at_location WHERE id = any(p_ids) ORDER BY id FOR UPDATE;
    INSERT INTO resource_index (id, status, categories, name, search_vector, latitude, longitude, geo, timezone,
                                weekdays, opens, closes, valid_from, valid_to, zones, week_open, hours_simple,
                                head)
    SELECT sal.id, s.status,
           coalesce((SELECT array_agg(sc.category_slug ORDER BY sc.category_slug)
                       FROM service_categories sc WHERE sc.service_id = s.id), '{}'),
           s.name, s.search_vector, l.latitude, l.longitude, l.geo, l.timezone,
           coalesce(h.weekdays, '{}'), coalesce(h.opens, '{}'), coalesce(h.closes, '{}'),
           coalesce(h.valid_from, '{}'), coalesce(h.valid_to, '{}'), coalesce(h.zones, '{}'),
           h.week_open, coalesce(h.simple, true), left(resource_document(sal.id)::text, -1)
      FROM service_at_location sal
      JOIN services s ON s.id = sal.service_id
      JOIN locations l ON l.id = sal.location_id
      LEFT JOIN LATERAL (
          SELECT array_agg(rs.weekday ORDER BY rs.weekday, rs.opens_at, rs.position) AS weekdays,
                 array_agg(rs.opens_at ORDER BY rs.weekday, rs.opens_at, rs.position) AS opens,
                 array_agg(rs.closes_at ORDER BY rs.weekday, rs.opens_at, rs.position) AS closes,
                 array_agg(rs.valid_from ORDER BY rs.weekday, rs.opens_at, rs.position) AS valid_from,
                 array_agg(rs.valid_to ORDER BY rs.weekday, rs.opens_at, rs.position) AS valid_to,
                 array_agg(rs.timezone ORDER BY rs.weekday, rs.opens_at, rs.position) AS zones,
                 range_agg(week_ranges(rs.weekday, rs.opens_at, rs.closes_at)) AS week_open,
                 bool_and(rs.valid_from IS NULL AND rs.valid_to IS NULL
                          AND (rs.timezone IS NULL OR rs.timezone = l.timezone)) AS simple
            FROM resource_schedules(sal.id, s.id, l.id) AS rs
      ) AS h ON true
     WHERE sal.id = any(p_ids)
    ON CONFLICT (id) DO UPDATE
       SET status = EXCLUDED.status, categories = EXCLUDED.categories, name = EXCLUDED.name,
           search_vector = EXCLUDED.search_vector, latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude,
           geo = EXCLUDED.geo, timezone = EXCLUDED.timezone, weekdays = EXCLUDED.weekdays, opens = EXCLUDED.opens,
           closes = EXCLUDED.closes, valid_from = EXCLUDED.valid_from, valid_to = EXCLUDED.valid_to,
           zones = EXCLUDED.zones, week_open = EXCLUDED.week_open, hours_simple = EXCLUDED.hours_simple,
           head = EXCLUDED.head;
END
$$;

-- Bulk loaders may SET LOCAL commonground.defer_index = 'on' and call refresh_resource_index once.
CREATE FUNCTION resource_index_deferred() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('commonground.defer_index', true), '') = 'on'
$$;

-- Each trigger function maps the rows a statement changed (transition table "changed") to the
-- resources whose documents read them.
CREATE FUNCTION reindex_after_organizations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT resource_index_deferred() THEN
        PERFORM refresh_resource_index(ARRAY(
            SELECT sal.id FROM changed c
              JOIN services s ON s.organization_id = c.id
              JOIN service_at_location sal ON sal.service_id = s.id));
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION reindex_after_services() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT resource_index_deferred() THEN
        PERFORM refresh_resource_index(ARRAY(
            SELECT sal.id FROM changed c JOIN service_at_location sal ON sal.service_id = c.id));
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION reindex_after_service_categories() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT resource_index_deferred() THEN
        PERFORM refresh_resource_index(ARRAY(
            SELECT sal.id FROM (SELECT DISTINCT service_id FROM changed) c
              JOIN service_at_location sal ON sal.service_id = c.service_id));
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION reindex_after_locations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT resource_index_deferred() THEN
        PERFORM refresh_resource_index(ARRAY(
            SELECT sal.id FROM changed c JOIN service_at_location sal ON sal.location_id = c.id));
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION reindex_after_service_at_location() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT resource_index_deferred() THEN
        PERFORM refresh_resource_index(ARRAY(SELECT c.id FROM changed c));
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION reindex_after_phones() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT resource_index_deferred() THEN
        PERFORM refresh_resource_index(ARRAY(
            SELECT sal.id FROM changed c JOIN service_at_location sal ON sal.id = c.service_at_location_id
            UNION SELECT sal.id FROM changed c JOIN service_at_location sal ON sal.service_id = c.service_id
            UNION SELECT sal.id FROM changed c JOIN service_at_location sal ON sal.location_id = c.location_id
            UNION SELECT sal.id FROM changed c JOIN services s ON s.organization_id = c.organization_id
                                               JOIN service_at_location sal ON sal.service_id = s.id));
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION reindex_after_schedules() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT resource_index_deferred() THEN
        PERFORM refresh_resource_index(ARRAY(
            SELECT sal.id FROM changed c JOIN service_at_location sal ON sal.id = c.service_at_location_id
            UNION SELECT sal.id FROM changed c JOIN service_at_location sal ON sal.service_id = c.service_id
            UNION SELECT sal.id FROM changed c JOIN service_at_location sal ON sal.location_id = c.location_id));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER organizations_reindex AFTER UPDATE ON organizations
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION reindex_after_organizations();
CREATE TRIGGER services_reindex AFTER UPDATE ON services
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION reindex_after_services();
CREATE TRIGGER locations_reindex AFTER UPDATE ON locations
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION reindex_after_locations();
CREATE TRIGGER service_categories_reindex_insert AFTER INSERT ON service_categories
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION reindex_after_service_categories();
CREATE TRIGGER service_categories_reindex_delete AFTER DELETE ON service_categories
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION reindex_after_service_categories();
CREATE TRIGGER service_at_location_reindex_insert AFTER INSERT ON service_at_location
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION reindex_after_service_at_location();
CREATE TRIGGER service_at_location_reindex_update AFTER UPDATE ON service_at_location
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION reindex_after_service_at_location();
CREATE TRIGGER phones_reindex_insert AFTER INSERT ON phones
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION reindex_after_phones();
CREATE TRIGGER phones_reindex_update_new AFTER UPDATE ON phones
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION reindex_after_phones();
CREATE TRIGGER phones_reindex_update_old AFTER UPDATE ON phones
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION reindex_after_phones();
CREATE TRIGGER phones_reindex_delete AFTER DELETE ON phones
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION reindex_after_phones();
CREATE TRIGGER schedules_reindex_insert AFTER INSERT ON schedules
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION reindex_after_schedules();
CREATE TRIGGER schedules_reindex_update_new AFTER UPDATE ON schedules
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION reindex_after_schedules();
CREATE TRIGGER schedules_reindex_update_old AFTER UPDATE ON schedules
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION reindex_after_schedules();
CREATE TRIGGER schedules_reindex_delete AFTER DELETE ON schedules
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION reindex_after_schedules();

-- Rows written before this migration.
SELECT refresh_resource_index(ARRAY(SELECT id FROM service_at_location));
