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

-- The opening spans of a resource that start on local dates from p_from to p_to: exceptions
-- replace that date's weekly openings. Each weekly opening uses its own time zone if it has one.
CREATE FUNCTION resource_spans(r resource_index, p_from date, p_to date)
RETURNS TABLE (starts timestamptz, ends timestamptz) LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    day date;
    zone text;
BEGIN
    IF r.timezone IS NULL AND NOT EXISTS (SELECT 1 FROM unnest(r.zones) z WHERE z IS NOT NULL) THEN
        RETURN;
    END IF;
    day := p_from;
    WHILE day <= p_to LOOP
        IF day = any(r.exception_dates) THEN
            FOR i IN 1 .. cardinality(r.exception_dates) LOOP
                CONTINUE WHEN r.exception_dates[i] <> day OR r.exception_opens[i] IS NULL OR r.timezone IS NULL;
                starts := (day + r.exception_opens[i]) AT TIME ZONE r.timezone;
                ends := (day + r.exception_closes[i]
                         + CASE WHEN r.exception_closes[i] <= r.exception_opens[i] THEN interval '1 day'
                                ELSE interval '0' END) AT TIME ZONE r.timezone;
                RETURN NEXT;
            END LOOP;
        ELSE
            FOR i IN 1 .. coalesce(array_length(r.weekdays, 1), 0) LOOP
                zone := coalesce(r.zones[i], r.timezone);
                CONTINUE WHEN zone IS NULL OR r.weekdays[i] <> extract(isodow FROM day)
                    OR (r.valid_from[i] IS NOT NULL AND day < r.valid_from[i])
                    OR (r.valid_to[i] IS NOT NULL AND day > r.valid_to[i]);
                starts := (day + r.opens[i]) AT TIME ZONE zone;
                ends := (day + r.closes[i]
                         + CASE WHEN r.closes[i] <= r.opens[i] THEN interval '1 day' ELSE interval '0' END)
                        AT TIME ZONE zone;
                RETURN NEXT;
            END LOOP;
        END IF;
        day := day + 1;
    END LOOP;
END
$$;

-- Open at an instant, exceptions included (the weekly fast path stays for resources without any).
CREATE OR REPLACE FUNCTION resource_open_at(r resource_index, p_at timestamptz) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN cardinality(r.exception_dates) > 0 THEN
            CASE WHEN r.timezone IS NULL THEN NULL
                 ELSE EXISTS (SELECT 1 FROM resource_spans(r, (p_at AT TIME ZONE r.timezone)::date - 1,
                                                              (p_at AT TIME ZONE r.timezone)::date) s
                               WHERE s.starts <= p_at AND p_at < s.ends) END
        WHEN r.hours_simple THEN r.week_open @> week_second(p_at, r.timezone)
        ELSE hours_open_at(r.weekdays, r.opens, r.closes, r.valid_from, r.valid_to, r.zones, r.timezone, p_at)
    END
$$;

-- An instant as local time with its UTC offset, e.g. 2026-11-27T22:00:00-08:00.
CREATE FUNCTION local_iso(p_at timestamptz, p_zone text) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT to_char(p_at AT TIME ZONE p_zone, 'YYYY-MM-DD"T"HH24:MI:SS')
        || CASE WHEN offset_s < 0 THEN '-' ELSE '+' END
        || to_char(make_interval(secs => abs(offset_s)), 'HH24:MI')
      FROM (SELECT extract(epoch FROM (p_at AT TIME ZONE p_zone) - (p_at AT TIME ZONE 'UTC'))::int AS offset_s) AS o
$$;

-- When the current opening ends (following back-to-back openings, so 23:00-24:00 then 00:00-06:00
-- closes at 06:00, and a place open all week closes "null"), when the next one starts, and the
-- openings that start today, as the JSON members "closes_at", "opens_next_at" and "hours_today"
-- (without braces). One pass over the hours arrays: it runs for every result a search returns.
CREATE FUNCTION resource_hours(r resource_index, p_at timestamptz) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    zone text := r.timezone;
    entries int := coalesce(array_length(r.weekdays, 1), 0);
    has_exceptions boolean := cardinality(r.exception_dates) > 0;
    today date;
    first_dow int;
    day date;
    dow int;
    starts timestamptz[] := '{}';
    ends timestamptz[] := '{}';
    today_parts text[] := '{}';
    opens time;
    closes time;
    span_start timestamptz;
    span_end timestamptz;
    closing timestamptz;
    next_opening timestamptz;
    extended boolean;
