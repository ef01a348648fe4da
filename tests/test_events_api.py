"""/v1/events: CRUD, RRULE refusals, confidential places, the change feed and webhooks, the audit log."""

from litestar.testing import AsyncTestClient

from service.app import create_app
from tests.conftest import ADMIN, ANY_VERSION, make_settings


def event_body(**overrides: object) -> dict:
    body: dict = {
        "title": "Expungement clinic",
        "description": "Bring any court papers you have.",
        "start_date": "2027-01-01",
        "start_time": "18:00",
        "end_time": "20:00",
        "recurrence": "FREQ=MONTHLY;BYDAY=2TU",
        "latitude": 45.52,
        "longitude": -122.68,
        "address": {"address_1": "1 Main St", "city": "Portland", "state_province": "OR"},
        "free": True,
        "languages": ["en", "es"],
        "capacity": 30,
        "registration_url": "https://clinic.example.org/register",
    }
    return {**body, **overrides}


async def test_create_read_change_delete(client):
    response = await client.post("/v1/events", json=event_body(), headers=ADMIN)
    assert response.status_code == 201, response.text
    event = response.json()
    assert response.headers["location"] == f"/v1/events/{event['id']}"
    assert (event["timezone"], event["duration_minutes"], event["end_time"]) == ("America/Los_Angeles", 120, "20:00")
    assert event["place"]["address_1"] == "1 Main St" and event["recurrence"] == "FREQ=MONTHLY;BYDAY=2TU"
    got = await client.get(f"/v1/events/{event['id']}")
    assert got.json() == event
    stale = await client.patch(f"/v1/events/{event['id']}", json={"title": "x"}, headers={**ADMIN, "If-Match": '"no"'})
    assert stale.status_code == 412
    changed = await client.patch(
        f"/v1/events/{event['id']}",
        json={"title": "Record clearing clinic", "exdates": ["2027-02-09"], "free": None, "fee": "$5"},
        headers={**ADMIN, "If-Match": got.headers["etag"]},
    )
    assert changed.status_code == 200, changed.text
    after = changed.json()
    assert (after["title"], after["exdates"], after["fee"], after["free"]) == (
        "Record clearing clinic",
        ["2027-02-09"],
        "$5",
        None,
    )
    assert after["place"] == event["place"]
    assert (await client.delete(f"/v1/events/{event['id']}", headers=ANY_VERSION)).status_code == 204
    assert (await client.get(f"/v1/events/{event['id']}")).status_code == 404


async def test_a_one_off_event_shows_its_instants_in_local_time(client):
    body = event_body(
        start_date=None,
        start_time=None,
        end_time=None,
        recurrence=None,
        starts_at="2027-05-14T01:00:00Z",
        ends_at="2027-05-14T03:00:00Z",
    )
    event = (await client.post("/v1/events", json=body, headers=ADMIN)).json()
    assert (event["starts_at"], event["ends_at"]) == ("2027-05-13T18:00:00-07:00", "2027-05-13T20:00:00-07:00")
    switched = await client.patch(
        f"/v1/events/{event['id']}",
        json={"start_time": "10:00", "end_time": "11:00", "dates": ["2027-06-01", "2027-07-01"]},
        headers=ANY_VERSION,
    )
    assert switched.status_code == 200, switched.text
    assert switched.json()["starts_at"] is None and switched.json()["dates"] == ["2027-06-01", "2027-07-01"]


