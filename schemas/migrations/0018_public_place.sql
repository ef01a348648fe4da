-- The public place of a location: the point every public answer may filter and sort by. For a
-- confidential location it is the rounded point (public_coordinate), so no filter, count or order
-- can tell where in its ~1 km cell the real place is; for any other it is the point itself.
ALTER TABLE locations ADD COLUMN public_geo earth;

CREATE FUNCTION public_geo(p_latitude float8, p_longitude float8, p_confidential boolean) RETURNS earth
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

DROP TRIGGER locations_geo ON locations;
CREATE TRIGGER locations_geo BEFORE INSERT OR UPDATE OF latitude, longitude, confidential ON locations
    FOR EACH ROW EXECUTE FUNCTION locations_set_geo();

CREATE OR REPLACE FUNCTION audit_ignored() RETURNS text[] LANGUAGE sql IMMUTABLE
    AS $$ SELECT ARRAY['updated_at', 'created_at', 'search_vector', 'geo', 'public_geo'] $$;

-- A derived column, filled without firing the audit, change-feed and reindex triggers.
ALTER TABLE locations DISABLE TRIGGER USER;
UPDATE locations SET public_geo = public_geo(latitude, longitude, confidential);
ALTER TABLE locations ENABLE TRIGGER USER;
CREATE INDEX locations_public_geo_gist ON locations USING gist (public_geo);
