-- A nearest-first walk that keeps only some categories and attributes tested every row it passed on
-- the heap: at 100k, category emergency-shelter + attribute no-id-required open at 2 am passed 4,856
-- rows for a page of 20 (25 ms), and ranking the 2,112 rows both filters leave was no better (16 ms).
-- With the facets in the walk's own index, GiST skips the rows that lack them before the heap is read.
-- facets: categories as lexemes 'c.<slug>', attributes as 'a.<slug>' (facet_vector() in
-- schemas/sql/search_index.sql, which refresh_resource_index() writes them with).
ALTER TABLE resource_index ADD COLUMN facets tsvector NOT NULL DEFAULT ''::tsvector;
-- Read on every row a walk passes, like the other filter columns (0011): never compressed nor moved out.
ALTER TABLE resource_index ALTER COLUMN facets SET STORAGE PLAIN;

-- The rows there already, as facet_vector() lays them out (it is live SQL, not there yet on a new store).
UPDATE resource_index
   SET facets = array_to_tsvector(array(SELECT 'c.' || c FROM unnest(categories) AS c WHERE c IS NOT NULL)
                                  || array(SELECT 'a.' || a FROM unnest(attributes) AS a WHERE a IS NOT NULL))
 WHERE cardinality(categories) + cardinality(attributes) > 0;

CREATE INDEX resource_index_geo_facets ON resource_index USING gist (geo, facets);
