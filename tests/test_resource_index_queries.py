"""resource_index, the table searches read, stays equal to what its sources say."""

import asyncio
import random

import asyncpg

from tests.conftest import ADMIN, ANY_VERSION
from tests.factories import add_resource, assert_index_is_current, resource_body


async def test_every_kind_of_write_keeps_the_index_current(client, db_url):
    made = [
        (
            await client.post(
                "/v1/resources",
                json=resource_body(45.5 + i / 100, -122.6, name=f"S{i}", phones=[{"number": f"503-555-01{i:02d}"}]),
                headers=ADMIN,
            )
        ).json()
        for i in range(4)
    ]
    first, second, third, fourth = made
    org, service, location = first["organization"]["id"], first["service"]["id"], first["location"]["id"]
    writes = [
        ("PATCH", f"/v1/organizations/{org}", {"name": "Renamed org", "phones": [{"number": "211"}]}),
        (
            "PATCH",
            f"/v1/services/{service}",
            {
                "name": "Renamed",
                "categories": ["rides", "legal-aid"],
                "schedules": [{"weekday": 2, "opens_at": "08:00", "closes_at": "12:00"}],
            },
        ),
        (
            "PATCH",
            f"/v1/locations/{location}",
            {
                "latitude": 21.3,
                "longitude": -157.8,
                "address": {"address_1": "9 King St", "city": "Honolulu"},
                "schedules": [{"weekday": 7, "opens_at": "22:00", "closes_at": "02:00"}],
            },
        ),
        ("PATCH", f"/v1/services/{second['service']['id']}", {"status": "inactive", "phones": []}),
        (
            "POST",
            "/v1/resources",
            {
                "organization_id": org,
                "location_id": third["location"]["id"],
                "service": {"name": "Shared site", "categories": ["naloxone"]},
            },
        ),
        ("DELETE", f"/v1/locations/{fourth['location']['id']}", None),
    ]
    for method, path, body in writes:
        response = await client.request(method, path, json=body, headers=ANY_VERSION)
        assert response.status_code in (200, 201, 204), (path, response.text)
    item = (await client.get(f"/v1/resources/{first['id']}")).json()
    assert item["organization"]["name"] == "Renamed org"
    assert item["service"]["name"] == "Renamed"
    assert item["service"]["categories"] == ["legal-aid", "rides"]
    assert item["location"]["address"]["city"] == "Honolulu"
    assert item["location"]["timezone"] == "Pacific/Honolulu"
    assert [phone["number"] for phone in item["phones"]] == ["503-555-0100", "211"]
    assert [h["weekday"] for h in item["schedules"]] == [2]  # the service's hours win over the location's
    conn = await asyncpg.connect(db_url)
    try:
        await assert_index_is_current(conn)
    finally:
        await conn.close()


async def test_concurrent_edits_of_one_resource_both_land(conn, db_url):
    resource_id = await add_resource(conn, 45.5, -122.6, name="Before")
    service_id = await conn.fetchval("SELECT service_id FROM service_at_location WHERE id = $1", resource_id)
    first, second = await asyncpg.connect(db_url), await asyncpg.connect(db_url)
    try:
        rename = first.transaction()
        await rename.start()
        await first.execute("UPDATE services SET name = 'After' WHERE id = $1", service_id)
        phone_added = asyncio.create_task(
            second.execute("INSERT INTO phones (service_id, number) VALUES ($1, '503-555-0199')", service_id)
        )
        await asyncio.sleep(0.3)
        assert not phone_added.done()  # waiting for the rename's lock on the resource
        await rename.commit()
        await asyncio.wait_for(phone_added, 5)
    finally:
        await first.close()
        await second.close()
    head = await conn.fetchval("SELECT head FROM resource_index WHERE id = $1", resource_id)
    assert '"name" : "After"' in head and "503-555-0199" in head
    await assert_index_is_current(conn)


async def test_bulk_loads_can_defer_and_rebuild_once(conn):
    async with conn.transaction():
        await conn.execute("SET LOCAL commonground.defer_index = 'on'")
        resource_id = await add_resource(conn, 1.0, 1.0, name="Bulk")
        assert await conn.fetchval("SELECT count(*) FROM resource_index") == 0
        await conn.execute("SELECT refresh_resource_index(ARRAY[$1::uuid])", resource_id)
    assert await conn.fetchval("SELECT count(*) FROM resource_index") == 1
    await assert_index_is_current(conn)


async def test_seeded_index_is_complete(seeded_db_url):
    conn = await asyncpg.connect(seeded_db_url)
    try:
        await assert_index_is_current(conn)
    finally:
        await conn.close()


async def test_the_set_based_rebuild_writes_the_documents_resource_document_builds(seeded_conn):
    await seeded_conn.execute("DELETE FROM resource_index")
    await seeded_conn.execute("SELECT refresh_resource_index(ARRAY(SELECT id FROM service_at_location))")
    differing = await seeded_conn.fetchval(
        "SELECT count(*) FROM resource_index WHERE head <> left(resource_document(id)::text, -1)"
    )
    assert differing == 0
    assert await seeded_conn.fetchval("SELECT count(*) FROM resource_index") == 320


async def test_search_rows_are_compressed_in_their_page_never_moved_out(conn):
    # What only shown rows read may be compressed (MAIN); what filters read on every row a walk passes is
    # never compressed nor moved out (PLAIN). An EXTENDED column would be moved out of line before any
    # document was compressed, and a search would read the TOAST table on every row it walks.
    stored = await conn.fetch(
        "SELECT a.attname, a.attstorage::text FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
        "WHERE a.attrelid = 'resource_index'::regclass AND a.attnum > 0 AND NOT a.attisdropped "
        "AND t.typstorage <> 'p'"
    )
    modes = {row["attname"]: row["attstorage"] for row in stored}
    assert {name for name, mode in modes.items() if mode == "m"} == {
        "head",
        "timeline_days",
        "capacity",
        "search_vector",
    }
    assert {
        mode for name, mode in modes.items() if name not in ("head", "timeline_days", "capacity", "search_vector")
    } == {"p"}
    long = " ".join(f"Walk-in help number {i} with rides, meals and a bed." for i in range(60))
    await add_resource(conn, 45.5, -122.6, name="Long listing", description=long)
    head, compressed = await conn.fetchrow(
        "SELECT head, pg_column_compression(head) FROM resource_index WHERE name = 'Long listing'"
    )
    assert len(head) > 3000 and compressed is not None
    toast = await conn.fetchval(
        "SELECT reltoastrelid::regclass::text FROM pg_class WHERE oid = 'resource_index'::regclass"
    )
    assert await conn.fetchval(f"SELECT count(*) FROM {toast}") == 0
    # A description no compression can fit in a page still goes in: its document and words move out.
    words = " ".join(f"{random.getrandbits(64):x}" for _ in range(1_150))
    await add_resource(conn, 45.5, -122.6, name="Huge listing", description=words)
    assert await conn.fetchval("SELECT count(*) FROM resource_index WHERE name = 'Huge listing'") == 1
