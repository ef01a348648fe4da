-- Idempotency-Key on POST: the first answer to a key is kept for 24 hours and replayed to retries;
-- a row without a status is a request still running.
CREATE TABLE idempotency_keys (
    key          text NOT NULL,
    method       text NOT NULL,
    path         text NOT NULL,
    request_hash text NOT NULL,
    status       int,
    headers      jsonb,
    body         bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (key, method, path)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
