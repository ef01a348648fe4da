-- Opening hours: weekly spans, open-at tests, and a resource's hours with holiday exceptions.
-- Live objects, each defined once: re-applied (CREATE OR REPLACE) whenever this file changes.

-- Seconds since Monday 00:00 of the local week at an instant (1970-01-01 was a Thursday).
CREATE OR REPLACE FUNCTION week_second(p_at timestamptz, p_tz text) RETURNS int
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT ((floor(extract(epoch FROM p_at AT TIME ZONE p_tz))::bigint + 259200) % 604800 + 604800)::int % 604800
$$;

-- week_ranges() with the same result as before, as plpgsql: an SQL body with a sub-select is never
-- inlined, and this was a quarter of a bulk rebuild's time (refresh_resource_index, set-based
-- from 0011, calls it for every opening).
CREATE OR REPLACE FUNCTION week_ranges(p_weekday smallint, p_opens time, p_closes time) RETURNS int4multirange
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    day int := (p_weekday - 1) * 86400;
    start int := (p_weekday - 1) * 86400 + extract(epoch FROM p_opens)::int;
    close int := extract(epoch FROM p_closes)::int;
BEGIN
    IF p_closes > p_opens THEN
        RETURN int4multirange(int4range(start, day + close));
    ELSIF day + 86400 + close <= 604800 THEN
        RETURN int4multirange(int4range(start, day + 86400 + close));
    END IF;
    RETURN int4multirange(int4range(start, 604800), int4range(0, day + 86400 + close - 604800));
END
$$;

-- An instant's offset from UTC in a time zone (-05:00 in New York in winter).
CREATE OR REPLACE FUNCTION utc_offset(p_at timestamptz, p_tz text) RETURNS interval LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT (p_at AT TIME ZONE p_tz) - (p_at AT TIME ZONE 'UTC')
$$;

-- The hours (since the epoch, UTC) of a multirange as GIN keys, fewest first: an aligned whole day
-- is one key (day * 4 + 2), an aligned 4-hour block one (block * 4 + 1), else the hour (hour * 4).
-- A day open 09:00-17:00 in Chicago is 5 keys, not 8; a place open all week 17 keys over 16 days.
CREATE OR REPLACE FUNCTION hour_keys(p_hours int4multirange) RETURNS int[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    keys int[] := '{}';
    span int4range;
    h int;
    stop int;
BEGIN
    FOR span IN SELECT unnest(p_hours) LOOP
        h := lower(span);
        stop := upper(span);
        WHILE h < stop LOOP
            IF h % 24 = 0 AND h + 24 <= stop THEN
                keys := keys || (h / 24 * 4 + 2);
                h := h + 24;
            ELSIF h % 4 = 0 AND h + 4 <= stop THEN
                keys := keys || (h / 4 * 4 + 1);
                h := h + 4;
            ELSE
                keys := keys || h * 4;
                h := h + 1;
            END IF;
        END LOOP;
    END LOOP;
    RETURN keys;
END
$$;

-- The keys hour_keys() gives an instant's hour, its 4-hour block and its day: a row whose keys
-- overlap these has an hour of possible opening there.
CREATE OR REPLACE FUNCTION instant_keys(p_at timestamptz) RETURNS int[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ARRAY[h * 4, h / 4 * 4 + 1, h / 24 * 4 + 2]
      FROM (SELECT floor(extract(epoch FROM p_at) / 3600)::int AS h) AS x
$$;

-- Open at an instant, from the hours arrays, each opening in its own (else the location's) time
-- zone; NULL when no hours are known. A closes time at or before opens runs past midnight.
CREATE OR REPLACE FUNCTION hours_open_at(p_weekdays smallint[], p_opens time[], p_closes time[], p_from date[], p_to date[],
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

-- The hours that apply to a service at a location: its own, else the service's, else the location's.
CREATE OR REPLACE FUNCTION resource_schedules(p_sal uuid, p_service uuid, p_location uuid)
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

-- An instant as local time with its UTC offset, e.g. 2026-11-27T22:00:00-08:00. One expression, so
-- that PostgreSQL inlines it.
CREATE OR REPLACE FUNCTION local_iso(p_at timestamptz, p_zone text) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT to_char(p_at AT TIME ZONE p_zone, 'YYYY-MM-DD"T"HH24:MI:SS')
        || CASE WHEN p_at AT TIME ZONE p_zone < p_at AT TIME ZONE 'UTC' THEN '-' ELSE '+' END
        || to_char(greatest(p_at AT TIME ZONE p_zone - p_at AT TIME ZONE 'UTC',
                            p_at AT TIME ZONE 'UTC' - p_at AT TIME ZONE p_zone), 'HH24:MI')
$$;

-- When the current opening ends (following back-to-back openings, so 23:00-24:00 then 00:00-06:00
-- closes at 06:00, and a place open all week closes "null"), when the next one starts, and the
-- openings that start today, as the JSON members "closes_at", "opens_next_at" and "hours_today"
-- (without braces). One pass over the hours arrays: it runs for every result a search returns.
CREATE OR REPLACE FUNCTION resource_hours(r resource_index, p_at timestamptz) RETURNS text
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

-- The opening spans of a resource that start on local dates from p_from to p_to: exceptions
-- replace that date's weekly openings. Each weekly opening uses its own time zone if it has one.
CREATE OR REPLACE FUNCTION resource_spans(r resource_index, p_from date, p_to date)
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

-- Lay out again the timelines that run out before p_before (or were never laid out), up to p_limit
-- rows, skipping rows another process is busy with, by rebuilding their search rows (the timeline
-- is written there, refresh_resource_index() in search_index.sql); the number done. The
-- housekeeping keeps every timeline at least 9 days ahead; migrations lay out the rows written
-- before timelines existed.
CREATE OR REPLACE FUNCTION refresh_timelines(p_before timestamptz, p_limit int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    due uuid[];
BEGIN
    due := ARRAY(SELECT r.id FROM resource_index r
                  WHERE r.timeline_until IS NULL OR r.timeline_until < p_before
                  ORDER BY r.timeline_until NULLS FIRST
                  LIMIT p_limit FOR UPDATE SKIP LOCKED);
    PERFORM refresh_resource_index(due);
    RETURN cardinality(due);
END
$$;

-- resource_open_at() and resource_hours() of a search row given by its id: what searches call when
-- no timeline covers the instant, so that their statements never carry whole rows (a whole-row
-- reference makes every row the scan passes be copied out, used or not).
CREATE OR REPLACE FUNCTION resource_open_at_by_id(p_id uuid, p_at timestamptz) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT resource_open_at(r, p_at) FROM resource_index r WHERE r.id = p_id
$$;

CREATE OR REPLACE FUNCTION resource_hours_by_id(p_id uuid, p_at timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT resource_hours(r, p_at) FROM resource_index r WHERE r.id = p_id
$$;
