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

-- What a result shows: every unit's latest count, with its age; `available` is null once the count
-- is older than the request's max age (the last count stays visible as reported_available).
CREATE FUNCTION capacity_json(p_capacity jsonb, p_at timestamptz, p_max_age interval) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_capacity = '[]'::jsonb THEN '[]' ELSE (
        SELECT json_agg(json_build_object(
                   'unit', e->>'unit',
                   'available', CASE WHEN (e->>'updated_at')::timestamptz >= p_at - p_max_age
                                     THEN (e->>'available')::int END,
                   'maximum', (e->>'maximum')::int,
                   'reported_available', (e->>'available')::int,
                   'updated_at', (e->>'updated_at')::timestamptz,
                   'age_seconds', greatest(0, floor(extract(epoch FROM p_at - (e->>'updated_at')::timestamptz)))::int,
                   'current', (e->>'updated_at')::timestamptz >= p_at - p_max_age)
               ORDER BY e->>'unit')::text
          FROM jsonb_array_elements(p_capacity) AS e) END
$$;

-- refresh_resource_index() fills resource_index.capacity from 0011 on.

CREATE TRIGGER service_capacity_reindex AFTER INSERT ON service_capacity
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION reindex_after_service_categories();
