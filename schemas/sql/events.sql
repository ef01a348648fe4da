-- Events: their public point. (Their occurrences are expanded in service/search/recurrence.py.)
-- Live objects, each defined once: re-applied (CREATE OR REPLACE) whenever this file changes.

-- An event at a CommonGround location is where that location publicly is (rounded when confidential).
CREATE OR REPLACE FUNCTION events_set_geo() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.location_id IS NOT NULL THEN
        NEW.geo := (SELECT l.public_geo FROM locations l WHERE l.id = NEW.location_id);
    ELSE
        NEW.geo := CASE WHEN NEW.latitude IS NULL THEN NULL ELSE ll_to_earth(NEW.latitude, NEW.longitude) END;
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER events_geo BEFORE INSERT OR UPDATE OF latitude, longitude, location_id ON events
    FOR EACH ROW EXECUTE FUNCTION events_set_geo();

-- A location that moves (or becomes confidential) moves its events' public point with it.
CREATE OR REPLACE FUNCTION events_follow_locations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE events e SET geo = n.public_geo
      FROM new_rows n
     WHERE e.location_id = n.id AND e.geo IS DISTINCT FROM n.public_geo;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER locations_events_geo AFTER UPDATE ON locations
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION events_follow_locations();

-- The occurrences carry the event's public point for nearest-first search: they follow it when it moves
-- (compared in the body, as meeting spans are: pg_restore runs triggers' WHEN with an empty search_path).
CREATE OR REPLACE FUNCTION event_occurrences_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.geo IS DISTINCT FROM NEW.geo THEN
        UPDATE event_occurrences SET geo = NEW.geo WHERE event_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER events_occurrences_geo AFTER UPDATE ON events
    FOR EACH ROW EXECUTE FUNCTION event_occurrences_follow();
