"""A walk from a point tests categories and attributes in its index: the same rows as the array tests."""

import itertools
import json
import random
import re

import pytest

from service.queries.resources import facet_query, nearby_statement, nearest_statement
from tests.factories import add_resource, filters, resources

SLUGS = ["naloxone", "emergency-shelter", "it's", "back\\slash", "a & b", "x:*", "c.naloxone"]


def test_each_slug_is_one_quoted_operand():
    assert facet_query(None, None) is None
    assert facet_query([], ["no-id-required"]) is None  # no category at all matches nothing: the array test says so
    assert facet_query(["a", "b"], None) == "('c.a' | 'c.b')"
    assert facet_query(None, ["x", "y"]) == "'a.x' & 'a.y'"
    assert facet_query(["it's"], ["back\\slash"]) == "('c.it''s') & 'a.back\\\\slash'"


async def test_the_facet_test_keeps_exactly_the_rows_the_array_tests_keep(conn):
    rng = random.Random(7)
    await conn.execute("CREATE TEMP TABLE facet_rows (categories text[], attributes text[])")
    rows = [(rng.sample(SLUGS, rng.randint(0, 3)), rng.sample(SLUGS, rng.randint(0, 3))) for _ in range(60)]
    rows += [(None, None), (["naloxone", None], [None, "a & b"])]  # NULL arrays and elements: no facets
    await conn.executemany("INSERT INTO facet_rows VALUES ($1, $2)", rows)
    asked = [list(c) for k in range(1, 3) for c in itertools.combinations(SLUGS, k)] + [None]
    compared = 0
    for categories, attributes in itertools.product(asked, asked):
        if (query := facet_query(categories, attributes)) is None:
            continue
        differ = await conn.fetchval(
            "SELECT count(*) FROM facet_rows WHERE (facet_vector(categories, attributes) @@ $3::tsquery) IS TRUE"
            " <> (($1::text[] IS NULL OR categories && $1) AND attributes @> coalesce($2::text[], '{}')) IS TRUE",
            categories,
            attributes,
            query,
        )
        assert differ == 0, (categories, attributes, query)
        compared += 1
    assert compared == len(asked) ** 2 - 1


async def test_a_filtered_walk_answers_as_the_unfiltered_one_then_filtered(conn):
    rng = random.Random(3)
    for n in range(120):
        await add_resource(
            conn,
            45 + rng.uniform(-0.5, 0.5),
            -122 + rng.uniform(-0.5, 0.5),
            name=f"R{n}",
            categories=rng.sample(["naloxone", "emergency-shelter", "syringe-services"], rng.randint(1, 2)),
            attributes=rng.sample(["no-id-required", "walk-in", "pets-allowed"], rng.randint(0, 2)),
        )
    every = resources(await _search(conn, filters(), 120))
    for categories, attributes in [
        (["emergency-shelter"], ["no-id-required"]),
        (["naloxone", "syringe-services"], None),
        (None, ["walk-in", "pets-allowed"]),
    ]:
        expected = [
            r.id
            for r in every
            if (categories is None or set(r.service.categories) & set(categories))
            and set(attributes or []) <= set(r.service.attributes)
        ][:20]
        found = resources(await _search(conn, filters(categories=categories, attributes=attributes), 20))
        assert [r.id for r in found] == expected and expected


async def _search(conn, wanted, limit):
    from service.queries.resources import select_nearest

    return await select_nearest(conn, 45.0, -122.0, None, wanted, None, limit)


@pytest.mark.parametrize("statement", [nearest_statement, nearby_statement])
@pytest.mark.parametrize("plan_cache_mode", ["force_custom_plan", "force_generic_plan"])
async def test_the_walk_reads_the_facets_in_its_index(conn, statement, plan_cache_mode):
    for index in range(50):
        await add_resource(
            conn, 40 + index * 0.01, -100.0, name=f"R{index}", categories=["naloxone"], attributes=["walk-in"]
        )
        # Rows the facets leave out: where every row has them, any nearest-first index costs the same (the
        # one of the point and the words, 0017, too) and the planner may take any.
        await add_resource(conn, 40 + index * 0.01, -100.001, name=f"S{index}", categories=["rides"])
    await conn.execute("ANALYZE")
    # Tiny tables favour a sequential or bitmap scan and a sort; this asks whether the index *can* serve
    # the walk, testing the facets as it goes, with a plan made per execution and with one cached.
    await conn.execute("SET enable_seqscan = off")
    await conn.execute("SET enable_bitmapscan = off")
    await conn.execute(f"SET plan_cache_mode = {plan_cache_mode}")
    wanted = filters(categories=["naloxone"], attributes=["walk-in"])
    if statement is nearest_statement:
        sql, args = nearest_statement(40.0, -100.0, None, wanted, None, 21)
    else:
        sql, args = nearby_statement(40.0, -100.0, None, None, wanted, None, 21)
    plan = json.dumps(await (await conn.prepare(sql)).explain(*args))
    assert '"Index Name": "resource_index_geo_facets"' in plan, plan
    # Tested in the index as it walks (an Index Cond), not on each row it passes (a Filter).
    conditions = re.findall(r'"Index Cond": "([^"]*)"', plan)
    assert any("facets @@" in condition for condition in conditions), conditions
