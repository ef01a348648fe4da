-- What an import changed or dropped on its way in (a phone's extension split off, a URL given a
-- scheme, HTML made plain, hours read from words), as the input gave it: field -> value, kept with
-- the record's provenance so that nothing the publisher wrote is lost. NULL: stored as given.
ALTER TABLE source_records ADD COLUMN original jsonb;
