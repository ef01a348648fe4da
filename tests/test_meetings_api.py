"""/v1/meetings: CRUD, confidential places, the change feed, anonymity of contacts."""

from litestar.testing import AsyncTestClient

from service.app import create_app
from tests.conftest import ADMIN, ANY_VERSION, make_settings


def meeting_body(**overrides: object) -> dict:
    body: dict = {
        "name": "Tuesday Night Hope",
        "slug": "tue-hope",
        "days": [2],
        "start_time": "19:00",
        "end_time": "20:30",
        "latitude": 45.52,
        "longitude": -122.68,
        "address": {"address_1": "1 Main St", "city": "Portland", "state_province": "OR"},
        "types": ["open", "speaker"],
        "fellowship": "AA",
    }
    return {**body, **overrides}


async def test_create_read_change_delete(client):
    response = await client.post("/v1/meetings", json=meeting_body(), headers=ADMIN)
    assert response.status_code == 201, response.text
    meeting = response.json()
    assert response.headers["location"] == f"/v1/meetings/{meeting['id']}"
    assert (meeting["timezone"], meeting["duration_minutes"], meeting["end_time"]) == (
        "America/Los_Angeles",
        90,
        "20:30",
    )
    assert meeting["place"]["address_1"] == "1 Main St" and meeting["online"] is None
    got = await client.get(f"/v1/meetings/{meeting['id']}")
    assert got.json() == meeting
    stale = await client.patch(
        f"/v1/meetings/{meeting['id']}", json={"name": "Hope"}, headers={**ADMIN, "If-Match": '"nope"'}
    )
    assert stale.status_code == 412
    changed = await client.patch(
        f"/v1/meetings/{meeting['id']}",
        json={"name": "Hope", "conference_url": "https://zoom.example/j/1", "duration_minutes": 60},
        headers={**ADMIN, "If-Match": got.headers["etag"]},
    )
    assert changed.status_code == 200, changed.text
    after = changed.json()
    assert (after["name"], after["end_time"], after["online"]["conference_url"]) == (
        "Hope",
        "20:00",
        "https://zoom.example/j/1",
    )
    assert after["place"] == meeting["place"] and after["types"] == ["open", "speaker"]
    assert (await client.delete(f"/v1/meetings/{meeting['id']}", headers=ANY_VERSION)).status_code == 204
    assert (await client.get(f"/v1/meetings/{meeting['id']}")).status_code == 404


async def test_writes_need_a_key_and_refuse_bad_bodies(client):
    assert (await client.post("/v1/meetings", json=meeting_body())).status_code == 401
    nowhere = meeting_body(latitude=None, longitude=None, address=None)
    refused = await client.post("/v1/meetings", json=nowhere, headers=ADMIN)
    assert refused.status_code == 422 and "place" in refused.text
    for bad, field in [({"days": [0]}, "days"), ({"start_time": "7pm"}, "start_time"), ({"types": ["vip"]}, "types")]:
        response = await client.post("/v1/meetings", json=meeting_body(**bad), headers=ADMIN)
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["invalid_params"][0]["name"].startswith(field), response.text
    online = {"latitude": None, "longitude": None, "address": None, "conference_url": "https://zoom.example/j/2"}
    zoneless = await client.post("/v1/meetings", json=meeting_body(**online), headers=ADMIN)
    assert zoneless.status_code == 422 and zoneless.json()["invalid_params"][0]["name"] == "timezone"
    assert (await client.post("/v1/meetings", json=meeting_body(), headers=ADMIN)).status_code == 201
    assert (await client.post("/v1/meetings", json=meeting_body(), headers=ADMIN)).status_code == 409


