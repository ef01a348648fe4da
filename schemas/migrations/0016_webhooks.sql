-- Webhooks: partners register a URL and event types ('service.update', 'capacity.update', '*').
-- Each change fans out into the outbox (webhook_deliveries) in the transaction that made it, so a
-- crash or restart never loses an event; deliverers claim due rows with SKIP LOCKED and retry with
-- exponential backoff. The signing secret is kept as given: HMAC needs it.
CREATE TABLE webhooks (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    key_id      uuid NOT NULL,
    url         text NOT NULL,
    events      text[] NOT NULL CHECK (cardinality(events) > 0),
    description text,
    secret      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE INDEX webhooks_key ON webhooks (key_id) WHERE deleted_at IS NULL;

CREATE TABLE webhook_deliveries (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq             bigserial UNIQUE,
    webhook_id      uuid NOT NULL REFERENCES webhooks ON DELETE CASCADE,
    event_type      text NOT NULL,
    entity          text NOT NULL,
    entity_id       uuid NOT NULL,
    op              text NOT NULL,
    at              timestamptz NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    locked_until    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, seq);

-- Every attempt, for the partner's delivery log.
CREATE TABLE webhook_attempts (
    delivery_id uuid NOT NULL REFERENCES webhook_deliveries ON DELETE CASCADE,
    attempt     int NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    status_code int,
    error       text,
    duration_ms int NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);

CREATE FUNCTION enqueue_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER changes_webhooks AFTER INSERT ON changes REFERENCING NEW TABLE AS recorded
    FOR EACH STATEMENT EXECUTE FUNCTION enqueue_webhooks();
