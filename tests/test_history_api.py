"""Curation history: every write audited in its own transaction, revert, soft delete and restore, purge."""

import asyncio

from service.imports.importer import run_import
from tests.conftest import ADMIN, ANY_VERSION
from tests.factories import bearer, make_key, ohana_export, resource_body
from tests.test_events_api import event_body
from tests.test_meetings_api import meeting_body

BOOTSTRAP = "00000000-0000-0000-0000-000000000000"


async def history(client, path: str, headers=ADMIN) -> list[dict]:
    response = await client.get(f"{path}/history", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_each_write_records_who_when_which_request_and_each_field(client):
    made = (
        await client.post(
            "/v1/resources",
            json=resource_body(45.5, -122.6, name="Harbor"),
            headers={**ADMIN, "X-Request-ID": "create-1"},
        )
    ).json()
    path = f"/v1/services/{made['service']['id']}"
    await client.patch(
        path,
        json={"name": "Harbor Clinic", "description": "Walk-ins"},
        headers={**ANY_VERSION, "X-Request-ID": "edit-1"},
    )
    entries = await history(client, path)
    assert [e["op"] for e in entries] == ["update", "create"]
    edit, create = entries
    assert edit["changes"] == {"name": ["Harbor", "Harbor Clinic"], "description": [None, "Walk-ins"]}
    assert (edit["actor"], edit["actor_name"], edit["request_id"]) == (
        BOOTSTRAP,
        "bootstrap (COMMONGROUND_ADMIN_KEY)",
        "edit-1",
    )
    assert create["changes"]["name"] == [None, "Harbor"] and create["request_id"] == "create-1"
    assert edit["version"] > create["version"]
    # A save that changes nothing records nothing.
    await client.patch(path, json={"name": "Harbor Clinic"}, headers=ANY_VERSION)
    assert len(await history(client, path)) == 2
    assert (await client.get(f"{path}/history")).status_code == 401


async def test_revert_restores_an_earlier_version_as_a_new_audited_change(client):
    made = (
        await client.post("/v1/resources", json=resource_body(45.5, -122.6, name="First name"), headers=ADMIN)
    ).json()
    path = f"/v1/services/{made['service']['id']}"
    await client.patch(path, json={"name": "Second name", "status": "inactive"}, headers=ANY_VERSION)
    await client.patch(path, json={"name": "Third name"}, headers=ANY_VERSION)
    first = (await history(client, path))[-1]
    reverted = await client.post(f"{path}/revert", json={"version": first["version"]}, headers=ADMIN)
    assert reverted.status_code == 200 and reverted.json()["name"] == "First name"
    assert reverted.json()["status"] == "active"
    latest = (await history(client, path))[0]
    assert latest["op"] == "revert" and latest["changes"]["name"] == ["Third name", "First name"]
    assert latest["note"] == f"back to version {first['version']}"
    assert (await client.get(f"/v1/resources/{made['id']}")).json()["service"]["name"] == "First name"
    other = (await history(client, f"/v1/organizations/{made['organization']['id']}"))[0]
    bad = await client.post(f"{path}/revert", json={"version": other["version"]}, headers=ADMIN)
    assert bad.status_code == 422 and bad.json()["invalid_params"][0]["name"] == "version"


async def test_delete_is_soft_hidden_from_search_and_restorable(client):
    made = (
        await client.post(
            "/v1/resources",
            json=resource_body(45.5, -122.6, name="Night shelter", status="temporarily closed"),
            headers=ADMIN,
        )
    ).json()
    service = f"/v1/services/{made['service']['id']}"
    assert (await client.delete(service, headers=ANY_VERSION)).status_code == 204
    gone = await client.get(service)
    assert gone.status_code == 404 and "restore" in gone.json()["detail"]
    assert (await client.get(f"/v1/resources/{made['id']}")).status_code == 404
    for status in ("defunct", "temporarily closed", "active"):
        found = (await client.get("/v1/resources", params={"near": "45.5,-122.6", "status": status})).json()
        assert found["items"] == [], status
    assert (await client.delete(service, headers=ANY_VERSION)).status_code == 404
    feed = (await client.get("/v1/changes")).json()["items"]
    assert ("service", made["service"]["id"], "delete") in {(c["entity"], c["id"], c["op"]) for c in feed}
    restored = await client.post(f"{service}/restore", headers=ADMIN)
    assert restored.status_code == 200 and restored.json()["status"] == "temporarily closed"
    assert (await client.get(f"/v1/resources/{made['id']}")).status_code == 200
    assert [e["op"] for e in await history(client, service)][:2] == ["restore", "delete"]
    assert (await client.post(f"{service}/restore", headers=ADMIN)).status_code == 409


async def test_purge_removes_the_data_and_its_history_but_records_the_purge(client, conn):
    street = "17 Hidden Lane"
    made = (
        await client.post(
            "/v1/resources",
            json=resource_body(
                45.5, -122.6, name="Safe house", location={"address": {"address_1": street, "city": "Portland"}}
            ),
            headers=ADMIN,
        )
    ).json()
    location = made["location"]["id"]
    await client.patch(f"/v1/locations/{location}", json={"name": "Renamed"}, headers=ANY_VERSION)
    body = {"entity": "location", "id": location, "reason": "address published by mistake"}
    assert (await client.post("/v1/admin/purge", json=body, headers=ADMIN)).status_code == 204
    assert (await client.get(f"/v1/locations/{location}")).status_code == 404
    assert (await client.get(f"/v1/resources/{made['id']}")).status_code == 404
    assert await conn.fetchval("SELECT count(*) FROM audit_log WHERE audit_log::text LIKE $1", f"%{street}%") == 0
    entries = await history(client, f"/v1/locations/{location}")
    assert entries[0]["op"] == "purge" and entries[0]["note"] == "address published by mistake"
    assert all(e["changes"] is None for e in entries)
    assert (await client.post("/v1/admin/purge", json=body, headers=ADMIN)).status_code == 404
    reader = (await client.post("/v1/keys", json={"name": "w", "scopes": ["write"]}, headers=ADMIN)).json()["key"]
    refused = await client.post("/v1/admin/purge", json=body, headers={"Authorization": f"Bearer {reader}"})
    assert refused.status_code == 403


async def test_imports_are_audited_as_their_source(conn, tmp_path):
    await run_import(conn, ohana_export(tmp_path / "ohana"), "harbor")
    actors = {(row["actor"], row["note"]) for row in await conn.fetch("SELECT DISTINCT actor, note FROM audit_log")}
    assert actors == {("import:harbor", "import from harbor")}
    assert await conn.fetchval("SELECT count(*) FROM audit_log WHERE op = 'create'") == (
        await conn.fetchval(
            "SELECT (SELECT count(*) FROM services) + (SELECT count(*) FROM locations) "
            "+ (SELECT count(*) FROM organizations)"
        )
    )
    await run_import(conn, ohana_export(tmp_path / "ohana"), "harbor")  # unchanged: nothing new
    assert await conn.fetchval("SELECT count(*) FROM audit_log WHERE op = 'update'") == 0


async def test_concurrent_edits_each_leave_their_own_record(client):
    made = (await client.post("/v1/resources", json=resource_body(45.5, -122.6, name="Busy"), headers=ADMIN)).json()
    path = f"/v1/services/{made['service']['id']}"
    answers = await asyncio.gather(
        *(client.patch(path, json={"description": f"edit {n}"}, headers=ANY_VERSION) for n in range(4))
    )
    assert {a.status_code for a in answers} == {200}
    edits = [e for e in await history(client, path) if e["op"] == "update"]
    assert len(edits) == 4
    # Each record's "before" is the previous record's "after": no write was lost from the history.
    chain = [e["changes"]["description"] for e in reversed(edits)]
    assert chain[0][0] is None and all(chain[i][1] == chain[i + 1][0] for i in range(3))
    assert (await client.get(path)).json()["description"] == chain[-1][1]


async def test_deleted_listings_leave_the_hsds_api_and_exports(client):
    kept = (
        await client.post(
            "/v1/resources",
            json=resource_body(45.5, -122.6, name="Kept", phones=[{"number": "503-555-0101"}]),
            headers=ADMIN,
        )
    ).json()
    gone = (
        await client.post(
            "/v1/resources",
            json=resource_body(45.5, -122.6, name="Gone", phones=[{"number": "503-555-0199"}]),
            headers=ADMIN,
        )
    ).json()
    await client.delete(f"/v1/services/{gone['service']['id']}", headers=ANY_VERSION)
    await client.delete(f"/v1/locations/{gone['location']['id']}", headers=ANY_VERSION)
    await client.delete(f"/v1/organizations/{gone['organization']['id']}", headers=ANY_VERSION)
    for path in ("/hsds/services", "/hsds/organizations", "/hsds/service_at_locations"):
        listed = (await client.get(path)).json()["contents"]
        assert len(listed) == 1, path
    assert (await client.get(f"/hsds/services/{gone['service']['id']}")).status_code == 404
    assert (await client.get(f"/hsds/service_at_locations/{gone['id']}")).status_code == 404
    assert (await client.get(f"/hsds/services/{kept['service']['id']}")).status_code == 200
    # Nested documents leave deleted listings out too.
    other = (
        await client.post(
            "/v1/resources",
            json={
                "organization_id": kept["organization"]["id"],
                "service": {"name": "Also here", "categories": ["rides"]},
                "location": {"name": "Second site", "latitude": 45.6, "longitude": -122.7},
            },
            headers=ADMIN,
        )
    ).json()
    await client.delete(f"/v1/locations/{other['location']['id']}", headers=ANY_VERSION)
    await client.delete(f"/v1/services/{other['service']['id']}", headers=ANY_VERSION)
    full = (
        await client.get(f"/hsds/organizations/{kept['organization']['id']}", params={"full_service": "true"})
    ).json()
    assert [service["name"] for service in full["services"]] == ["Kept"]
    assert [location["id"] for location in full["locations"]] == [kept["location"]["id"]]
    import io
    import zipfile

    archive = zipfile.ZipFile(io.BytesIO((await client.get("/v1/exports/hsds.zip")).content))
    everything = "".join(archive.read(name).decode() for name in archive.namelist() if name.endswith(".csv"))
    assert "Gone" not in everything and "503-555-0199" not in everything and "503-555-0101" in everything
    for table in ("services.csv", "service_at_location.csv", "organizations.csv", "locations.csv"):
        assert len(archive.read(table).decode().strip().splitlines()) == 2, table


async def test_lists_are_part_of_the_history_too(client):
    made = (
        await client.post(
            "/v1/resources", json=resource_body(45.5, -122.6, name="Lists", categories=("naloxone",)), headers=ADMIN
        )
    ).json()
    path = f"/v1/services/{made['service']['id']}"
    await client.patch(
        path, json={"categories": ["naloxone", "rides"], "phones": [{"number": "503-555-0100"}]}, headers=ANY_VERSION
    )
    entry = (await history(client, path))[0]
    assert entry["op"] == "update"
    assert entry["changes"]["categories"] == [["naloxone"], ["naloxone", "rides"]]
    assert [phone["number"] for phone in entry["changes"]["phones"][1]] == ["503-555-0100"]
    # Same lists again: nothing changed, nothing recorded (new phone ids are not a change).
    await client.patch(path, json={"phones": [{"number": "503-555-0100"}]}, headers=ANY_VERSION)
    assert len(await history(client, path)) == 2
    # A change of lists and fields together is one entry.
    await client.patch(path, json={"name": "Lists 2", "categories": ["rides"]}, headers=ANY_VERSION)
    entry = (await history(client, path))[0]
    assert set(entry["changes"]) == {"name", "categories"}
    put = await client.put(f"{path}/exceptions", json=[{"date": "2026-12-25"}], headers=ADMIN)
    assert put.status_code == 200, put.text
    entry = (await history(client, path))[0]
    assert "exceptions" in entry["changes"], entry
    assert entry["changes"]["exceptions"][0] == [] and entry["changes"]["exceptions"][1][0]["date"] == "2026-12-25"
    # A list-only entry can be reverted to like any other (the fields as they were then).
    assert (await client.post(f"{path}/revert", json={"version": entry["version"]}, headers=ADMIN)).status_code == 200


async def test_a_creation_keeps_no_copy_of_the_row_yet_reads_and_reverts_as_one(client, conn):
    made = (
        await client.post(
            "/v1/resources", json=resource_body(45.5, -122.6, name="Dawn Center", status="active"), headers=ADMIN
        )
    ).json()
    service_id = made["service"]["id"]
    path = f"/v1/services/{service_id}"
    # Nothing edited yet: the creation reads from the row itself.
    (create,) = await history(client, path)
    assert create["op"] == "create" and create["changes"]["name"] == [None, "Dawn Center"]
    await client.patch(path, json={"name": "Dusk Center", "description": "Evenings"}, headers=ANY_VERSION)
    await client.patch(path, json={"status": "inactive"}, headers=ANY_VERSION)
    stored = await conn.fetch(
        "SELECT op, snapshot IS NULL AS bare FROM audit_log WHERE entity = 'service' AND entity_id = $1 ORDER BY id",
        made["service"]["id"],
    )
    assert [(row["op"], row["bare"]) for row in stored] == [("create", True), ("update", False), ("update", False)]
    # Derived from the first edit, undone: the name and description as created, nothing of the later edits.
    create = (await history(client, path))[-1]
    assert create["changes"]["name"] == [None, "Dawn Center"] and "description" not in create["changes"]
    assert create["changes"]["status"] == [None, "active"]
    reverted = await client.post(f"{path}/revert", json={"version": create["version"]}, headers=ADMIN)
    assert reverted.status_code == 200, reverted.text
    assert (reverted.json()["name"], reverted.json()["status"], reverted.json()["description"]) == (
        "Dawn Center",
        "active",
        None,
    )


async def test_a_meeting_has_its_history_paged_and_guarded_like_a_listing(client):
    made = (await client.post("/v1/meetings", json=meeting_body(), headers=ADMIN)).json()
    path = f"/v1/meetings/{made['id']}"
    edit = await client.patch(path, json={"notes": "Ring the bell"}, headers={**ANY_VERSION, "X-Request-ID": "m-1"})
    assert edit.status_code == 200, edit.text
    assert (await client.delete(path, headers=ANY_VERSION)).status_code == 204
    # A deleted meeting's history stays readable.
    entries = await history(client, path)
    assert [e["op"] for e in entries] == ["delete", "update", "create"]
    assert entries[1]["changes"]["notes"] == [None, "Ring the bell"] and entries[1]["request_id"] == "m-1"
    assert entries[2]["changes"]["name"] == [None, "Tuesday Night Hope"]
    first = (await client.get(f"{path}/history", params={"limit": 2}, headers=ADMIN)).json()
    assert [e["op"] for e in first["items"]] == ["delete", "update"] and first["next_cursor"]
    rest = (
        await client.get(f"{path}/history", params={"limit": 2, "cursor": first["next_cursor"]}, headers=ADMIN)
    ).json()
    assert [e["op"] for e in rest["items"]] == ["create"] and rest["next_cursor"] is None
    unknown = await client.get("/v1/meetings/00000000-0000-4000-8000-000000000001/history", headers=ADMIN)
    assert unknown.status_code == 404 and "no meeting has id" in unknown.json()["detail"]
    assert (await client.get(f"{path}/history")).status_code == 401
    reader = await make_key(client)
    assert (await client.get(f"{path}/history", headers=bearer(reader["key"]))).status_code == 403
    # A key limited to organizations may not change meetings, so it may not read their history either.
    resource = (await client.post("/v1/resources", json=resource_body(45.5, -122.6), headers=ADMIN)).json()
    limited = await make_key(client, scopes=["write"], organization_ids=[resource["organization"]["id"]])
    assert (await client.get(f"{path}/history", headers=bearer(limited["key"]))).status_code == 403
    writer = await make_key(client, scopes=["write"])
    assert (await client.get(f"{path}/history", headers=bearer(writer["key"]))).status_code == 200


async def test_a_meetings_history_names_contacts_by_first_name_and_initial_only(client, conn):
    contacts = [{"name": "Mary Ann Smith", "phone": "+1-503-555-0100"}]
    made = (await client.post("/v1/meetings", json=meeting_body(contacts=contacts), headers=ADMIN)).json()
    path = f"/v1/meetings/{made['id']}"
    changed = await client.patch(path, json={"contacts": [{"name": "Jones, Bob"}]}, headers=ANY_VERSION)
    assert changed.status_code == 200, changed.text
    # Even a row written around the API (by hand, or before names were cut) shows no more in history.
    await conn.execute(
        "UPDATE meetings SET contacts = $2::jsonb WHERE id = $1", made["id"], '[{"name": "Robert Fullerton"}]'
    )
    entries = await history(client, path)
    assert [e["op"] for e in entries] == ["update", "update", "create"]
    assert entries[0]["changes"]["contacts"][1][0]["name"] == "Robert F."
    assert [c["name"] for c in entries[1]["changes"]["contacts"][1]] == ["Bob J."]
    assert [c["name"] for c in entries[2]["changes"]["contacts"][1]] == ["Mary S."]
    text = str(entries)
    assert "Smith" not in text and "Jones" not in text and "Fullerton" not in text and "Mary S." in text


async def test_an_event_has_its_history_paged_for_admins(client):
    made = (await client.post("/v1/events", json=event_body(), headers=ADMIN)).json()
    path = f"/v1/events/{made['id']}"
    edit = await client.patch(path, json={"capacity": 40}, headers=ANY_VERSION)
    assert edit.status_code == 200, edit.text
    assert (await client.delete(path, headers=ANY_VERSION)).status_code == 204
    entries = await history(client, path)
    assert [e["op"] for e in entries] == ["delete", "update", "create"]
    assert entries[1]["changes"]["capacity"] == [30, 40]
    assert entries[2]["changes"]["title"] == [None, "Expungement clinic"]
    first = (await client.get(f"{path}/history", params={"limit": 1}, headers=ADMIN)).json()
    assert [e["op"] for e in first["items"]] == ["delete"] and first["next_cursor"]
    rest = (
        await client.get(f"{path}/history", params={"limit": 5, "cursor": first["next_cursor"]}, headers=ADMIN)
    ).json()
    assert [e["op"] for e in rest["items"]] == ["update", "create"] and rest["next_cursor"] is None
    # A cursor belongs to its event's history.
    other = (await client.post("/v1/events", json=event_body(), headers=ADMIN)).json()
    stray = await client.get(
        f"/v1/events/{other['id']}/history", params={"cursor": first["next_cursor"]}, headers=ADMIN
    )
    assert stray.status_code == 422
    unknown = await client.get("/v1/events/00000000-0000-4000-8000-000000000001/history", headers=ADMIN)
    assert unknown.status_code == 404 and "no event has id" in unknown.json()["detail"]
    assert (await client.get(f"{path}/history")).status_code == 401
    # Only admins change events, so a write key may not read their history.
    writer = await make_key(client, scopes=["write"])
    assert (await client.get(f"{path}/history", headers=bearer(writer["key"]))).status_code == 403