async def test_a_meeting_at_a_confidential_location_shows_no_street(client):
    place = {"name": "Safe house", "latitude": 45.51234, "longitude": -122.65678, "confidential": True}
    place["address"] = {"address_1": "99 Hidden Ln", "city": "Portland"}
    location = (await client.post("/v1/locations", json=place, headers=ADMIN)).json()
    body = meeting_body(latitude=None, longitude=None, address=None, location_id=location["id"])
    created = await client.post("/v1/meetings", json=body, headers=ADMIN)
    assert created.status_code == 201, created.text
    public = (await client.get(f"/v1/meetings/{created.json()['id']}")).json()
    assert public["timezone"] == "America/Los_Angeles"
    assert public["place"]["address_1"] is None and public["place"]["city"] is None
    assert (public["place"]["latitude"], public["place"]["longitude"], public["place"]["approximate"]) == (
        45.51,
        -122.66,
        True,
    )
    admin = (await client.get(f"/v1/meetings/{created.json()['id']}", headers=ADMIN)).json()
    assert admin["place"]["address_1"] == "99 Hidden Ln" and admin["place"]["latitude"] == 45.51234
    found = (await client.get("/v1/meetings", params={"near": "45.5123,-122.6568"})).json()["items"]
    assert "Hidden" not in str(found) and found[0]["place"]["latitude"] == 45.51
    # Its distance is measured from the rounded point, as for the location itself.
    assert found[0]["distance_m"] > 100


async def test_contacts_keep_a_first_name_and_an_initial(client, conn):
    contacts = [
        {"name": "Mary Ann Smith", "phone": "+1-503-555-0100"},
        {"name": "Jones, Bob"},
        {"name": "Sam"},
    ]
    meeting = (await client.post("/v1/meetings", json=meeting_body(contacts=contacts), headers=ADMIN)).json()
    assert [c["name"] for c in meeting["contacts"]] == ["Mary S.", "Bob J.", "Sam"]
    # Neither in the log itself, nor in the creation it gives back (derived from the row, see audit.sql).
    stored = await conn.fetchval(
        "SELECT string_agg(coalesce(snapshot::text, '') || audit_snapshot(entity, entity_id, id)::text, ' ') "
        "FROM audit_log WHERE entity = 'meeting'"
    )
    assert "Mary S." in stored and "Smith" not in stored and "Jones" not in stored


async def test_meetings_are_in_the_change_feed_and_fire_webhooks(db_url, conn):
    async with AsyncTestClient(app=create_app(make_settings(db_url, webhook_allow_insecure=True))) as client:
        await _feed_and_hooks(client, conn)


async def _feed_and_hooks(client, conn) -> None:
    hook = {"url": "http://127.0.0.1:9/hook", "events": ["meeting.create", "meeting.delete"]}
    made = await client.post("/v1/webhooks", json=hook, headers=ADMIN)
    assert made.status_code == 201, made.text
    meeting = (await client.post("/v1/meetings", json=meeting_body(), headers=ADMIN)).json()
    await client.patch(f"/v1/meetings/{meeting['id']}", json={"notes": "Ring the bell"}, headers=ANY_VERSION)
    await client.delete(f"/v1/meetings/{meeting['id']}", headers=ANY_VERSION)
    items = (await client.get("/v1/changes", params={"limit": 100})).json()["items"]
    ops = [item["op"] for item in items if item["entity"] == "meeting" and item["id"] == meeting["id"]]
    assert ops[0] == "create" and "update" in ops and ops[-1] == "delete"
    events = [row["event_type"] for row in await conn.fetch("SELECT event_type FROM webhook_deliveries ORDER BY seq")]
    assert events == ["meeting.create", "meeting.delete"]


async def test_a_meeting_follows_its_location_when_it_moves(client):
    location = (
        await client.post("/v1/locations", json={"latitude": 45.52, "longitude": -122.68}, headers=ADMIN)
    ).json()
    body = meeting_body(latitude=None, longitude=None, address=None, location_id=location["id"], slug="at-loc")
    await client.post("/v1/meetings", json=body, headers=ADMIN)
    await client.patch(
        f"/v1/locations/{location['id']}", json={"latitude": 45.60, "longitude": -122.68}, headers=ANY_VERSION
    )
    found = (await client.get("/v1/meetings", params={"near": "45.60,-122.68"})).json()["items"]
    assert found[0]["distance_m"] < 1
