"""/v1/services: CRUD with categories, phones and hours."""

from tests.conftest import ADMIN, ANY_VERSION
from tests.factories import resource_body

MISSING = "6f1d8a62-3c1e-4f0b-9a57-2f3d9c0b7e11"


async def organization(client) -> str:
    return (await client.post("/v1/organizations", json={"name": "Org"}, headers=ADMIN)).json()["id"]


async def test_create_read_update_delete(client):
    organization_id = await organization(client)
    body = {
        "organization_id": organization_id,
        "name": "Mobile van",
        "categories": ["syringe-services", "naloxone"],
        "languages": ["en", "es"],
        "assured_date": "2026-11-01",
        "eligibility_description": "Anyone",
        "phones": [{"number": "410-555-0101"}],
        "schedules": [{"weekday": 6, "opens_at": "20:00", "closes_at": "02:00"}],
    }
    created = await client.post("/v1/services", json=body, headers=ADMIN)
    assert created.status_code == 201, created.text
    service = created.json()
    assert service["categories"] == ["naloxone", "syringe-services"]
    assert service["languages"] == ["en", "es"]
    assert service["status"] == "active"
    assert service["schedules"][0]["closes_at"] == "02:00"
    assert service["location_ids"] == []
    assert (await client.get(f"/v1/services/{service['id']}")).json() == service

    patch = {"categories": ["rides"], "status": "inactive", "schedules": [], "assured_date": None}
    changed = (await client.patch(f"/v1/services/{service['id']}", json=patch, headers=ANY_VERSION)).json()
    assert changed["categories"] == ["rides"]
    assert changed["status"] == "inactive"
    assert changed["schedules"] == []
    assert changed["assured_date"] is None
    assert changed["phones"] == service["phones"]
    assert changed["languages"] == ["en", "es"]

    assert (await client.delete(f"/v1/services/{service['id']}", headers=ANY_VERSION)).status_code == 204
    assert (await client.get(f"/v1/services/{service['id']}")).status_code == 404


async def test_categories_are_checked_on_create_and_patch(client):
    organization_id = await organization(client)
    body = {"organization_id": organization_id, "name": "X", "categories": ["narcan"]}
    response = await client.post("/v1/services", json=body, headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["invalid_params"][0]["name"] == "categories"
    service = (await client.post("/v1/services", json=body | {"categories": ["rides"]}, headers=ADMIN)).json()
    response = await client.patch(f"/v1/services/{service['id']}", json={"categories": ["bogus"]}, headers=ANY_VERSION)
    assert response.status_code == 422
    assert (await client.get(f"/v1/services/{service['id']}")).json()["categories"] == ["rides"]


async def test_unknown_organization_is_422(client):
    body = {"organization_id": MISSING, "name": "X", "categories": ["rides"]}
    response = await client.post("/v1/services", json=body, headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["invalid_params"][0]["name"] == "organization_id"


async def test_bad_schedule_time_zone_leaves_nothing_behind(client):
    organization_id = await organization(client)
    body = {
        "organization_id": organization_id,
        "name": "X",
        "categories": ["rides"],
        "schedules": [{"weekday": 1, "opens_at": "09:00", "closes_at": "17:00", "timezone": "Nowhere/City"}],
    }
    response = await client.post("/v1/services", json=body, headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["invalid_params"][0]["name"] == "schedules[0].timezone"
    assert (await client.get("/v1/services")).json()["items"] == []


async def test_list_filters_by_organization_and_pages(client):
    first, second = await organization(client), await organization(client)
    for index in range(3):
        await client.post(
            "/v1/services", json={"organization_id": first, "name": f"A{index}", "categories": ["rides"]}, headers=ADMIN
        )
    await client.post(
        "/v1/services", json={"organization_id": second, "name": "B", "categories": ["rides"]}, headers=ADMIN
    )
    page = (await client.get("/v1/services", params={"organization_id": first, "limit": 2})).json()
    assert [item["name"] for item in page["items"]] == ["A0", "A1"]
    rest = (
        await client.get("/v1/services", params={"organization_id": first, "limit": 2, "cursor": page["next_cursor"]})
    ).json()
    assert [item["name"] for item in rest["items"]] == ["A2"]
    other = await client.get("/v1/services", params={"organization_id": second, "cursor": page["next_cursor"]})
    assert other.status_code == 422  # a cursor belongs to its own query


async def test_deleting_a_service_removes_it_from_search(client):
    from tests.factories import ISSUE_BODY

    resource = (await client.post("/v1/resources", json=ISSUE_BODY, headers=ADMIN)).json()
    await client.delete(f"/v1/services/{resource['service']['id']}", headers=ANY_VERSION)
    assert (await client.get("/v1/resources", params={"near": "45.5,-122.6"})).json()["items"] == []
    assert (await client.get(f"/v1/resources/{resource['id']}")).status_code == 404


async def test_patching_categories_that_overlap_the_current_ones(client):
    made = (
        await client.post("/v1/resources", json=resource_body(45.5, -122.6, categories=("naloxone",)), headers=ADMIN)
    ).json()
    path = f"/v1/services/{made['service']['id']}"
    changed = await client.patch(path, json={"categories": ["naloxone", "rides"]}, headers=ANY_VERSION)
    assert changed.status_code == 200 and changed.json()["categories"] == ["naloxone", "rides"]
    assert (await client.patch(path, json={"categories": ["rides"]}, headers=ANY_VERSION)).json()["categories"] == [
        "rides"
    ]
