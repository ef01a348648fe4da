-- Meetings: their public point. (When the next one starts is worked out in service/search/weekly.py.)
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

-- The spans carry the meeting's public point for the nearest-first index: they follow it when it moves.
-- The comparison is in the body, not in a WHEN clause: pg_restore creates triggers with an empty
-- search_path, where the earth type's operators are not found.
CREATE OR REPLACE FUNCTION meeting_spans_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.geo IS DISTINCT FROM NEW.geo THEN
        UPDATE meeting_spans SET geo = NEW.geo WHERE meeting_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER meetings_spans_geo AFTER UPDATE ON meetings
    FOR EACH ROW EXECUTE FUNCTION meeting_spans_follow();
