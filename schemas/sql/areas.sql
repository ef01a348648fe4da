-- Service areas: the rings of a GeoJSON extent as polygons, and whether an area covers a point.
-- Live objects, each defined once: re-applied (CREATE OR REPLACE) whenever this file changes.

-- The rings of a GeoJSON Polygon or MultiPolygon: part numbers the polygons, the first ring of
-- each is its exterior and the others its holes.
CREATE OR REPLACE FUNCTION extent_rings(p_extent jsonb) RETURNS TABLE (part int, hole boolean, ring polygon)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT p.n::int, r.n > 1,
           ('(' || (SELECT string_agg(format('(%s,%s)', c.value->>0, c.value->>1), ',' ORDER BY c.k)
                      FROM jsonb_array_elements(r.coords) WITH ORDINALITY AS c(value, k)) || ')')::polygon
      FROM jsonb_array_elements(CASE p_extent->>'type' WHEN 'Polygon' THEN jsonb_build_array(p_extent->'coordinates')
                                     ELSE p_extent->'coordinates' END) WITH ORDINALITY AS p(rings, n),
           jsonb_array_elements(p.rings) WITH ORDINALITY AS r(coords, n)
$$;

CREATE OR REPLACE FUNCTION service_areas_set_rings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM service_area_rings WHERE area_id = NEW.id;
    IF NEW.extent IS NOT NULL THEN
        INSERT INTO service_area_rings (area_id, part, hole, ring)
        SELECT NEW.id, e.part, e.hole, e.ring FROM extent_rings(NEW.extent) AS e;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER service_areas_rings AFTER INSERT OR UPDATE OF extent ON service_areas
    FOR EACH ROW EXECUTE FUNCTION service_areas_set_rings();

-- Whether an area's polygons cover a point, boundaries included (as GeoJSON areas are read: a
-- point on an edge is inside, one on the edge of a hole too). A point on the antimeridian is tested
-- at both +180 and -180. Planar in degrees, as the extent is written; PostgreSQL's geometric
-- comparisons allow 1e-6 degrees (about 0.1 m) of rounding.
CREATE OR REPLACE FUNCTION area_covers(p_area uuid, p_latitude float8, p_longitude float8) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT EXISTS (
        SELECT 1
          FROM (SELECT point(p_longitude, p_latitude) AS at
                UNION ALL SELECT point(-p_longitude, p_latitude) WHERE abs(p_longitude) = 180) AS p,
               service_area_rings o
         WHERE o.area_id = p_area AND NOT o.hole AND o.ring @> p.at
           AND NOT EXISTS (SELECT 1 FROM service_area_rings h
                            WHERE h.area_id = p_area AND h.part = o.part AND h.hole
                              AND h.ring @> p.at AND p.at <-> path(h.ring) > 0))
$$;

-- The services an area of which covers a point: a circle by ellipsoidal distance, an extent by its
-- rings, after the index boxes; and, given a ZIP code, those listing it. plpgsql, so that a search
-- statement calling it is planned as quickly as one without areas.
CREATE OR REPLACE FUNCTION serving_services(p_latitude float8, p_longitude float8, p_postal_code text)
RETURNS uuid[] LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    found uuid[] := ARRAY(
        SELECT a.service_id FROM service_areas a
         WHERE a.id IN (SELECT b.area_id FROM service_area_boxes b WHERE b.extent @> point(p_longitude, p_latitude))
           AND CASE WHEN a.radius_m IS NOT NULL
                    THEN geodesic_m(a.center_latitude, a.center_longitude, p_latitude, p_longitude) <= a.radius_m
                    ELSE a.extent IS NOT NULL AND area_covers(a.id, p_latitude, p_longitude) END);
BEGIN
    IF p_postal_code IS NOT NULL THEN
        found := found || ARRAY(SELECT a.service_id FROM service_areas a WHERE a.postal_codes @> ARRAY[p_postal_code]);
    END IF;
    RETURN found;
END
$$;
