-- Curation: soft deletion, an audit log of every write, verifications, suggestions from the field,
-- and redirects left by merges.

-- Listings are never hard-deleted by a normal call: DELETE sets deleted_at (and a service's status
-- to defunct); search rows of deleted listings are removed as soon as they are written.
ALTER TABLE organizations ADD COLUMN deleted_at timestamptz;
ALTER TABLE services ADD COLUMN deleted_at timestamptz, ADD COLUMN status_before_delete text;
ALTER TABLE locations ADD COLUMN deleted_at timestamptz;
-- Set only by a verification, so an unrelated save or an import never moves assured_date.
ALTER TABLE services ADD COLUMN verified_at timestamptz;

CREATE FUNCTION hide_deleted_resources() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM resource_index ri
     USING written w, service_at_location sal, services s, locations l, organizations o
     WHERE ri.id = w.id AND sal.id = w.id AND s.id = sal.service_id AND l.id = sal.location_id
       AND o.id = s.organization_id
       AND (s.deleted_at IS NOT NULL OR l.deleted_at IS NOT NULL OR o.deleted_at IS NOT NULL);
    RETURN NULL;
END
$$;
CREATE TRIGGER resource_index_hide_deleted_insert AFTER INSERT ON resource_index
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION hide_deleted_resources();
CREATE TRIGGER resource_index_hide_deleted_update AFTER UPDATE ON resource_index
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION hide_deleted_resources();

-- The audit log: who (key id, or import:<source>), when, which request, and the before/after of each
-- changed column, written by triggers in the transaction of the write. `snapshot` is the row after the
-- change, so any version can be restored. A purge blanks the object's earlier records.
CREATE TABLE audit_log (
    id         bigserial PRIMARY KEY,
    entity     text NOT NULL,
    entity_id  uuid NOT NULL,
    op         text NOT NULL,
    changes    jsonb,
    snapshot   jsonb,
    actor      text,
    request_id text,
    note       text,
    at         timestamptz NOT NULL DEFAULT now(),
    txid       xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, id);

-- Columns that are bookkeeping, not content.
CREATE FUNCTION audit_ignored() RETURNS text[] LANGUAGE sql IMMUTABLE
    AS $$ SELECT ARRAY['updated_at', 'created_at', 'search_vector', 'geo'] $$;

CREATE FUNCTION audit_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    actor text := nullif(current_setting('commonground.actor', true), '');
    request text := nullif(current_setting('commonground.request_id', true), '');
    forced text := nullif(current_setting('commonground.audit_op', true), '');
    note text := nullif(current_setting('commonground.audit_note', true), '');
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- A creation's changes are its snapshot's fields (from nothing); the history reader derives them,
        -- which keeps bulk imports from building every document twice.
        INSERT INTO audit_log (entity, entity_id, op, snapshot, actor, request_id, note)
        SELECT TG_ARGV[0], n.id, coalesce(forced, 'create'), to_jsonb(n) - audit_ignored(), actor, request, note
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

-- A soft delete or a restore is also a deletion or a creation in the change feed (and its webhooks).
CREATE FUNCTION record_lifecycle_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO changes (entity, entity_id, op)
    SELECT TG_ARGV[0], n.id, CASE WHEN n.deleted_at IS NOT NULL THEN 'delete' ELSE 'create' END
      FROM new_rows n JOIN old_rows o ON o.id = n.id
     WHERE (n.deleted_at IS NULL) <> (o.deleted_at IS NULL)
     ORDER BY n.id;
    RETURN NULL;
END
$$;

DO $$
DECLARE
    source record;
BEGIN
    FOR source IN SELECT * FROM (VALUES ('organizations', 'organization'), ('services', 'service'),
                                        ('locations', 'location')) AS t (tab, entity) LOOP
        EXECUTE format('CREATE TRIGGER %1$s_audit_insert AFTER INSERT ON %1$I REFERENCING NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION audit_rows(%2$L)', source.tab, source.entity);
        EXECUTE format('CREATE TRIGGER %1$s_audit_update AFTER UPDATE ON %1$I REFERENCING OLD TABLE AS old_rows '
                       'NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_rows(%2$L)',
                       source.tab, source.entity);
        EXECUTE format('CREATE TRIGGER %1$s_audit_delete AFTER DELETE ON %1$I REFERENCING OLD TABLE AS old_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION audit_rows(%2$L)', source.tab, source.entity);
        EXECUTE format('CREATE TRIGGER %1$s_lifecycle_changes AFTER UPDATE ON %1$I REFERENCING OLD TABLE AS old_rows '
                       'NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION record_lifecycle_changes(%2$L)',
                       source.tab, source.entity);
        -- Where history starts: the row as it was when auditing began.
        EXECUTE format('INSERT INTO audit_log (entity, entity_id, op, snapshot, actor) '
                       'SELECT %2$L, id, ''baseline'', to_jsonb(t) - audit_ignored(), ''migration'' FROM %1$I t',
                       source.tab, source.entity);
    END LOOP;
