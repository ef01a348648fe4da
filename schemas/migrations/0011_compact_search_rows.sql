-- Search rows at about half their size. The baseline kept each row's document (head) inline and
-- uncompressed, ~3.9 KB a row: two rows a page, 6.2 GB at a million listings. Compressed in place,
-- a row is ~2.5 KB (three a page) and still never leaves its page: every column is MAIN, so the
-- toaster compresses the largest first (the document, then the days' texts) until the row fits, and
-- moves nothing out of line (an EXTENDED column would be, before any MAIN one is compressed).
-- Reading a compressed document costs ~1-2 us for each row shown; a walk over rows it filters out
-- never opens them, and reads far fewer pages. Rows already stored are compacted as they are next
-- written (or at once by VACUUM FULL resource_index).
ALTER TABLE resource_index RESET (toast_tuple_target);
DO $$
DECLARE
    col name;
BEGIN
    FOR col IN
        SELECT a.attname FROM pg_attribute a
         WHERE a.attrelid = 'resource_index'::regclass AND a.attnum > 0 AND NOT a.attisdropped
           AND a.attstorage IN ('x', 'e')
    LOOP
        EXECUTE format('ALTER TABLE resource_index ALTER COLUMN %I SET STORAGE MAIN', col);
    END LOOP;
END
$$;
