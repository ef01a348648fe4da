"""Searches that rank the few rows their indexed filters leave answer exactly what the index walk does."""

import datetime as dt
import json
import random

import pytest

from service.queries.resources import count_candidates, nearby_statement, select_by_name, select_nearby
from service.search.candidates import CandidateCounts
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
        for extra in ({}, {"categories": ["emergency-shelter"]}, {"attributes": ["no-id-required"]}):
            wanted = filters(open_at=at, evaluated_at=at, **extra)
            for radius in (None, 20_000.0):

                def near(after, limit, few, wanted=wanted, radius=radius):
                    return select_nearby(conn, 39.0, -77.0, None, radius, wanted, after, limit, few=few)

                walked = await pages(lambda after, limit, near=near: near(after, limit, False))
                ranked = await pages(lambda after, limit, near=near: near(after, limit, True))
                assert ranked == walked, (at, extra, radius)
                totals.add(sum(map(len, walked)))
            by_name = []
            for few in (False, True):

                def named(after, limit, few=few, wanted=wanted):
                    return select_by_name(conn, wanted, after, limit, few)

                by_name.append(await pages(named))
            assert by_name[0] == by_name[1], (at, extra)
    # The instants saw few and many places open.
    assert len(totals) > 8


async def test_the_few_plan_reads_the_open_keys_index(conn):
    await make_directory(conn, 30)
    await conn.execute("ANALYZE")
    await conn.execute("SET enable_seqscan = off")
    for mode in ("force_custom_plan", "force_generic_plan"):
        await conn.execute(f"SET plan_cache_mode = {mode}")
        at = dt.datetime.now(dt.UTC)
        sql, args = nearby_statement(39.0, -77.0, None, None, filters(open_at=at, evaluated_at=at), None, 21, few=True)
        plan = json.dumps(await (await conn.prepare(sql)).explain(*args))
        assert '"Index Name": "resource_index_open_keys"' in plan, mode
        assert '"Index Name": "resource_index_geo"' not in plan, mode


async def test_candidates_are_counted_by_the_indexed_filters(conn):
    await make_directory(conn, 28)
    assert await count_candidates(conn, filters(), 100) is None
    assert await count_candidates(conn, filters(categories=["emergency-shelter"]), 100) == 10
    assert await count_candidates(conn, filters(categories=["emergency-shelter"]), 4) == 4
    assert await count_candidates(conn, filters(attributes=["no-id-required"]), 100) == 7
    # Open in 400 days: no timeline covers it, so every row is a candidate.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=400)
    assert await count_candidates(conn, filters(open_at=later), 100) == 28
    # 09:00-17:00 and all-week rows are keyed at noon in Chicago, night rows are not.
    noon = dt.datetime.now(dt.UTC).replace(hour=18, minute=0) + dt.timedelta(days=1)
    while noon.astimezone(dt.timezone(dt.timedelta(hours=-6))).isoweekday() > 5:
        noon += dt.timedelta(days=1)
    keyed = await count_candidates(conn, filters(open_at=noon), 100)
    assert keyed is not None and 8 <= keyed < 28


async def test_counts_are_kept_for_a_while_and_then_counted_again(conn):
    now = [0.0]
    counts = CandidateCounts(ttl=60.0, clock=lambda: now[0])
    shelters = filters(categories=["emergency-shelter"])
    assert not await counts.few(conn, filters())  # nothing indexed to count: walk the index
    await add_resource(conn, 39.0, -77.0, name="Shelter", categories=("emergency-shelter",))
    assert await counts.few(conn, shelters)
    await conn.execute(
        "INSERT INTO service_categories (service_id, category_slug) "
        "SELECT id, 'emergency-shelter' FROM services ON CONFLICT DO NOTHING"
    )
    counts.counts[(None, ("emergency-shelter",), None)] = (5_000, 60.0)  # as if thousands were found
    now[0] = 59.0
    assert not await counts.few(conn, shelters)
    now[0] = 61.0
    assert await counts.few(conn, shelters)  # counted again: one shelter


@pytest.mark.parametrize("size", [3])
async def test_the_count_cache_stays_bounded(conn, size):
    counts = CandidateCounts(size=size)
    for hour in range(10):
        at = dt.datetime(2026, 12, 1, tzinfo=dt.UTC) + dt.timedelta(hours=hour)
        await counts.few(conn, filters(open_at=at))
    assert len(counts.counts) == size
