-- Words: the vocabulary that typo correction draws on, kept from service names and descriptions.
-- Live objects, each defined once: re-applied (CREATE OR REPLACE) whenever this file changes.

CREATE OR REPLACE FUNCTION words_of(p_text text) RETURNS SETOF text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT DISTINCT w FROM regexp_split_to_table(lower(unaccent(coalesce(p_text, ''))), '[^a-z0-9]+') AS w
     WHERE length(w) BETWEEN 3 AND 40
$$;

-- New words arrive with the services that use them; words are never removed (a stale word only
-- ever corrects to a search that finds nothing, which is what the typo would have found).
CREATE OR REPLACE FUNCTION remember_service_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_words (word)
    SELECT DISTINCT w FROM changed c,
           words_of(c.name || ' ' || coalesce(c.alternate_name, '') || ' ' || coalesce(c.description, '')) AS w
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER services_words_insert AFTER INSERT ON services
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION remember_service_words();
CREATE OR REPLACE TRIGGER services_words_update AFTER UPDATE ON services
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION remember_service_words();

-- A query matching only where the given weights are (A: the service name; B: its alternate name):
-- each lexeme as 'word':A, as ts_filter() keeps only those positions of a vector. For the queries
-- websearch_to_tsquery() writes (no prefixes or weights of their own).
CREATE OR REPLACE FUNCTION weighted_query(p_query tsquery, p_weights text) RETURNS tsquery
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT regexp_replace(p_query::text, '(''(?:[^'']|'''')*'')', '\1:' || p_weights, 'g')::tsquery
$$;
