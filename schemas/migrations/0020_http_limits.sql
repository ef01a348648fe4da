-- What the HSDS export has to notice, so it is built again only when its data changed, not on every
-- download. One row per transaction that wrote to a table the export reads (never one shared counter
-- row, which every writer would queue on). A zip built from snapshot S is current while every writer
-- that has committed is visible in S (service/queries/exports.py). `at` is its last such write, for
-- Last-Modified.
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
