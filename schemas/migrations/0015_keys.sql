-- API keys: only a SHA-256 of each secret is stored (the secrets are 256-bit random, so a slow
-- hash adds nothing). A key limited to organizations may write only their listings.
CREATE TABLE api_keys (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    prefix           text NOT NULL,
    secret_hash      bytea NOT NULL UNIQUE,
    scopes           text[] NOT NULL CHECK (scopes <@ ARRAY['read', 'suggest', 'write', 'admin', 'confidential']
                                            AND cardinality(scopes) > 0),
    organization_ids uuid[],
    rate_limit       int CHECK (rate_limit > 0),
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz,
    revoked_at       timestamptz,
    rotated_from     uuid REFERENCES api_keys ON DELETE SET NULL
);

-- Requests per caller per fixed one-minute window, shared by every worker. Unlogged: a crash only
-- forgets the current minute's counts.
CREATE UNLOGGED TABLE rate_windows (
    bucket       text NOT NULL,
    window_start timestamptz NOT NULL,
    hits         int NOT NULL,
    PRIMARY KEY (bucket, window_start)
) WITH (fillfactor = 70);

-- Usage per key per day, readable by admins (the bootstrap key from the environment has the nil id).
CREATE TABLE key_usage (
    key_id    uuid NOT NULL,
    day       date NOT NULL,
    requests  bigint NOT NULL DEFAULT 0,
    throttled bigint NOT NULL DEFAULT 0,
    last_used timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (key_id, day)
) WITH (fillfactor = 70);
