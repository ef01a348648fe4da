-- Webhook safety.
-- Signing secrets are sealed at rest (AES-256-GCM under the server key, see service/platform/sealing.py) with the
-- id of the key that sealed them. SQL cannot seal with the app's key, so at start-up the app seals any plain
-- `secret` still left and nulls it; the NOT VALID check keeps every new or changed row from holding one.
ALTER TABLE webhooks
    ADD COLUMN secret_sealed bytea,
    ADD COLUMN secret_key_id text,
    ALTER COLUMN secret DROP NOT NULL,
    ADD CONSTRAINT webhooks_secret_sealed CHECK (secret IS NULL AND secret_sealed IS NOT NULL) NOT VALID;

-- A claim writes a fresh lease owner; finishing an attempt applies only while it still matches, so a worker
-- whose lease ran out cannot overwrite what the next one did. Deleting a webhook cancels what it had pending.
ALTER TABLE webhook_deliveries
    ADD COLUMN lease_owner uuid,
    DROP CONSTRAINT webhook_deliveries_status_check,
    ADD CONSTRAINT webhook_deliveries_status_check
        CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled'));
