-- "Open at t" from an index: without one, a search at an hour when almost nothing is open walked the
-- nearest-first index through every row (364 ms at 100k, seconds at 1M), testing each. open_keys
-- holds the hours of its timeline in which a row may be open, as GIN keys (hour_keys() in
-- schemas/sql/hours.sql); NULL when it has no timeline. A search may then rank the few rows that
-- are candidates: keyed for the hour, unkeyed, or with a timeline that does not cover the instant.
ALTER TABLE resource_index ADD COLUMN open_keys int[];
CREATE INDEX resource_index_open_keys ON resource_index USING gin (open_keys);
CREATE INDEX resource_index_unkeyed ON resource_index (id) WHERE open_keys IS NULL;
CREATE INDEX resource_index_timeline_since ON resource_index (timeline_since);

-- Lay every timeline out again, with its keys (apply_migrations does it after this).
UPDATE resource_index SET timeline_until = NULL;
