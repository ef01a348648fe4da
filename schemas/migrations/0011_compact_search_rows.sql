-- Search rows at about half their size. The baseline kept each row's document (head) inline and
-- uncompressed, ~3.9 KB a row: two rows a page, 6.2 GB at a million listings. Now the values only
-- read for the rows a search shows (the document, the days' texts, the capacity JSON) and the word
-- vector are MAIN: compressed in their page when a row is large, largest first, and moved out of
-- line only if the row still could not fit a page. Every other column is read by the filters of
-- rows a walk passes (open-at keys and spans, categories, attributes, ...): PLAIN, never compressed
-- (compressed, the quiet-hour search that tests the spans of every candidate took twice as long).
-- A row is ~2.5 KB (three a page). Reading a compressed document costs ~1-2 us for each row shown.
-- Rows already stored are compacted as they are next written (or at once by VACUUM FULL resource_index).
ALTER TABLE resource_index RESET (toast_tuple_target);
DO $$
DECLARE
    col name;
BEGIN
    FOR col IN
        SELECT a.attname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
         WHERE a.attrelid = 'resource_index'::regclass AND a.attnum > 0 AND NOT a.attisdropped
           AND t.typstorage <> 'p'
    LOOP
        EXECUTE format('ALTER TABLE resource_index ALTER COLUMN %I SET STORAGE %s', col,
                       CASE WHEN col IN ('head', 'timeline_days', 'capacity', 'search_vector') THEN 'MAIN'
                            ELSE 'PLAIN' END);
    END LOOP;
END
$$;
