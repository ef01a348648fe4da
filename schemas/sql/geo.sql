-- Places: ellipsoidal distance, and the public point of a location (rounded when confidential) and
-- of what stands at one (meetings, events).
-- Live objects, each defined once: re-applied (CREATE OR REPLACE) whenever this file changes.

-- Ellipsoidal (WGS-84) distance in metres by Lambert's formula for long lines: within 0.2% of
-- an exact geodesic everywhere (about 0.01% below 1,000 km), where a sphere is off by up to 0.7%.
-- plpgsql rather than SQL: an SQL body with sub-selects is not inlined and costs ~15x more a call.
CREATE OR REPLACE FUNCTION geodesic_m(lat1 float8, lon1 float8, lat2 float8, lon2 float8)
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

CREATE OR REPLACE FUNCTION public_coordinate(p_value float8, p_confidential boolean) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_confidential THEN round(p_value::numeric, 2)::float8 ELSE p_value END
$$;

CREATE OR REPLACE FUNCTION public_geo(p_latitude float8, p_longitude float8, p_confidential boolean) RETURNS earth
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_latitude IS NULL THEN NULL
                ELSE ll_to_earth(public_coordinate(p_latitude, p_confidential),
                                 public_coordinate(p_longitude, p_confidential)) END
$$;

CREATE OR REPLACE FUNCTION locations_set_geo() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.geo := CASE WHEN NEW.latitude IS NULL THEN NULL
                    ELSE ll_to_earth(NEW.latitude, NEW.longitude) END;
    NEW.public_geo := public_geo(NEW.latitude, NEW.longitude, NEW.confidential);
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER locations_geo BEFORE INSERT OR UPDATE OF latitude, longitude, confidential ON locations
    FOR EACH ROW EXECUTE FUNCTION locations_set_geo();

-- What stands at a place (a meeting, an event): at a CommonGround location it is where that location
-- publicly is (rounded when confidential), else at its own coordinates. Each table has location_id,
-- latitude, longitude and geo.
CREATE OR REPLACE FUNCTION set_place_geo() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.location_id IS NOT NULL THEN
        NEW.geo := (SELECT l.public_geo FROM locations l WHERE l.id = NEW.location_id);
    ELSE
        NEW.geo := CASE WHEN NEW.latitude IS NULL THEN NULL ELSE ll_to_earth(NEW.latitude, NEW.longitude) END;
    END IF;
    RETURN NEW;
END
$$;

-- A location that moves (or becomes confidential) moves the public point of what stands at it: the
-- table named by the trigger (one of ours, never input).
CREATE OR REPLACE FUNCTION places_follow_locations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('UPDATE %I t SET geo = n.public_geo FROM new_rows n '
                   'WHERE t.location_id = n.id AND t.geo IS DISTINCT FROM n.public_geo', TG_ARGV[0]);
    RETURN NULL;
END
$$;

-- The rows searched nearest first (meeting spans, event occurrences) carry their owner's public point:
-- they follow it when it moves, in the table and by the key the trigger names. The comparison is in the
-- body, not in a WHEN clause: pg_restore creates triggers with an empty search_path, where the earth
-- type's operators are not found.
CREATE OR REPLACE FUNCTION points_follow_owner() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.geo IS DISTINCT FROM NEW.geo THEN
        EXECUTE format('UPDATE %I SET geo = $1 WHERE %I = $2', TG_ARGV[0], TG_ARGV[1]) USING NEW.geo, NEW.id;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER meetings_geo BEFORE INSERT OR UPDATE OF latitude, longitude, location_id ON meetings
    FOR EACH ROW EXECUTE FUNCTION set_place_geo();
CREATE OR REPLACE TRIGGER locations_meetings_geo AFTER UPDATE ON locations
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION places_follow_locations('meetings');
CREATE OR REPLACE TRIGGER meetings_spans_geo AFTER UPDATE ON meetings
    FOR EACH ROW EXECUTE FUNCTION points_follow_owner('meeting_spans', 'meeting_id');
CREATE OR REPLACE TRIGGER events_geo BEFORE INSERT OR UPDATE OF latitude, longitude, location_id ON events
    FOR EACH ROW EXECUTE FUNCTION set_place_geo();
CREATE OR REPLACE TRIGGER locations_events_geo AFTER UPDATE ON locations
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION places_follow_locations('events');
CREATE OR REPLACE TRIGGER events_occurrences_geo AFTER UPDATE ON events
    FOR EACH ROW EXECUTE FUNCTION points_follow_owner('event_occurrences', 'event_id');
