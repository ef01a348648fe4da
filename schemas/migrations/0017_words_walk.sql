-- A word search from a point walks outwards until it holds a window of matches (252 rows for a page of
-- 20). It tested the words on every row it passed, on the heap: at 1M listings 1,570 rows for a window
-- of 252, most of them pages PostgreSQL's cache no longer held (9-11 ms of the walk's 11 ms). With the
-- words in the walk's own index (as 0016 put the facets), GiST skips the rows that lack them before the
-- heap is read: the same walk read 380 cached pages in 1.4-1.6 ms.
-- The words are indexed as the expression search_vector || '' (the same vector), which the window's
-- condition names: a test of the bare column could be answered from the GIN index of words instead,
-- collecting every match to sort them, and at 10k the planner chose that (3x the walk's time).
CREATE INDEX resource_index_geo_words ON resource_index USING gist (geo, (search_vector || ''::tsvector));
