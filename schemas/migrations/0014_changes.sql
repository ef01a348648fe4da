-- The change feed: every creation, update and deletion of organizations, services, locations and
-- capacity counts, with the transaction that made it. Readers only see changes of transactions
-- that have ended (below the oldest one still running), ordered by (transaction, seq): a change
-- that commits late can never land behind a cursor a reader already holds.
CREATE TABLE changes (
    seq       bigserial PRIMARY KEY,
    txid      xid8 NOT NULL DEFAULT pg_current_xact_id(),
    entity    text NOT NULL,
    entity_id uuid NOT NULL,
    op        text NOT NULL CHECK (op IN ('create', 'update', 'delete')),
    at        timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX changes_order ON changes (txid, seq);

CREATE FUNCTION record_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- TG_ARGV[0]: the entity name; TG_ARGV[1]: the id column (service_id for capacity).
    IF TG_OP = 'DELETE' THEN
        EXECUTE format('INSERT INTO changes (entity, entity_id, op) SELECT %L, %I, %L FROM gone',
                       TG_ARGV[0], TG_ARGV[1], 'delete');
    ELSE
        EXECUTE format('INSERT INTO changes (entity, entity_id, op) SELECT %L, %I, %L FROM changed',
                       TG_ARGV[0], TG_ARGV[1], CASE WHEN TG_OP = 'INSERT' AND TG_ARGV[0] <> 'capacity'
                                                    THEN 'create' ELSE 'update' END);
    END IF;
    RETURN NULL;
END
$$;

DO $$
DECLARE
    source record;
BEGIN
    FOR source IN SELECT * FROM (VALUES ('organizations', 'organization'), ('services', 'service'),
                                        ('locations', 'location')) AS t (tab, entity) LOOP
        EXECUTE format('CREATE TRIGGER %1$s_changes_insert AFTER INSERT ON %1$I REFERENCING NEW TABLE AS changed '
                       'FOR EACH STATEMENT EXECUTE FUNCTION record_changes(%2$L, ''id'')', source.tab, source.entity);
        EXECUTE format('CREATE TRIGGER %1$s_changes_update AFTER UPDATE ON %1$I REFERENCING NEW TABLE AS changed '
                       'FOR EACH STATEMENT EXECUTE FUNCTION record_changes(%2$L, ''id'')', source.tab, source.entity);
        EXECUTE format('CREATE TRIGGER %1$s_changes_delete AFTER DELETE ON %1$I REFERENCING OLD TABLE AS gone '
                       'FOR EACH STATEMENT EXECUTE FUNCTION record_changes(%2$L, ''id'')', source.tab, source.entity);
    END LOOP;
END
$$;
CREATE TRIGGER service_capacity_changes AFTER INSERT ON service_capacity
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION record_changes('capacity', 'service_id');

-- What existed before the feed began, as creations, so replaying from zero reaches the data.
INSERT INTO changes (entity, entity_id, op)
SELECT 'organization', id, 'create' FROM organizations
UNION ALL SELECT 'location', id, 'create' FROM locations
UNION ALL SELECT 'service', id, 'create' FROM services;
