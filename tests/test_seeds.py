"""The seed dataset: coverage, and loading it twice changes nothing."""

import collections

from seeds.loader import load_seed, read_dataset
from tests.factories import TAXONOMY

SNAPSHOT = """
    SELECT (SELECT json_agg(o ORDER BY o.id) FROM organizations o)::text,
           (SELECT json_agg(s ORDER BY s.id) FROM services s)::text,
           (SELECT json_agg(l ORDER BY l.id) FROM locations l)::text,
           (SELECT json_agg(x ORDER BY x.id) FROM service_at_location x)::text,
           (SELECT json_agg(c ORDER BY c.service_id, c.category_slug) FROM service_categories c)::text,
           (SELECT json_agg(p ORDER BY p.id) FROM phones p)::text,
           (SELECT json_agg(h ORDER BY h.id) FROM schedules h)::text
"""


def test_dataset_covers_what_the_directory_promises():
    dataset, _ = read_dataset()
    listings = dataset["listings"]
    assert len(listings) >= 300
    categories = {slug for listing in listings for slug in listing["service"]["categories"]}
    assert {child for children in TAXONOMY.values() for child in children} <= categories
    cities = collections.Counter(listing["location"]["address"]["city"] for listing in listings)
    assert {"Honolulu", "Anchorage"} <= cities.keys()
    assert len(cities) >= 7
    hours = [h for listing in listings for h in listing["schedules"]]
    assert any(h["closes_at"] < h["opens_at"] for h in hours)  # overnight spans
    assert any(len({h["weekday"] for h in listing["schedules"]}) < 7 for listing in listings)  # closed days
    assert any(listing["service"]["status"] != "active" for listing in listings)
    assert all(listing["phones"] for listing in listings)


async def test_loading_twice_changes_nothing(conn):
    count = await load_seed(conn)
    first = await conn.fetchrow(SNAPSHOT)
    assert await load_seed(conn) == count
    assert await conn.fetchrow(SNAPSHOT) == first
    assert await conn.fetchval("SELECT count(*) FROM service_at_location") == count


async def test_seeded_directory_answers_in_every_metro(seeded_client):
    for near in ["45.52,-122.68", "21.3069,-157.8583", "61.2181,-149.9003", "39.29,-76.61"]:
        page = (await seeded_client.get("/v1/resources", params={"near": near, "radius": 25})).json()
        assert len(page["items"]) == 20, near
    overnight = (
        await seeded_client.get(
            "/v1/resources",
            params={"near": "39.29,-76.61", "category": "emergency-shelter", "open_at": "2026-11-28T02:00:00-05:00"},
        )
    ).json()
    assert overnight["items"] and all(item["open_now"] for item in overnight["items"])
