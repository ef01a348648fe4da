"""The change feed: replay reaches the current data; concurrent, out-of-order commits are neither
skipped nor repeated."""

import asyncpg

from tests.conftest import ADMIN, ANY_VERSION
from tests.factories import resource_body


async def feed(client, since: str | None = None, limit: int = 1000) -> tuple[list[dict], str]:
    params = {"limit": limit, **({"since": since} if since else {})}
    response = await client.get("/v1/changes", params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"], response.json()["next_cursor"]


async def test_replaying_the_feed_reaches_the_current_data(client, conn):
    made = [
        (
            await client.post("/v1/resources", json=resource_body(45.5 + i / 100, -122.6, name=f"S{i}"), headers=ADMIN)
        ).json()
        for i in range(3)
    ]
    await client.patch(f"/v1/services/{made[0]['service']['id']}", json={"name": "Renamed"}, headers=ANY_VERSION)
    await client.put(
        f"/v1/services/{made[1]['service']['id']}/capacity", json={"unit": "bed", "available": 2}, headers=ADMIN
    )
    await client.delete(f"/v1/services/{made[2]['service']['id']}", headers=ANY_VERSION)
    # Walk the feed a page of 2 at a time and rebuild which ids exist.
    alive: dict[str, set[str]] = {"organization": set(), "service": set(), "location": set()}
    seen, cursor = [], None
    while True:
        items, next_cursor = await feed(client, cursor, limit=2)
        if not items:
            assert next_cursor == cursor or cursor is None
            break
        seen += items
        for item in items:
            if item["entity"] in alive:
                (alive[item["entity"]].discard if item["op"] == "delete" else alive[item["entity"]].add)(item["id"])
        cursor = next_cursor
    assert len({(i["entity"], i["id"], i["op"], i["at"]) for i in seen}) == len(seen)  # nothing repeated
    for entity, table in (("organization", "organizations"), ("service", "services"), ("location", "locations")):
        live = await conn.fetch(f"SELECT id FROM {table} WHERE deleted_at IS NULL")
        assert alive[entity] == {str(row[0]) for row in live}
    assert ("capacity", made[1]["service"]["id"], "update") in {(i["entity"], i["id"], i["op"]) for i in seen}
    assert ("service", made[2]["service"]["id"], "delete") in {(i["entity"], i["id"], i["op"]) for i in seen}


async def test_a_change_that_commits_late_is_not_skipped(client, db_url):
    first = (await client.post("/v1/organizations", json={"name": "First"}, headers=ADMIN)).json()["id"]
    second = (await client.post("/v1/organizations", json={"name": "Second"}, headers=ADMIN)).json()["id"]
    _, cursor = await feed(client)
    early, late = await asyncpg.connect(db_url), await asyncpg.connect(db_url)
    try:
        slow = early.transaction()
        await slow.start()
        await early.execute("UPDATE organizations SET name = 'First, slowly' WHERE id = $1", first)  # earlier txid
        await late.execute("UPDATE organizations SET name = 'Second, quickly' WHERE id = $1", second)  # commits first
        items, held = await feed(client, cursor)
        assert items == [] and held == cursor  # the later commit waits behind the open transaction
        await slow.commit()
        items, after = await feed(client, cursor)
        assert [(i["id"], i["op"]) for i in items] == [(first, "update"), (second, "update")]
        assert (await feed(client, after))[0] == []
    finally:
        await early.close()
        await late.close()


async def test_bad_cursors_are_refused(client):
    for since in ("nope", "MTp4", "!!!"):  # MTp4 is "1:x"
        response = await client.get("/v1/changes", params={"since": since})
        assert response.status_code == 422 and response.json()["invalid_params"][0]["name"] == "since"


async def test_transactions_are_ordered_by_number_not_by_their_digits(client, conn):
    # Transaction 10 follows 9 although "10" sorts before "9" as text; both ended long ago.
    ids = ["00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-00000000000b"]
    await conn.execute("DELETE FROM changes")
    await conn.execute(
        "INSERT INTO changes (txid, entity, entity_id, op) VALUES ('9', 'service', $1, 'create'), "
        "('10', 'service', $2, 'delete')",
        *ids,
    )
    items, _ = await feed(client)
    assert [(item["id"], item["op"]) for item in items] == [(ids[0], "create"), (ids[1], "delete")]
    first, after_first = await feed(client, limit=1)
    rest, _ = await feed(client, after_first, limit=1)
    assert [item["id"] for item in first + rest] == ids


async def test_latest_is_where_a_fresh_copy_starts_polling(client):
    empty, start = await feed(client, "latest")
    assert empty == [] and (await feed(client, start))[0] == []
    first = (await client.post("/v1/resources", json=resource_body(45.5, -122.6, name="Before"), headers=ADMIN)).json()
    items, latest = await feed(client, "latest")
    assert items == [] and latest != start
    assert (await feed(client, latest))[0] == []  # nothing up to now is replayed
    later = (await client.post("/v1/resources", json=resource_body(45.6, -122.6, name="After"), headers=ADMIN)).json()
    after, _ = await feed(client, latest)
    ids = {item["id"] for item in after}
    assert later["service"]["id"] in ids and first["service"]["id"] not in ids
    assert {item["id"] for item in (await feed(client, start))[0]} >= ids | {first["service"]["id"]}
