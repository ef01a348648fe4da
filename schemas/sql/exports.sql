-- The export's record of who wrote what it reads (the table is migration 0004_export_writes).
-- Live objects, each defined once: re-applied (CREATE OR REPLACE) whenever this file changes.

CREATE OR REPLACE FUNCTION record_export_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO export_writes DEFAULT VALUES ON CONFLICT (txid) DO UPDATE SET at = excluded.at;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER categories_export_write AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON categories
    FOR EACH STATEMENT EXECUTE FUNCTION record_export_write();
CREATE OR REPLACE TRIGGER eligibility_terms_export_write AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON eligibility_terms FOR EACH STATEMENT EXECUTE FUNCTION record_export_write();
CREATE OR REPLACE TRIGGER events_export_write AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION record_export_write();
CREATE OR REPLACE TRIGGER locations_export_write AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON locations
    FOR EACH STATEMENT EXECUTE FUNCTION record_export_write();
CREATE OR REPLACE TRIGGER organizations_export_write AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON organizations
    FOR EACH STATEMENT EXECUTE FUNCTION record_export_write();
CREATE OR REPLACE TRIGGER phones_export_write AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON phones
    FOR EACH STATEMENT EXECUTE FUNCTION record_export_write();
CREATE OR REPLACE TRIGGER schedules_export_write AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON schedules
    FOR EACH STATEMENT EXECUTE FUNCTION record_export_write();
CREATE OR REPLACE TRIGGER service_at_location_export_write AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON service_at_location FOR EACH STATEMENT EXECUTE FUNCTION record_export_write();
CREATE OR REPLACE TRIGGER service_attributes_export_write AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON service_attributes FOR EACH STATEMENT EXECUTE FUNCTION record_export_write();
-- Capacity is in the HSDS 3.1 profile only; a 3.0 zip built again after a count has the same bytes
-- and keeps its Last-Modified (ExportCache.build).
CREATE OR REPLACE TRIGGER service_capacity_export_write AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON service_capacity FOR EACH STATEMENT EXECUTE FUNCTION record_export_write();
CREATE OR REPLACE TRIGGER service_categories_export_write AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON service_categories FOR EACH STATEMENT EXECUTE FUNCTION record_export_write();
CREATE OR REPLACE TRIGGER service_taxonomy_terms_export_write AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON service_taxonomy_terms FOR EACH STATEMENT EXECUTE FUNCTION record_export_write();
CREATE OR REPLACE TRIGGER services_export_write AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON services
    FOR EACH STATEMENT EXECUTE FUNCTION record_export_write();
CREATE OR REPLACE TRIGGER taxonomies_export_write AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON taxonomies
    FOR EACH STATEMENT EXECUTE FUNCTION record_export_write();
CREATE OR REPLACE TRIGGER taxonomy_terms_export_write AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON taxonomy_terms FOR EACH STATEMENT EXECUTE FUNCTION record_export_write();
