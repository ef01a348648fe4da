-- Meetings: their public point, and when the next one starts.
-- Live objects, each defined once: re-applied (CREATE OR REPLACE) whenever this file changes.

-- A meeting at a CommonGround location is where that location publicly is (rounded when confidential).
CREATE OR REPLACE FUNCTION meetings_set_geo() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.location_id IS NOT NULL THEN
        NEW.geo := (SELECT l.public_geo FROM locations l WHERE l.id = NEW.location_id);
    ELSE
        NEW.geo := CASE WHEN NEW.latitude IS NULL THEN NULL ELSE ll_to_earth(NEW.latitude, NEW.longitude) END;
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER meetings_geo BEFORE INSERT OR UPDATE OF latitude, longitude, location_id ON meetings
    FOR EACH ROW EXECUTE FUNCTION meetings_set_geo();

-- A location that moves (or becomes confidential) moves its meetings' public point with it.
CREATE OR REPLACE FUNCTION meetings_follow_locations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE meetings m SET geo = n.public_geo
      FROM new_rows n
     WHERE m.location_id = n.id AND m.geo IS DISTINCT FROM n.public_geo;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER locations_meetings_geo AFTER UPDATE ON locations
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION meetings_follow_locations();

-- The start of the first occurrence that has not ended by p_since and starts by p_until, or NULL.
-- Local times follow PostgreSQL's rule: one that falls in a spring-forward gap is read with the offset
-- before the gap (02:30 becomes 03:30 daylight time); one the clocks pass twice in autumn is the second,
-- standard-time one. Durations are at most a day, so the local day before p_since is the earliest start.
CREATE OR REPLACE FUNCTION meeting_next_start(p_days smallint[], p_start time, p_minutes int, p_zone text,
                                              p_since timestamptz, p_until timestamptz)
RETURNS timestamptz LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT min(s.at)
      FROM generate_series(-1, (p_until AT TIME ZONE p_zone)::date - (p_since AT TIME ZONE p_zone)::date) g(n)
     CROSS JOIN LATERAL (SELECT (p_since AT TIME ZONE p_zone)::date + g.n AS day) d
     CROSS JOIN LATERAL (SELECT (d.day + p_start) AT TIME ZONE p_zone AS at) s
     WHERE extract(isodow FROM d.day)::smallint = any(p_days)
       AND s.at + make_interval(mins => p_minutes) > p_since
       AND s.at <= p_until
$$;
