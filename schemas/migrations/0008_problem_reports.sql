-- A problem reported in words from the field ("wrong phone", "full tonight"): an admin reads it and fixes
-- the listing by hand; approving it records that it was handled, and applies nothing.
ALTER TABLE suggestions DROP CONSTRAINT suggestions_kind_check;
ALTER TABLE suggestions ADD CONSTRAINT suggestions_kind_check CHECK (kind IN ('correction', 'closure', 'new', 'problem'));
