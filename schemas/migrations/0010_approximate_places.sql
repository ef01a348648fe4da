-- A location whose export gave no coordinates but a ZIP code is placed at the ZIP's centroid and marked
-- approximate (shown so, ranked by that point); real coordinates from a later import or an edit clear it.
ALTER TABLE locations ADD COLUMN approximate boolean NOT NULL DEFAULT false;
ALTER TABLE locations ADD CONSTRAINT locations_approximate_has_a_point CHECK (NOT approximate OR latitude IS NOT NULL);
