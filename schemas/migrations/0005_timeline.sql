-- A resource's opening hours laid out as instants for the next two weeks or so, written with its
-- search row, so a search reads open_now, closes_at, opens_next_at and hours_today instead of
-- working them out from the weekly hours for every result (resource_timeline() in
-- schemas/sql/hours.sql). NULL where it does not apply; searches then use the functions.
ALTER TABLE resource_index
    ADD COLUMN timeline_from   date,          -- the local date timeline_days starts at
    ADD COLUMN timeline_since  timestamptz,   -- start of timeline_from, local time
    ADD COLUMN timeline_until  timestamptz,   -- end of the last day covered; refreshed before then
    ADD COLUMN timeline_starts timestamptz[], -- merged opening spans, sorted: starts ...
    ADD COLUMN timeline_ends   timestamptz[], -- ... and ends
    ADD COLUMN timeline_days   text[];        -- hours_today, as JSON, of each local date from timeline_from

-- Rows written before this migration have no timeline yet: the housekeeping fills them in.
CREATE INDEX resource_index_timeline_until ON resource_index (timeline_until NULLS FIRST);
