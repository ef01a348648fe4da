-- The change feed, and the webhook outbox it fills in the same transaction.
-- Live objects, each defined once: re-applied (CREATE OR REPLACE) whenever this file changes.

CREATE OR REPLACE FUNCTION record_changes() RETURNS trigger LANGUAGE plpgsql AS $$
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

-- A soft delete or a restore is also a deletion or a creation in the change feed (and its webhooks).
CREATE OR REPLACE FUNCTION record_lifecycle_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO changes (entity, entity_id, op)
    SELECT TG_ARGV[0], n.id, CASE WHEN n.deleted_at IS NOT NULL THEN 'delete' ELSE 'create' END
      FROM new_rows n JOIN old_rows o ON o.id = n.id
     WHERE (n.deleted_at IS NULL) <> (o.deleted_at IS NULL)
     ORDER BY n.id;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION enqueue_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO webhook_deliveries (webhook_id, event_type, entity, entity_id, op, at)
    SELECT w.id, c.entity || '.' || c.op, c.entity, c.entity_id, c.op, c.at
      FROM recorded c
      JOIN webhooks w ON w.deleted_at IS NULL
                     AND (c.entity || '.' || c.op = any(w.events) OR '*' = any(w.events))
     ORDER BY c.seq, w.id;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER changes_webhooks AFTER INSERT ON changes
    REFERENCING NEW TABLE AS recorded
    FOR EACH STATEMENT EXECUTE FUNCTION enqueue_webhooks();
CREATE OR REPLACE TRIGGER events_changes_delete AFTER DELETE ON events
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION record_changes('event', 'id');
CREATE OR REPLACE TRIGGER events_changes_insert AFTER INSERT ON events
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION record_changes('event', 'id');
CREATE OR REPLACE TRIGGER events_changes_update AFTER UPDATE ON events
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION record_changes('event', 'id');
CREATE OR REPLACE TRIGGER events_lifecycle_changes AFTER UPDATE ON events
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION record_lifecycle_changes('event');
CREATE OR REPLACE TRIGGER locations_changes_delete AFTER DELETE ON locations
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION record_changes('location', 'id');
CREATE OR REPLACE TRIGGER locations_changes_insert AFTER INSERT ON locations
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION record_changes('location', 'id');
CREATE OR REPLACE TRIGGER locations_changes_update AFTER UPDATE ON locations
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION record_changes('location', 'id');
CREATE OR REPLACE TRIGGER locations_lifecycle_changes AFTER UPDATE ON locations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION record_lifecycle_changes('location');
CREATE OR REPLACE TRIGGER meetings_changes_delete AFTER DELETE ON meetings
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION record_changes('meeting', 'id');
CREATE OR REPLACE TRIGGER meetings_changes_insert AFTER INSERT ON meetings
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION record_changes('meeting', 'id');
CREATE OR REPLACE TRIGGER meetings_changes_update AFTER UPDATE ON meetings
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION record_changes('meeting', 'id');
CREATE OR REPLACE TRIGGER meetings_lifecycle_changes AFTER UPDATE ON meetings
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION record_lifecycle_changes('meeting');
CREATE OR REPLACE TRIGGER organizations_changes_delete AFTER DELETE ON organizations
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION record_changes('organization', 'id');
CREATE OR REPLACE TRIGGER organizations_changes_insert AFTER INSERT ON organizations
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION record_changes('organization', 'id');
CREATE OR REPLACE TRIGGER organizations_changes_update AFTER UPDATE ON organizations
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION record_changes('organization', 'id');
CREATE OR REPLACE TRIGGER organizations_lifecycle_changes AFTER UPDATE ON organizations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION record_lifecycle_changes('organization');
CREATE OR REPLACE TRIGGER service_capacity_changes AFTER INSERT ON service_capacity
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION record_changes('capacity', 'service_id');
CREATE OR REPLACE TRIGGER services_changes_delete AFTER DELETE ON services
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION record_changes('service', 'id');
CREATE OR REPLACE TRIGGER services_changes_insert AFTER INSERT ON services
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION record_changes('service', 'id');
CREATE OR REPLACE TRIGGER services_changes_update AFTER UPDATE ON services
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION record_changes('service', 'id');
CREATE OR REPLACE TRIGGER services_lifecycle_changes AFTER UPDATE ON services
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION record_lifecycle_changes('service');
