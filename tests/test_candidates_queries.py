"""Searches that rank the few rows their indexed filters leave answer exactly what the index walk does."""

import datetime as dt
import json
import random

import pytest

from service.queries.resources import count_candidates, nearby_statement, select_by_name, select_nearby
from service.search.candidates import FEWEST, CandidateCounts, few_bound
from tests.factories import add_resource, filters

# Weekly hours in a time zone: day, night (past midnight), all week, none, a DST night's small hours,
# and hours in a zone other than the location's (no timeline: the hours functions answer).
HOURS = [
    ("America/Chicago", [(d, "09:00", "17:00") for d in range(1, 6)]),
    ("America/Chicago", [(d, "19:00", "07:00") for d in range(1, 8)]),
    ("America/New_York", [(d, "00:00", "24:00") for d in range(1, 8)]),
    ("America/Los_Angeles", []),
    ("Europe/London", [(7, "00:30", "02:30"), (6, "23:00", "24:00")]),
    ("Pacific/Chatham", [(d, "18:00", "02:45") for d in range(1, 8)]),
    (None, [(d, "08:00", "20:00") for d in range(1, 8)]),
]


async def make_directory(conn, count: int = 70) -> None:
    rng = random.Random(11)
    for index in range(count):
        zone, weekly = HOURS[index % len(HOURS)]
        resource_id = await add_resource(
            conn,
            39.0 + rng.uniform(-0.3, 0.3),
            -77.0 + rng.uniform(-0.3, 0.3),
            name=f"Place {index:02d}",
            categories=("naloxone",) if index % 3 else ("emergency-shelter",),
            attributes=["no-id-required"] if index % 4 == 0 else [],
            schedules=[
                {"weekday": day, "opens_at": opens, "closes_at": closes}
                | ({"timezone": "America/Denver"} if index % 11 == 5 else {})
                for day, opens, closes in weekly
            ],
            location={"timezone": zone} if zone else {},
        )
        if index % 9 == 4:  # a holiday closes it tomorrow; an exception opens it late the day after
            await conn.execute(
                "INSERT INTO schedule_exceptions (service_at_location_id, day, opens_at, closes_at) "
                "VALUES ($1, current_date + 1, NULL, NULL), ($1, current_date + 2, '22:00', '03:00')",
                resource_id,
            )


def instants() -> list[dt.datetime]:
    """Every 5 hours 47 minutes for 18 days (past the 16 days laid out), and far in the past."""
    now = dt.datetime.now(dt.UTC)
    return [now + dt.timedelta(minutes=347 * step) for step in range(-4, 75)] + [now - dt.timedelta(days=400)]


async def pages(fetch, limit: int = 7) -> list[list]:
    """Every page a search gives, following its sort keys."""
    seen, after = [], None
    while True:
        hits = await fetch(after, limit + 1)
        hits.sort(key=lambda hit: (hit.sort_key, hit.id))
        seen.append([(hit.id, hit.item) for hit in hits[:limit]])
        if len(hits) <= limit:
            return seen
        after = (hits[limit - 1].sort_key, hits[limit - 1].id)


async def test_ranking_the_candidates_gives_the_pages_walking_the_index_gives(conn):
    await make_directory(conn)
    totals = set()
    for at in instants():
        for extra in (
            {},
            {"categories": ["emergency-shelter"]},
            {"attributes": ["no-id-required"]},
            {"categories": ["emergency-shelter"], "attributes": ["no-id-required"]},
        ):
            wanted = filters(open_at=at, evaluated_at=at, **extra)
            drivers = [None, "open_at", *extra, *(["facets"] if "categories" in extra else [])]
            for radius in (None, 20_000.0):
                found = []
                for driver in drivers:

                    def near(after, limit, driver=driver, wanted=wanted, radius=radius):
                        return select_nearby(conn, 39.0, -77.0, None, radius, wanted, after, limit, driver=driver)

                    found.append(await pages(near))
                assert all(pages_ == found[0] for pages_ in found), (at, extra, radius)
                totals.add(sum(map(len, found[0])))
            by_name = []
            for driver in drivers:

                def named(after, limit, driver=driver, wanted=wanted):
                    return select_by_name(conn, wanted, after, limit, driver)

                by_name.append(await pages(named))
            assert all(pages_ == by_name[0] for pages_ in by_name), (at, extra)
    # The instants saw few and many places open.
    assert len(totals) > 8


