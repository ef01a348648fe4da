-- Forgiving words: a vocabulary of every word in service names and descriptions (unaccented,
-- lower case), trigram-indexed, so a misspelled search word can be corrected to a word that
-- exists ("naloxon" -> naloxone, "shelte" -> shelter) before full-text search runs.

CREATE TABLE search_words (word text PRIMARY KEY);
CREATE INDEX search_words_trgm ON search_words USING gin (word gin_trgm_ops);

CREATE FUNCTION words_of(p_text text) RETURNS SETOF text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT DISTINCT w FROM regexp_split_to_table(lower(unaccent(coalesce(p_text, ''))), '[^a-z0-9]+') AS w
     WHERE length(w) BETWEEN 3 AND 40
$$;

-- New words arrive with the services that use them; words are never removed (a stale word only
-- ever corrects to a search that finds nothing, which is what the typo would have found).
CREATE FUNCTION remember_service_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_words (word)
    SELECT DISTINCT w FROM changed c,
           words_of(c.name || ' ' || coalesce(c.alternate_name, '') || ' ' || coalesce(c.description, '')) AS w
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER services_words_insert AFTER INSERT ON services
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION remember_service_words();
CREATE TRIGGER services_words_update AFTER UPDATE ON services
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION remember_service_words();

INSERT INTO search_words (word)
SELECT DISTINCT w FROM services s,
       words_of(s.name || ' ' || coalesce(s.alternate_name, '') || ' ' || coalesce(s.description, '')) AS w
UNION SELECT w FROM categories c, words_of(c.name || ' ' || c.description) AS w
ON CONFLICT DO NOTHING;
