"""A word search from a point walks outwards in the index of points and words (migration 0017)."""

import json
import random
import re

import pytest
from geopy.distance import geodesic

from service.queries.resources import select_by_words, words_window_statement
from tests.factories import add_resource, filters, resources

WORDS = ["naloxone", "shelter", "rides", "meals", "legal"]


@pytest.mark.parametrize("plan_cache_mode", ["force_custom_plan", "force_generic_plan"])
async def test_the_walk_tests_the_words_in_its_index(conn, plan_cache_mode):
    for index in range(50):
        await add_resource(conn, 40 + index * 0.01, -100.0, name=f"Naloxone point {index}")
    await conn.execute("ANALYZE")
    # Tiny tables favour a sequential or bitmap scan and a sort; this asks whether the index *can* serve the
    # walk, testing the words as it goes, with a plan made per execution and with one cached.
    await conn.execute("SET enable_seqscan = off")
    await conn.execute("SET enable_bitmapscan = off")
    await conn.execute(f"SET plan_cache_mode = {plan_cache_mode}")
    sql, args = words_window_statement((40.0, -100.0), None, filters(words="naloxone"), ["naloxone", "narcan"], 12)
    plan = json.dumps(await (await conn.prepare(sql)).explain(*args))
    assert '"Index Name": "resource_index_geo_words"' in plan, plan
    conditions = re.findall(r'"Index Cond": "([^"]*)"', plan)
    assert any("search_vector || " in condition and "@@" in condition for condition in conditions), conditions
    assert re.search(r'"Order By": "[^"]*geo\)::cube <->', plan)


async def test_a_walk_from_a_point_finds_the_nearest_matches_in_order(conn):
    rng = random.Random(5)
    placed = {}
    for n in range(150):
        words = rng.sample(WORDS, rng.randint(0, 2))
        lat, lon = 45 + rng.uniform(-0.4, 0.4), -122 + rng.uniform(-0.4, 0.4)
        rid = await add_resource(conn, lat, lon, name=f"Place {n} " + " ".join(words))
        placed[rid] = (set(words), lat, lon)
    for asked in (["naloxone"], ["shelter", "legal"]):
        query = " or ".join(asked)
        found = [
            r.id
            for r in resources(
                await select_by_words(conn, (45.0, -122.0), None, filters(words=query), [query], None, 15, True, 10**9)
            )
        ]
        # In the index of words or testing them on each row it passes (a small table's walk): the same page.
        filtered = await select_by_words(conn, (45.0, -122.0), None, filters(words=query), [query], None, 15, True)
        assert [r.id for r in resources(filtered)] == found
        matching = [rid for rid, (words, _, _) in placed.items() if words & set(asked)]
        # Every name match weighs the same: the page is the nearest matches, nearest first.
        nearest = sorted(matching, key=lambda rid: geodesic((45.0, -122.0), placed[rid][1:]).meters)
        assert len(matching) > 15 and found == nearest[:15]