@pytest.mark.parametrize("driver", ["open_at", "categories"])
async def test_the_driving_filter_picks_the_rows_by_its_index(conn, driver):
    await make_directory(conn, 30)
    await conn.execute("ANALYZE")
    await conn.execute("SET enable_seqscan = off")
    at = dt.datetime.now(dt.UTC)
    wanted = filters(open_at=at, evaluated_at=at, categories=["emergency-shelter"])
    index = {"open_at": "resource_index_open_keys", "categories": "resource_index_categories"}
    for mode in ("force_custom_plan", "force_generic_plan"):
        await conn.execute(f"SET plan_cache_mode = {mode}")
        sql, args = nearby_statement(39.0, -77.0, None, None, wanted, None, 21, driver=driver)
        plan = json.dumps(await (await conn.prepare(sql)).explain(*args))
        assert f'"Index Name": "{index[driver]}"' in plan, mode
        other = index["categories" if driver == "open_at" else "open_at"]
        assert f'"Index Name": "{other}"' not in plan, mode
        assert '"Index Name": "resource_index_geo"' not in plan, mode


async def test_candidates_are_counted_by_one_indexed_filter(conn):
    await make_directory(conn, 28)
    shelters = filters(categories=["emergency-shelter"], attributes=["no-id-required"])
    assert await count_candidates(conn, shelters, "categories", 100) == 10
    assert await count_candidates(conn, shelters, "categories", 4) == 4
    assert await count_candidates(conn, shelters, "attributes", 100) == 7
    assert await count_candidates(conn, shelters, "facets", 100) == 3  # index 0, 12 and 24
    # Open in 400 days: no timeline covers it, so every row is a candidate.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=400)
    assert await count_candidates(conn, filters(open_at=later), "open_at", 100) == 28
    # 09:00-17:00 and all-week rows are keyed at noon in Chicago, night rows are not.
    noon = dt.datetime.now(dt.UTC).replace(hour=18, minute=0) + dt.timedelta(days=1)
    while noon.astimezone(dt.timezone(dt.timedelta(hours=-6))).isoweekday() > 5:
        noon += dt.timedelta(days=1)
    keyed = await count_candidates(conn, filters(open_at=noon), "open_at", 100)
    assert 8 <= keyed < 28


def test_the_bound_grows_with_the_square_root_of_the_table():
    assert few_bound(0) == few_bound(1_000) == FEWEST
    assert few_bound(100_000) == 1_095
    assert few_bound(1_000_000) == 3_464


async def test_the_filter_leaving_fewest_drives_and_counts_are_kept_for_a_while(conn):
    now = [0.0]
    counts = CandidateCounts(ttl=60.0, clock=lambda: now[0])
    assert await counts.driver(conn, filters()) is None  # nothing indexed: walk the index
    for index in range(3):
        await add_resource(conn, 39.0, -77.0, name=f"Shelter {index}", categories=("emergency-shelter",))
    await add_resource(conn, 39.0, -77.0, name="Walk-in", categories=("naloxone",), attributes=["walk-in"])
    both = filters(categories=["emergency-shelter"], attributes=["walk-in"])
    assert await counts.driver(conn, filters(categories=["emergency-shelter"])) == "categories"
    assert await counts.driver(conn, both) == "attributes"  # 1 row, against 3
    counts.counts[("attributes", ("walk-in",))] = (5_000, 60.0)  # as if thousands had been found
    now[0] = 59.0
    assert await counts.driver(conn, both) == "categories"
    counts.counts[("categories", ("emergency-shelter",))] = (5_000, 60.0)
    assert await counts.driver(conn, both) == "facets"  # each leaves too many, both together none
    counts.counts[("facets", ("emergency-shelter", "&", "walk-in"))] = (5_000, 60.0)
    assert await counts.driver(conn, both) is None  # all too many: walk
    await add_resource(
        conn, 39.0, -77.0, name="Walk-in shelter", categories=("emergency-shelter",), attributes=["walk-in"]
    )
    counts.counts.pop(("facets", ("emergency-shelter", "&", "walk-in")))
    assert await counts.driver(conn, both) == "facets"  # counted together: one row
    now[0] = 61.0
    assert await counts.driver(conn, both) == "attributes"  # counted again


async def test_the_count_cache_stays_bounded(conn):
    counts = CandidateCounts(size=3)
    for hour in range(10):
        at = dt.datetime(2026, 12, 1, tzinfo=dt.UTC) + dt.timedelta(hours=hour)
        await counts.driver(conn, filters(open_at=at))
    assert len(counts.counts) == 3


async def test_word_matches_are_counted_once_a_while_against_the_same_bound(conn):
    now = [0.0]
    counts = CandidateCounts(ttl=60.0, clock=lambda: now[0])
    await add_resource(conn, 39.0, -77.0, name="Naloxone point")
    assert not await counts.many_matches(conn, ["naloxone"])  # one match: rank it
    counts.counts[("words", ("naloxone",))] = (FEWEST + 1, 60.0)  # as if more than the bound matched
    assert await counts.many_matches(conn, ["naloxone"])
    now[0] = 61.0
    assert not await counts.many_matches(conn, ["naloxone"])
