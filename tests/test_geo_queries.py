"""Distances and nearest-neighbour search, in SQL, everywhere on Earth."""

import json
import random
import re

import pytest
from geopy.distance import geodesic

from service.queries.resources import select_nearest
from tests.factories import add_resource, filters, resources

PLACES = {
    "guam": (13.4443, 144.7937),
    "adak": (51.88, -176.658),
    "attu": (52.9, 172.9),
    "suva": (-18.1416, 178.4419),
    "taveuni_east": (-16.85, -179.95),
    "vanua_levu_west": (-16.8, 179.95),
    "north_pole": (90.0, 0.0),
    "near_north_pole": (89.99, 135.0),
    "south_pole": (-90.0, 0.0),
    "quito": (-0.1807, -78.4678),
    "honolulu": (21.3069, -157.8583),
    "anchorage": (61.2181, -149.9003),
}


async def test_sql_distance_agrees_with_geopy_everywhere(conn):
    rng = random.Random(7)
    pairs = [(a, b) for a in PLACES.values() for b in PLACES.values()]
    for _ in range(2000):
        lat, lon = rng.uniform(-90, 90), rng.uniform(-180, 180)
        pairs.append(((lat, lon), (rng.uniform(-90, 90), rng.uniform(-180, 180))))
        pairs.append(((lat, lon), (max(-90, min(90, lat + rng.gauss(0, 0.05))), lon + rng.gauss(0, 0.05))))
    pairs = [((a_lat, a_lon), (b_lat, (b_lon + 180) % 360 - 180)) for (a_lat, a_lon), (b_lat, b_lon) in pairs]
    rows = await conn.fetch(
        "SELECT geodesic_m(a_lat, a_lon, b_lat, b_lon) AS d FROM unnest($1::float8[], $2::float8[], $3::float8[], "
        "$4::float8[]) AS p(a_lat, a_lon, b_lat, b_lon)",
        [a[0] for a, _ in pairs],
        [a[1] for a, _ in pairs],
        [b[0] for _, b in pairs],
        [b[1] for _, b in pairs],
    )
    for (a, b), row in zip(pairs, rows, strict=True):
        expected = geodesic(a, b).m
        if expected < 0.01:
            assert row["d"] == pytest.approx(0, abs=0.01)
        else:
            assert row["d"] == pytest.approx(expected, rel=0.005), (a, b)


async def test_distance_zero_is_zero(conn):
    for lat, lon in PLACES.values():
        assert await conn.fetchval("SELECT geodesic_m($1, $2, $1, $2)", lat, lon) == 0


async def test_nearest_crosses_the_antimeridian(conn):
    east = await add_resource(conn, *PLACES["taveuni_east"], name="East of 180")
    west = await add_resource(conn, *PLACES["vanua_levu_west"], name="West of 180")
    await add_resource(conn, *PLACES["suva"], name="Suva")
    hits = resources(await select_nearest(conn, -16.82, -179.99, None, filters(), None, 10))
    assert [hit.id for hit in hits[:2]] == [east, west]
    assert hits[1].distance_m < 15_000  # a few km across the line, not 40,000 km around
    assert hits[1].distance_m == pytest.approx(geodesic((-16.82, -179.99), PLACES["vanua_levu_west"]).m, rel=0.005)


async def test_aleutians_and_guam_find_each_other_across_the_line(conn):
    attu = await add_resource(conn, *PLACES["attu"], name="Attu")
    await add_resource(conn, *PLACES["anchorage"], name="Anchorage")
    hits = resources(await select_nearest(conn, *PLACES["adak"], None, filters(), None, 5))
    assert hits[0].id == attu  # 1,100 km west across 180 beats 1,900 km east to Anchorage
    assert hits[0].distance_m == pytest.approx(geodesic(PLACES["adak"], PLACES["attu"]).m, rel=0.005)


async def test_poles(conn):
    pole = await add_resource(conn, *PLACES["north_pole"], name="North Pole")
    near = await add_resource(conn, *PLACES["near_north_pole"], name="Near the pole")
    await add_resource(conn, *PLACES["south_pole"], name="South Pole")
    hits = resources(await select_nearest(conn, 89.999, -90.0, None, filters(), None, 3))
    assert [hit.id for hit in hits[:2]] == [pole, near]
    assert hits[0].distance_m == pytest.approx(geodesic((89.999, -90.0), PLACES["north_pole"]).m, rel=0.005)
    radius = resources(await select_nearest(conn, 90.0, 45.0, 2_000.0, filters(), None, 10))
    assert [hit.id for hit in radius] == [pole, near]


