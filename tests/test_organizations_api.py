"""/v1/organizations: CRUD, paging, auth."""

from litestar.testing import AsyncTestClient

from service.app import create_app
from tests.conftest import ADMIN, ANY_VERSION, make_settings

MISSING = "6f1d8a62-3c1e-4f0b-9a57-2f3d9c0b7e11"


async def test_create_read_update_delete(client):
    body = {
        "name": "Harbor Clinic",
        "website": "https://harbor.example.org",
        "phones": [{"number": "503-555-0100", "type": "voice"}],
    }
    created = await client.post("/v1/organizations", json=body, headers=ADMIN)
    assert created.status_code == 201
    organization = created.json()
    assert created.headers["location"] == f"/v1/organizations/{organization['id']}"
    assert organization["phones"][0]["number"] == "503-555-0100"
    assert (await client.get(f"/v1/organizations/{organization['id']}")).json() == organization

    changed = await client.patch(
        f"/v1/organizations/{organization['id']}",
        json={"description": "Walk-in clinic", "website": None},
        headers=ANY_VERSION,
    )
    assert changed.status_code == 200
    assert changed.json()["description"] == "Walk-in clinic"
    assert changed.json()["website"] is None
    assert changed.json()["name"] == "Harbor Clinic"  # omitted fields stay
    assert changed.json()["phones"] == organization["phones"]
    assert changed.json()["updated_at"] >= organization["updated_at"]

    assert (await client.delete(f"/v1/organizations/{organization['id']}", headers=ANY_VERSION)).status_code == 204
    assert (await client.get(f"/v1/organizations/{organization['id']}")).status_code == 404


async def test_an_organization_with_services_cannot_be_deleted(client):
    from tests.factories import ISSUE_BODY

    resource = (await client.post("/v1/resources", json=ISSUE_BODY, headers=ADMIN)).json()
    response = await client.delete(f"/v1/organizations/{resource['organization']['id']}", headers=ANY_VERSION)
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert (await client.get(f"/v1/resources/{resource['id']}")).status_code == 200


async def test_unknown_ids_are_404(client):
    assert (await client.get(f"/v1/organizations/{MISSING}")).status_code == 404
    assert (
        await client.patch(f"/v1/organizations/{MISSING}", json={"name": "x"}, headers=ANY_VERSION)
    ).status_code == 404
    assert (await client.delete(f"/v1/organizations/{MISSING}", headers=ANY_VERSION)).status_code == 404


async def test_paging_by_name(client):
    for name in ["Delta", "alpha", "Charlie", "Bravo", "Echo"]:
        await client.post("/v1/organizations", json={"name": name}, headers=ADMIN)
    first = (await client.get("/v1/organizations", params={"limit": 2})).json()
    second = (await client.get("/v1/organizations", params={"limit": 2, "cursor": first["next_cursor"]})).json()
    third = (await client.get("/v1/organizations", params={"limit": 2, "cursor": second["next_cursor"]})).json()
    names = [item["name"] for page in (first, second, third) for item in page["items"]]
    assert sorted(names) == sorted(["Delta", "alpha", "Charlie", "Bravo", "Echo"])
    assert len(set(names)) == 5
    assert third["next_cursor"] is None


async def test_writes_need_the_admin_key(client):
    assert (await client.post("/v1/organizations", json={"name": "x"})).status_code == 401
    response = await client.post("/v1/organizations", json={"name": "x"}, headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    response = await client.post("/v1/organizations", json={"name": "x"}, headers={"Authorization": "Basic abc"})
    assert response.status_code == 401
    assert (await client.get("/v1/organizations")).status_code == 200  # reads stay open


async def test_without_a_configured_key_writes_are_refused_and_say_how_to_enable_them(db_url):
    async with AsyncTestClient(app=create_app(make_settings(db_url, admin_key=None))) as client:
        for method, path in [
            ("POST", "/v1/organizations"),
            ("POST", "/v1/resources"),
            ("PATCH", f"/v1/services/{MISSING}"),
            ("DELETE", f"/v1/locations/{MISSING}"),
        ]:
            anonymous = await client.request(method, path, json={})
            assert anonymous.status_code == 403, (method, path)
            assert "COMMONGROUND_ADMIN_KEY" in anonymous.json()["detail"]
            # The old admin key is now just an unknown key.
            stale = await client.request(method, path, json={}, headers=ADMIN)
            assert stale.status_code == 401 and "COMMONGROUND_ADMIN_KEY" in stale.json()["detail"]


async def test_bad_bodies_name_the_field(client):
    cases = [
        ({"name": ""}, "name"),
        ({"name": "ok", "website": "ftp://x"}, "website"),
        ({"name": "ok", "email": "not-an-email"}, "email"),
        ({"name": "ok", "colour": "red"}, "colour"),
        ({"name": "ok", "phones": [{"number": ""}]}, "phones[0].number"),
    ]
    for body, field in cases:
        response = await client.post("/v1/organizations", json=body, headers=ADMIN)
        assert response.status_code == 422, body
        assert response.json()["invalid_params"][0]["name"] == field, response.json()