async def test_writes_need_an_admin_key_and_refuse_bad_bodies(client):
    assert (await client.post("/v1/events", json=event_body())).status_code == 401
    for bad, field in [
        ({"recurrence": "FREQ=DAILY"}, "recurrence"),
        ({"recurrence": "FREQ=MONTHLY;BYSETPOS=2"}, "recurrence"),
        ({"attributes": ["no-such-thing"]}, "attributes"),
        ({"start_time": "6pm"}, "start_time"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"genders": ["robots"]}, "genders"),
    ]:
        response = await client.post("/v1/events", json=event_body(**bad), headers=ADMIN)
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["invalid_params"][0]["name"].startswith(field), response.text
    refused = await client.post("/v1/events", json=event_body(recurrence="FREQ=WEEKLY;BYHOUR=9"), headers=ADMIN)
    assert "BYHOUR" in refused.json()["invalid_params"][0]["reason"]
    for bad in [
        {"latitude": None, "longitude": None, "address": None},
        {"starts_at": "2027-05-14T01:00:00Z"},
        {"recurrence": None},
        {"minimum_age": 30, "maximum_age": 20},
        {"start_date": "0001-01-01", "recurrence": "FREQ=WEEKLY;WKST=SU"},
        {"dates": ["9999-12-31"], "recurrence": None, "start_date": None},
    ]:
        response = await client.post("/v1/events", json=event_body(**bad), headers=ADMIN)
        assert response.status_code in (400, 422), (bad, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    online = {"latitude": None, "longitude": None, "address": None, "online_url": "https://meet.example/j/1"}
    zoneless = await client.post("/v1/events", json=event_body(**online), headers=ADMIN)
    assert zoneless.status_code == 422 and zoneless.json()["invalid_params"][0]["name"] == "timezone"
    zoned = await client.post("/v1/events", json=event_body(**online, timezone="America/Chicago"), headers=ADMIN)
    assert zoned.status_code == 201 and zoned.json()["place"] is None


async def test_an_event_at_a_confidential_location_shows_no_street(client):
    place = {"name": "Safe house", "latitude": 45.51234, "longitude": -122.65678, "confidential": True}
    place["address"] = {"address_1": "99 Hidden Ln", "city": "Portland"}
    location = (await client.post("/v1/locations", json=place, headers=ADMIN)).json()
    body = event_body(latitude=None, longitude=None, address=None, location_id=location["id"])
    created = await client.post("/v1/events", json=body, headers=ADMIN)
    assert created.status_code == 201, created.text
    public = (await client.get(f"/v1/events/{created.json()['id']}")).json()
    assert public["timezone"] == "America/Los_Angeles"
    assert public["place"]["address_1"] is None and public["place"]["city"] is None
    assert (public["place"]["latitude"], public["place"]["longitude"], public["place"]["approximate"]) == (
        45.51,
        -122.66,
        True,
    )
    admin = (await client.get(f"/v1/events/{created.json()['id']}", headers=ADMIN)).json()
    assert admin["place"]["address_1"] == "99 Hidden Ln" and admin["place"]["latitude"] == 45.51234
    window = {"near": "45.5123,-122.6568", "from": "2027-01-01T00:00:00Z", "to": "2027-02-01T00:00:00Z"}
    found = (await client.get("/v1/events", params=window)).json()["items"]
    assert found and "Hidden" not in str(found) and found[0]["event"]["place"]["latitude"] == 45.51
    assert found[0]["distance_m"] > 100


async def test_events_at_a_service_check_it(client, conn):
    refused = await client.post(
        "/v1/events", json=event_body(service_id="00000000-0000-4000-8000-000000000000"), headers=ADMIN
    )
    assert refused.status_code == 422 and refused.json()["invalid_params"][0]["name"] == "service_id"


async def test_events_are_in_the_change_feed_the_audit_log_and_fire_webhooks(db_url, conn):
    async with AsyncTestClient(app=create_app(make_settings(db_url, webhook_allow_insecure=True))) as client:
        hook = {"url": "http://127.0.0.1:9/hook", "events": ["event.create", "event.update", "event.delete"]}
        assert (await client.post("/v1/webhooks", json=hook, headers=ADMIN)).status_code == 201
        event = (await client.post("/v1/events", json=event_body(), headers=ADMIN)).json()
        await client.patch(f"/v1/events/{event['id']}", json={"capacity": 40}, headers=ANY_VERSION)
        await client.delete(f"/v1/events/{event['id']}", headers=ANY_VERSION)
        items = (await client.get("/v1/changes", params={"limit": 100})).json()["items"]
        ops = [item["op"] for item in items if item["entity"] == "event" and item["id"] == event["id"]]
        assert ops[0] == "create" and "update" in ops and ops[-1] == "delete"
    events = [row["event_type"] for row in await conn.fetch("SELECT event_type FROM webhook_deliveries ORDER BY seq")]
    # Storing occurrences (or extending them) is no change to the event: only the patch and the soft delete
    # (an update of deleted_at, and the deletion it means, as for every soft-deleted entity) deliver.
    assert events == ["event.create", "event.update", "event.update", "event.delete"]
    audit = await conn.fetch("SELECT op FROM audit_log WHERE entity = 'event' ORDER BY id")
    assert audit[0]["op"] == "create" and audit[-1]["op"] == "delete"
    snapshot = await conn.fetchval(
        "SELECT audit_snapshot(entity, entity_id, id) FROM audit_log WHERE entity = 'event' ORDER BY id LIMIT 1"
    )
    assert "Expungement clinic" in snapshot


async def test_an_event_at_a_location_shows_its_name_and_follows_it(client):
    location = (await client.post("/v1/locations", json={"name": "Library", **_POINT}, headers=ADMIN)).json()
    body = event_body(latitude=None, longitude=None, address=None, location_id=location["id"])
    event = (await client.post("/v1/events", json=body, headers=ADMIN)).json()
    assert event["place"]["name"] == "Library"
    patched = await client.patch(f"/v1/events/{event['id']}", json={"capacity": 12}, headers=ANY_VERSION)
    assert patched.status_code == 200, patched.text
    renamed = await client.patch(
        f"/v1/locations/{location['id']}", json={"name": "Central Library"}, headers=ANY_VERSION
    )
    assert renamed.status_code == 200, renamed.text
    assert (await client.get(f"/v1/events/{event['id']}")).json()["place"]["name"] == "Central Library"
    named = await client.patch(f"/v1/events/{event['id']}", json={"location_name": "Room 2"}, headers=ANY_VERSION)
    kept = await client.patch(f"/v1/events/{event['id']}", json={"capacity": 14}, headers=ANY_VERSION)
    assert named.json()["place"]["name"] == kept.json()["place"]["name"] == "Room 2"


_POINT = {"latitude": 45.52, "longitude": -122.68}