END
$$;

-- A person checked the listing: by phone, a visit, email, or an update from the provider.
CREATE TABLE verifications (
    id         bigserial PRIMARY KEY,
    service_id uuid NOT NULL REFERENCES services ON DELETE CASCADE,
    method     text NOT NULL CHECK (method IN ('phone', 'visit', 'email', 'provider-update')),
    note       text,
    actor      text,
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX verifications_service ON verifications (service_id, at DESC);

-- How often each service was shown (search results and reads), per day: re-check the busy ones first.
CREATE TABLE service_views (
    service_id uuid NOT NULL REFERENCES services ON DELETE CASCADE,
    day        date NOT NULL,
    served     bigint NOT NULL,
    PRIMARY KEY (service_id, day)
);

-- Reports from the field, applied only when an admin approves them.
CREATE TABLE suggestions (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind         text NOT NULL CHECK (kind IN ('correction', 'closure', 'new')),
    service_id   uuid REFERENCES services ON DELETE SET NULL,
    changes      jsonb NOT NULL DEFAULT '{}',
    note         text,
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    submitted_by text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    decided_at   timestamptz,
    decided_by   text,
    reason       text,
    result_id    uuid
);
CREATE INDEX suggestions_queue ON suggestions (status, created_at);

-- Ids merged into another: they keep answering, with a 308 to the survivor.
CREATE TABLE redirects (
    entity     text NOT NULL,
    old_id     uuid NOT NULL,
    new_id     uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (entity, old_id)
);

-- Likely duplicate organizations are found by similar names.
CREATE INDEX organizations_name_trgm ON organizations USING gin (name gin_trgm_ops);

-- Whether a row hangs off live listings (for exports, which leave deleted listings out).
CREATE FUNCTION listed(p_organization uuid, p_service uuid, p_location uuid, p_link uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN p_organization IS NOT NULL
            THEN EXISTS (SELECT 1 FROM organizations WHERE id = p_organization AND deleted_at IS NULL)
        WHEN p_service IS NOT NULL
            THEN EXISTS (SELECT 1 FROM services WHERE id = p_service AND deleted_at IS NULL)
        WHEN p_location IS NOT NULL
            THEN EXISTS (SELECT 1 FROM locations WHERE id = p_location AND deleted_at IS NULL)
        ELSE EXISTS (SELECT 1 FROM service_at_location sal
                       JOIN services s ON s.id = sal.service_id AND s.deleted_at IS NULL
                       JOIN locations l ON l.id = sal.location_id AND l.deleted_at IS NULL
                      WHERE sal.id = p_link)
    END
$$;

-- HSDS documents nest other listings; deleted ones are left out there too. The document functions
-- are kept under new names and their nested lists filtered here.
ALTER FUNCTION hsds_service(services, boolean) RENAME TO hsds_service_with_deleted;
CREATE FUNCTION hsds_service(s services, p_stamp boolean) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_set(d, '{service_at_locations}', (
               SELECT coalesce(jsonb_agg(x ORDER BY n), '[]'::jsonb)
                 FROM jsonb_array_elements(d -> 'service_at_locations') WITH ORDINALITY AS e (x, n)
                WHERE listed(NULL, NULL, NULL, (x ->> 'id')::uuid)))
      FROM (SELECT hsds_service_with_deleted(s, p_stamp) AS d) doc
$$;

ALTER FUNCTION hsds_organization(organizations, boolean) RENAME TO hsds_organization_with_deleted;
CREATE FUNCTION hsds_organization(o organizations, p_full boolean) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN d ? 'locations' THEN jsonb_set(d, '{locations}', (
               SELECT coalesce(jsonb_agg(x ORDER BY n), '[]'::jsonb)
                 FROM jsonb_array_elements(d -> 'locations') WITH ORDINALITY AS e (x, n)
                WHERE listed(NULL, NULL, (x ->> 'id')::uuid, NULL))) ELSE d END
      FROM (SELECT hsds_organization_with_deleted(o, p_full) AS d) doc
$$;

CREATE OR REPLACE FUNCTION hsds_organization_document(o organizations, p_full boolean, p_full_service boolean)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN p_full OR p_full_service
        THEN hsds_organization(o, true) || jsonb_build_object('services', (
             SELECT coalesce(jsonb_agg(CASE WHEN p_full_service THEN hsds_service(s, true)
                                            ELSE hsds_service_summary(s) END ORDER BY s.id), '[]'::jsonb)
               FROM services s WHERE s.organization_id = o.id AND s.deleted_at IS NULL))
        ELSE hsds_organization_summary(o)
    END
$$;
