-- week_ranges() with the same result as before, as plpgsql: an SQL body with a sub-select is never
-- inlined, and this was a quarter of a bulk rebuild's time (refresh_resource_index, set-based
-- from 0011, calls it for every opening).
CREATE OR REPLACE FUNCTION week_ranges(p_weekday smallint, p_opens time, p_closes time) RETURNS int4multirange
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    day int := (p_weekday - 1) * 86400;
    start int := (p_weekday - 1) * 86400 + extract(epoch FROM p_opens)::int;
    close int := extract(epoch FROM p_closes)::int;
BEGIN
    IF p_closes > p_opens THEN
        RETURN int4multirange(int4range(start, day + close));
    ELSIF day + 86400 + close <= 604800 THEN
        RETURN int4multirange(int4range(start, day + 86400 + close));
    END IF;
    RETURN int4multirange(int4range(start, 604800), int4range(0, day + 86400 + close - 604800));
END
$$;
