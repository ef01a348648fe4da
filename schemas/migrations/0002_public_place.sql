-- The public place of a location: the point every public answer may filter and sort by. For a
-- confidential location it is the rounded point, so no filter, count or order can tell where in
-- its ~1 km cell the real place is; for any other it is the point itself. The geo trigger
-- (schemas/sql/geo.sql) keeps it; this fills it once, as public_geo() would, without firing the
-- audit, change-feed and reindex triggers (nothing a reader sees changes).
ALTER TABLE locations ADD COLUMN public_geo earth;
ALTER TABLE locations DISABLE TRIGGER USER;
UPDATE locations
   SET public_geo = CASE WHEN latitude IS NULL THEN NULL
                         WHEN confidential THEN ll_to_earth(round(latitude::numeric, 2)::float8,
                                                            round(longitude::numeric, 2)::float8)
                         ELSE ll_to_earth(latitude, longitude) END;
ALTER TABLE locations ENABLE TRIGGER USER;
CREATE INDEX locations_public_geo_gist ON locations USING gist (public_geo);
