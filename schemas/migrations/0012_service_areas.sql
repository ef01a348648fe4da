-- Service areas: where a service without a door to walk to reaches people (a hotline, a mobile
-- van, county-wide court accompaniment). A GeoJSON (Multi)Polygon, a list of postal codes, or a
-- circle. Boxes around each area (split at the antimeridian) are GiST-indexed as a prefilter; the
-- exact test runs in the application (shapely).

CREATE TABLE service_areas (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    service_id       uuid NOT NULL REFERENCES services ON DELETE CASCADE,
    name             text,
    extent           jsonb,
    postal_codes     text[] NOT NULL DEFAULT '{}',
    center_latitude  float8 CHECK (center_latitude BETWEEN -90 AND 90),
    center_longitude float8 CHECK (center_longitude BETWEEN -180 AND 180),
    radius_m         float8 CHECK (radius_m > 0),
    position         int NOT NULL DEFAULT 0,
    CHECK (num_nonnulls(extent, center_latitude) + (cardinality(postal_codes) > 0)::int = 1),
    CHECK ((center_latitude IS NULL) = (center_longitude IS NULL) AND (center_latitude IS NULL) = (radius_m IS NULL))
);
CREATE INDEX service_areas_service ON service_areas (service_id);
CREATE INDEX service_areas_postal_codes ON service_areas USING gin (postal_codes);

CREATE TABLE service_area_boxes (
    area_id uuid NOT NULL REFERENCES service_areas ON DELETE CASCADE,
    extent  box NOT NULL  -- (longitude, latitude) corners
);
CREATE INDEX service_area_boxes_extent ON service_area_boxes USING gist (extent);
CREATE INDEX service_area_boxes_area ON service_area_boxes (area_id);

-- A service's areas as the API shows them.
CREATE FUNCTION service_areas_json(p_service uuid) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT coalesce(json_agg(json_build_object(
               'id', a.id, 'name', a.name, 'extent', a.extent, 'postal_codes', to_json(a.postal_codes),
               'center', CASE WHEN a.center_latitude IS NULL THEN NULL
                              ELSE json_build_object('latitude', a.center_latitude, 'longitude', a.center_longitude) END,
               'radius_m', a.radius_m) ORDER BY a.position, a.id), '[]'::json)
      FROM service_areas a WHERE a.service_id = p_service
$$;

CREATE OR REPLACE FUNCTION service_json(s services) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT (service_summary_json(s)::jsonb || jsonb_build_object(
        'organization_id', s.organization_id,
        'location_ids', (SELECT coalesce(jsonb_agg(sal.location_id ORDER BY sal.location_id), '[]'::jsonb)
                           FROM service_at_location sal WHERE sal.service_id = s.id),
        'phones', owned_phones_json(s.id), 'schedules', owned_schedules_json(s.id),
        'service_areas', service_areas_json(s.id)::jsonb,
        'created_at', s.created_at, 'updated_at', s.updated_at))::json
$$;
