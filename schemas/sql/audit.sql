-- The audit log: every write to organizations, services and locations, in the writing transaction.
-- Live objects, each defined once: re-applied (CREATE OR REPLACE) whenever this file changes.

-- Columns that are bookkeeping, not content.
CREATE OR REPLACE FUNCTION audit_ignored() RETURNS text[] LANGUAGE sql IMMUTABLE
    AS $$ SELECT ARRAY['updated_at', 'created_at', 'search_vector', 'geo', 'public_geo'] $$;

-- The listing's own fields right after a version. A creation's are derived: the next record that kept
-- a snapshot, with that record's changes undone (each change is [before, after]; list changes merged into
-- it name no column and are skipped), or else the row as it is now, when nothing changed it since.
-- NULL for a version that is not there, or whose listing was purged.
CREATE OR REPLACE FUNCTION audit_snapshot(p_entity text, p_id uuid, p_version bigint) RETURNS jsonb
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    kept jsonb;
    later record;
BEGIN
    SELECT a.snapshot INTO kept FROM audit_log a WHERE a.entity = p_entity AND a.entity_id = p_id AND a.id = p_version;
    IF NOT FOUND THEN
        RETURN NULL;
    ELSIF kept IS NOT NULL THEN
        RETURN kept;
    END IF;
    SELECT a.snapshot, a.changes INTO later
      FROM audit_log a
     WHERE a.entity = p_entity AND a.entity_id = p_id AND a.id > p_version AND a.snapshot IS NOT NULL
     ORDER BY a.id
     LIMIT 1;
    IF FOUND THEN
        RETURN later.snapshot || coalesce((SELECT jsonb_object_agg(c.key, c.value -> 0)
                                             FROM jsonb_each(later.changes) c
                                            WHERE later.snapshot ? c.key), '{}'::jsonb);
    END IF;
    RETURN CASE p_entity
        WHEN 'organization' THEN (SELECT to_jsonb(t) - audit_ignored() FROM organizations t WHERE t.id = p_id)
        WHEN 'service' THEN (SELECT to_jsonb(t) - audit_ignored() FROM services t WHERE t.id = p_id)
        WHEN 'location' THEN (SELECT to_jsonb(t) - audit_ignored() FROM locations t WHERE t.id = p_id)
        WHEN 'event' THEN (SELECT to_jsonb(t) - audit_ignored() FROM events t WHERE t.id = p_id)
        WHEN 'meeting' THEN (SELECT to_jsonb(t) - audit_ignored() FROM meetings t WHERE t.id = p_id)
    END;
END
$$;

CREATE OR REPLACE FUNCTION audit_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    actor text := nullif(current_setting('commonground.actor', true), '');
    request text := nullif(current_setting('commonground.request_id', true), '');
    forced text := nullif(current_setting('commonground.audit_op', true), '');
    note text := nullif(current_setting('commonground.audit_note', true), '');
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- A creation keeps no snapshot: audit_snapshot() derives it when it is read, so a bulk import
        -- writes one small record a row instead of a copy of every row (1.2 GB at a million listings).
        INSERT INTO audit_log (entity, entity_id, op, actor, request_id, note)
        SELECT TG_ARGV[0], n.id, coalesce(forced, 'create'), actor, request, note
          FROM new_rows n;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO audit_log (entity, entity_id, op, changes, snapshot, actor, request_id, note)
        SELECT TG_ARGV[0], x.id,
               coalesce(forced, CASE WHEN x.was_deleted = x.is_deleted THEN 'update'
                                     WHEN x.is_deleted THEN 'delete' ELSE 'restore' END),
               d.diff, x.nj, actor, request, note
          FROM (SELECT n.id, to_jsonb(o) - audit_ignored() AS oj, to_jsonb(n) - audit_ignored() AS nj,
                       o.deleted_at IS NOT NULL AS was_deleted, n.deleted_at IS NOT NULL AS is_deleted
                  FROM new_rows n JOIN old_rows o ON o.id = n.id) x
          CROSS JOIN LATERAL (SELECT jsonb_object_agg(e.key, jsonb_build_array(x.oj -> e.key, e.value)) AS diff
                                FROM jsonb_each(x.nj) e WHERE x.oj -> e.key IS DISTINCT FROM e.value) d
         WHERE d.diff IS NOT NULL;
    ELSE
        INSERT INTO audit_log (entity, entity_id, op, actor, request_id, note)
        SELECT TG_ARGV[0], o.id, coalesce(forced, 'purge'), actor, request, note FROM old_rows o;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER events_audit_delete AFTER DELETE ON events
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('event');
CREATE OR REPLACE TRIGGER events_audit_insert AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('event');
CREATE OR REPLACE TRIGGER events_audit_update AFTER UPDATE ON events
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('event');
CREATE OR REPLACE TRIGGER locations_audit_delete AFTER DELETE ON locations
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('location');
CREATE OR REPLACE TRIGGER locations_audit_insert AFTER INSERT ON locations
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('location');
CREATE OR REPLACE TRIGGER locations_audit_update AFTER UPDATE ON locations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('location');
CREATE OR REPLACE TRIGGER meetings_audit_delete AFTER DELETE ON meetings
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('meeting');
CREATE OR REPLACE TRIGGER meetings_audit_insert AFTER INSERT ON meetings
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('meeting');
CREATE OR REPLACE TRIGGER meetings_audit_update AFTER UPDATE ON meetings
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('meeting');
CREATE OR REPLACE TRIGGER organizations_audit_delete AFTER DELETE ON organizations
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('organization');
CREATE OR REPLACE TRIGGER organizations_audit_insert AFTER INSERT ON organizations
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('organization');
CREATE OR REPLACE TRIGGER organizations_audit_update AFTER UPDATE ON organizations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('organization');
CREATE OR REPLACE TRIGGER services_audit_delete AFTER DELETE ON services
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('service');
CREATE OR REPLACE TRIGGER services_audit_insert AFTER INSERT ON services
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('service');
CREATE OR REPLACE TRIGGER services_audit_update AFTER UPDATE ON services
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('service');
