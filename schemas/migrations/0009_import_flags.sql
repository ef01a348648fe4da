-- What imports kept but flagged for a person (a placeholder organization, a dropped link, an
-- approximate place, ...): the curation queue of GET /v1/admin/import-flags. An import of a source
-- replaces that source's flags, so a corrected export clears them; a curator clears one by hand.
CREATE TABLE import_flags (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq        bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    source     text NOT NULL,
    entity     text NOT NULL,
    record_id  uuid,
    source_id  text,
    flag       text NOT NULL,
    detail     text NOT NULL,
    file       text NOT NULL,
    line       int NOT NULL,
    flagged_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX import_flags_source ON import_flags (source);
CREATE INDEX import_flags_flag ON import_flags (flag, seq);
