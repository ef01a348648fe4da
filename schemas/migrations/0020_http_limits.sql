-- The data version of the HSDS export, so it is built once per version instead of on every download.
-- One row per transaction that wrote to a table the export reads (never one shared counter row, which
-- every writer would queue on). The version is the newest of these transactions that has ended (below
-- the oldest one still running, as in the change feed): every change up to it is final, so an export
-- built from a later snapshot holds all of them. `at` is its last such write, for Last-Modified.
CREATE TABLE export_writes (
    txid xid8 PRIMARY KEY DEFAULT pg_current_xact_id(),
    at   timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE FUNCTION record_export_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO export_writes DEFAULT VALUES ON CONFLICT (txid) DO UPDATE SET at = excluded.at;
    RETURN NULL;
END
$$;

DO $$
DECLARE
    tab text;
BEGIN
    FOREACH tab IN ARRAY ARRAY['organizations', 'services', 'locations', 'service_at_location', 'phones',
                               'schedules', 'taxonomies', 'taxonomy_terms', 'categories', 'eligibility_terms',
                               'service_taxonomy_terms', 'service_categories', 'service_attributes'] LOOP
        EXECUTE format('CREATE TRIGGER %1$s_export_write AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %1$I '
                       'FOR EACH STATEMENT EXECUTE FUNCTION record_export_write()', tab);
    END LOOP;
END
$$;

INSERT INTO export_writes DEFAULT VALUES;
