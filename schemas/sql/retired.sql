-- Objects that earlier versions defined and the area files no longer do: dropped where they exist,
-- after the other areas are applied (so nothing uses them any more). Add to this list, never remove.
DROP TRIGGER IF EXISTS resource_index_hide_deleted_insert ON resource_index;
DROP TRIGGER IF EXISTS resource_index_hide_deleted_update ON resource_index;
DROP FUNCTION IF EXISTS hide_deleted_resources();
DROP FUNCTION IF EXISTS reindex_after_locations();
DROP FUNCTION IF EXISTS reindex_after_organizations();
DROP FUNCTION IF EXISTS reindex_after_phones();
DROP FUNCTION IF EXISTS reindex_after_schedules();
DROP FUNCTION IF EXISTS reindex_after_service_at_location();
DROP FUNCTION IF EXISTS reindex_after_service_categories();
DROP FUNCTION IF EXISTS reindex_after_services();
DROP FUNCTION IF EXISTS services_serving(float8, float8, text);
DROP FUNCTION IF EXISTS resource_timeline(text, smallint[], time[], time[], date[], date[], text[], date[], time[], time[], timestamptz);
DROP FUNCTION IF EXISTS location_document(uuid, text, text, float8, float8, text, text, text, text, text, text, text, text, boolean);
-- The hours of a search result are finished in Python from the timeline (service/search/moments.py).
DROP FUNCTION IF EXISTS timeline_hours(timestamptz[], timestamptz[], text[], date, text, timestamptz);
