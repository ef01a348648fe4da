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

-- refresh_resource_index() fills the exception columns from 0011 on.

CREATE TRIGGER schedule_exceptions_reindex_insert AFTER INSERT ON schedule_exceptions
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION reindex_after_schedules();
CREATE TRIGGER schedule_exceptions_reindex_delete AFTER DELETE ON schedule_exceptions
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION reindex_after_schedules();
