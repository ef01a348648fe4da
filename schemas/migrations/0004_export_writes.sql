-- What the HSDS export has to notice, so it is built again only when its data changed, not on every
-- download. One row per transaction that wrote to a table the export reads (never one shared counter
-- row, which every writer would queue on), kept by the triggers of schemas/sql/exports.sql. A zip
-- built from snapshot S is current while every writer that has committed is visible in S
-- (service/queries/exports.py). `at` is its last such write, for Last-Modified.
CREATE TABLE export_writes (
    txid xid8 PRIMARY KEY DEFAULT pg_current_xact_id(),
    at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
INSERT INTO export_writes DEFAULT VALUES;
