-- The rings of each service area's GeoJSON extent as PostgreSQL polygons (exteriors and holes, by
-- part of a MultiPolygon), so the point-in-area test runs inside the search statement instead of
-- in the application after a query of its own. Kept by the trigger of schemas/sql/areas.sql.
CREATE TABLE service_area_rings (
    area_id uuid NOT NULL REFERENCES service_areas ON DELETE CASCADE,
    part    int NOT NULL,      -- which polygon of a MultiPolygon (1 for a Polygon)
    hole    boolean NOT NULL,  -- an interior ring of that polygon
    ring    polygon NOT NULL   -- (longitude, latitude) vertices
);
CREATE INDEX service_area_rings_area ON service_area_rings (area_id);

-- Existing areas, once (the trigger keeps new ones).
INSERT INTO service_area_rings (area_id, part, hole, ring)
SELECT a.id, p.n, r.n > 1,
       ('(' || (SELECT string_agg(format('(%s,%s)', c.value->>0, c.value->>1), ',' ORDER BY c.k)
                  FROM jsonb_array_elements(r.coords) WITH ORDINALITY AS c(value, k)) || ')')::polygon
  FROM service_areas a,
       jsonb_array_elements(CASE a.extent->>'type' WHEN 'Polygon' THEN jsonb_build_array(a.extent->'coordinates')
                                 ELSE a.extent->'coordinates' END) WITH ORDINALITY AS p(rings, n),
       jsonb_array_elements(p.rings) WITH ORDINALITY AS r(coords, n)
 WHERE a.extent IS NOT NULL;