BEGIN
    IF zone IS NULL OR (entries = 0 AND NOT has_exceptions) THEN
        RETURN '"closes_at":null,"opens_next_at":null,"hours_today":[]';
    END IF;
    today := (p_at AT TIME ZONE zone)::date;
    first_dow := extract(isodow FROM today - 1)::int;
    FOR d IN 0 .. 8 LOOP
        day := today - 1 + d;
        dow := (first_dow - 1 + d) % 7 + 1;
        IF has_exceptions AND day = any(r.exception_dates) THEN
            FOR i IN 1 .. cardinality(r.exception_dates) LOOP
                CONTINUE WHEN r.exception_dates[i] <> day OR r.exception_opens[i] IS NULL;
                opens := r.exception_opens[i];
                closes := r.exception_closes[i];
                span_start := (day + opens) AT TIME ZONE zone;
                span_end := (day + closes + CASE WHEN closes <= opens THEN interval '1 day' ELSE interval '0' END)
                            AT TIME ZONE zone;
                starts := starts || span_start;
                ends := ends || span_end;
                IF day = today THEN
                    today_parts := today_parts || format('{"opens_at":"%s","closes_at":"%s"}',
                        to_char(opens, 'HH24:MI'), to_char(closes, 'HH24:MI'));
                END IF;
            END LOOP;
        ELSE
            FOR i IN 1 .. entries LOOP
                CONTINUE WHEN r.weekdays[i] <> dow
                    OR (r.valid_from[i] IS NOT NULL AND day < r.valid_from[i])
                    OR (r.valid_to[i] IS NOT NULL AND day > r.valid_to[i]);
                opens := r.opens[i];
                closes := r.closes[i];
                span_start := (day + opens) AT TIME ZONE coalesce(r.zones[i], zone);
                span_end := (day + closes + CASE WHEN closes <= opens THEN interval '1 day' ELSE interval '0' END)
                            AT TIME ZONE coalesce(r.zones[i], zone);
                starts := starts || span_start;
                ends := ends || span_end;
                IF day = today THEN
                    today_parts := today_parts || format('{"opens_at":"%s","closes_at":"%s"}',
                        to_char(span_start AT TIME ZONE zone, 'HH24:MI'),
                        CASE WHEN span_end AT TIME ZONE zone = (today + 1)::timestamp THEN '24:00'
                             ELSE to_char(span_end AT TIME ZONE zone, 'HH24:MI') END);
                END IF;
            END LOOP;
        END IF;
    END LOOP;
    FOR i IN 1 .. cardinality(starts) LOOP
        IF starts[i] <= p_at AND p_at < ends[i] AND (closing IS NULL OR ends[i] > closing) THEN
            closing := ends[i];
        END IF;
    END LOOP;
    IF closing IS NOT NULL THEN
        LOOP
            extended := false;
            FOR i IN 1 .. cardinality(starts) LOOP
                IF starts[i] <= closing AND closing < ends[i] THEN
                    closing := ends[i];
                    extended := true;
                END IF;
            END LOOP;
            EXIT WHEN NOT extended;
        END LOOP;
        IF closing >= (today + 8)::timestamp AT TIME ZONE zone THEN
            closing := NULL;  -- open without a break for the whole week looked at
        END IF;
    ELSE
        FOR i IN 1 .. cardinality(starts) LOOP
            IF starts[i] > p_at AND (next_opening IS NULL OR starts[i] < next_opening) THEN
                next_opening := starts[i];
            END IF;
        END LOOP;
    END IF;
    RETURN '"closes_at":' || coalesce('"' || local_iso(closing, zone) || '"', 'null')
        || ',"opens_next_at":' || coalesce('"' || local_iso(next_opening, zone) || '"', 'null')
        || ',"hours_today":[' || array_to_string(today_parts, ',') || ']';
END
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
    SELECT t.id, s.status, coalesce(c.slugs, '{}'), s.name, s.search_vector, l.latitude, l.longitude, l.geo,
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

CREATE TRIGGER schedule_exceptions_reindex_insert AFTER INSERT ON schedule_exceptions
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION reindex_after_schedules();
CREATE TRIGGER schedule_exceptions_reindex_delete AFTER DELETE ON schedule_exceptions
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION reindex_after_schedules();