async def test_radius_is_exact_at_the_boundary(conn):
    origin = (39.2904, -76.6122)
    rng = random.Random(3)
    points = [(origin[0] + rng.uniform(-0.1, 0.1), origin[1] + rng.uniform(-0.1, 0.1)) for _ in range(60)]
    for index, point in enumerate(points):
        await add_resource(conn, *point, name=f"P{index:02d}")
    radius = 5_000.0
    hits = resources(await select_nearest(conn, *origin, radius, filters(), None, 100))
    expected = sorted(
        name
        for name, point in ((f"P{i:02d}", p) for i, p in enumerate(points))
        if geodesic(origin, point).m <= radius * 0.999
    )
    outside = {f"P{i:02d}" for i, p in enumerate(points) if geodesic(origin, p).m > radius * 1.001}
    found = {hit.service.name for hit in hits}
    assert set(expected) <= found
    assert not found & outside
    assert all(hit.distance_m <= radius for hit in hits)


async def test_without_radius_the_nearest_however_far(conn):
    far = await add_resource(conn, *PLACES["honolulu"], name="Honolulu")
    hits = resources(await select_nearest(conn, 40.7, -74.0, None, filters(), None, 5))
    assert [hit.id for hit in hits] == [far]
    assert hits[0].distance_m == pytest.approx(geodesic((40.7, -74.0), PLACES["honolulu"]).m, rel=0.005)


async def test_distance_zero_and_ties_broken_by_id(conn):
    ids = [await add_resource(conn, 45.5, -122.6, name=f"Same spot {i}") for i in range(5)]
    hits = resources(await select_nearest(conn, 45.5, -122.6, None, filters(), None, 10))
    assert [hit.id for hit in hits] == sorted(ids)
    assert all(hit.distance_m == 0 for hit in hits)


async def test_listings_without_coordinates_never_appear_in_geo_results(conn):
    await add_resource(conn, None, None, name="Hotline", location={"location_type": "virtual"})
    located = await add_resource(conn, 45.5, -122.6, name="Clinic")
    hits = resources(await select_nearest(conn, 0.0, 0.0, None, filters(), None, 10))
    assert [hit.id for hit in hits] == [located]
    assert await select_nearest(conn, 0.0, 0.0, 20_000_000.0, filters(), None, 10) != []


@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize("radius", [None, 5_000.0])
@pytest.mark.parametrize("plan_cache_mode", ["force_custom_plan", "force_generic_plan"])
async def test_search_plans_use_the_gist_index_for_ordering(conn, radius, plan_cache_mode, exact):
    if exact and conn.get_server_version().major < 17:
        pytest.skip("before PostgreSQL 17 only the windowed statement can use the index (the app picks it)")
    for index in range(50):
        await add_resource(conn, 40 + index * 0.01, -100.0, name=f"R{index}")
    await conn.execute("ANALYZE")
    # Tiny tables favour a sequential or bitmap scan and a sort; this asks whether the index *can*
    # serve the search in order,
    # both when PostgreSQL plans each execution and when it reuses one cached plan.
    await conn.execute("SET enable_seqscan = off")
    await conn.execute("SET enable_bitmapscan = off")
    await conn.execute(f"SET plan_cache_mode = {plan_cache_mode}")
    from service.queries.resources import nearest_statement

    sql, args = nearest_statement(40.0, -100.0, radius, filters(), None, 21, exact=exact)
    statement = await conn.prepare(sql)
    plan = json.dumps(await statement.explain(*args))
    # Any nearest-first index (those of the point with facets, 0016, or words, 0017, also order by the point).
    assert re.search(r'"Index Name": "resource_index_geo(_facets|_words)?"', plan)
    assert re.search(r'"Order By": "[^"]*geo\)::cube <->', plan)


@pytest.mark.parametrize("windowed", [True, False])
async def test_tie_groups_longer_than_the_window_page_exactly(conn, windowed):
    from service.queries.resources import TIE_WINDOW

    crowd = [await add_resource(conn, 39.29, -76.61, name=f"Hub {i}") for i in range(TIE_WINDOW + 24)]
    near = await add_resource(conn, 39.2901, -76.61, name="Next door")
    seen, after = [], None
    while True:
        hits = await select_nearest(conn, 39.29, -76.61, None, filters(), after, 6, windowed=windowed)
        seen += [hit.id for hit in hits[:5]]
        if len(hits) <= 5:
            break
        after = (hits[4].sort_key, hits[4].id)
    assert seen == [*sorted(crowd), near]
