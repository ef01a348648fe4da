"""Suggestions from the field: submitted anonymously or with a key, reviewed as a diff, approved or rejected."""

import asyncio

from litestar.testing import AsyncTestClient

from service.app import create_app
from tests.conftest import ADMIN, make_settings
from tests.factories import resource_body


async def test_a_correction_is_reviewed_as_a_diff_and_applied_when_approved(client):
    made = (
        await client.post("/v1/resources", json=resource_body(45.5, -122.6, name="Drop-in center"), headers=ADMIN)
    ).json()
    service_id = made["service"]["id"]
    body = {
        "kind": "correction",
        "service_id": service_id,
        "changes": {"description": "Open until 9 pm on Fridays", "categories": ["naloxone", "rides"]},
        "note": "called them today",
    }
    sent = await client.post("/v1/suggestions", json=body)
    assert sent.status_code == 201 and sent.json()["status"] == "pending"
    suggestion = sent.json()["id"]
    public = (await client.get(f"/v1/suggestions/{suggestion}")).json()
    assert public["status"] == "pending" and public["changes"] is None and public["note"] is None
    assert (await client.get(f"/v1/services/{service_id}")).json()["description"] is None  # nothing applied yet
    queue = (await client.get("/v1/suggestions", params={"status": "pending"}, headers=ADMIN)).json()["items"]
    assert [item["id"] for item in queue] == [suggestion]
    assert queue[0]["diff"] == {
        "description": [None, "Open until 9 pm on Fridays"],
        "categories": [["naloxone"], ["naloxone", "rides"]],
    }
    approved = await client.post(f"/v1/suggestions/{suggestion}/approve", headers=ADMIN)
    assert approved.status_code == 200 and approved.json()["status"] == "approved", approved.text
    service = (await client.get(f"/v1/services/{service_id}")).json()
    assert service["description"] == "Open until 9 pm on Fridays" and service["categories"] == ["naloxone", "rides"]
    entry = (await client.get(f"/v1/services/{service_id}/history", headers=ADMIN)).json()["items"][0]
    assert entry["op"] == "approve" and entry["note"] == f"suggestion {suggestion}"
    assert (await client.post(f"/v1/suggestions/{suggestion}/approve", headers=ADMIN)).status_code == 409
    assert (await client.get("/v1/suggestions", headers=ADMIN)).json()["items"] == []


async def test_closures_and_new_resources_and_rejections(client):
    made = (
        await client.post("/v1/resources", json=resource_body(45.5, -122.6, name="Closed shelter"), headers=ADMIN)
    ).json()
    closure = (
        await client.post(
            "/v1/suggestions", json={"kind": "closure", "service_id": made["service"]["id"], "note": "boarded up"}
        )
    ).json()["id"]
    new = (
        await client.post(
            "/v1/suggestions",
            json={"kind": "new", "changes": resource_body(45.51, -122.61, name="Church pantry", categories=("rides",))},
        )
    ).json()["id"]
    spam = (
        await client.post(
            "/v1/suggestions", json={"kind": "new", "changes": resource_body(45.51, -122.61, name="Buy cheap watches")}
        )
    ).json()["id"]
    assert (await client.post(f"/v1/suggestions/{closure}/approve", headers=ADMIN)).status_code == 200
    assert (await client.get(f"/v1/resources/{made['id']}")).status_code == 404
    created = (await client.post(f"/v1/suggestions/{new}/approve", headers=ADMIN)).json()
    assert (await client.get(f"/v1/resources/{created['result_id']}")).json()["service"]["name"] == "Church pantry"
    rejected = await client.post(f"/v1/suggestions/{spam}/reject", json={"reason": "not a resource"}, headers=ADMIN)
    assert rejected.status_code == 200
    seen = (await client.get(f"/v1/suggestions/{spam}")).json()
    assert (seen["status"], seen["reason"]) == ("rejected", "not a resource")
    assert (await client.post(f"/v1/suggestions/{spam}/reject", json={"x": 1}, headers=ADMIN)).status_code == 422


async def test_bad_suggestions_are_422_naming_the_field(client):
    made = (await client.post("/v1/resources", json=resource_body(45.5, -122.6), headers=ADMIN)).json()
    sid = made["service"]["id"]
    for body, field in [
        ({"kind": "correction", "service_id": sid, "changes": {"name": 5}}, "changes.name"),
        ({"kind": "correction", "service_id": sid, "changes": {"colour": "red"}}, "changes.colour"),
        ({"kind": "correction", "service_id": sid, "changes": {"categories": ["bogus"]}}, "changes.categories"),
        ({"kind": "correction", "changes": {"name": "x"}}, "body"),
        (
            {"kind": "correction", "service_id": "6f1d8a62-3c1e-4f0b-9a57-2f3d9c0b7e11", "changes": {"name": "x"}},
            "service_id",
        ),
        ({"kind": "new", "changes": {"service": {"name": "x"}}}, "changes.service.categories"),
        ({"kind": "rumour"}, "kind"),
    ]:
        response = await client.post("/v1/suggestions", json=body)
        assert response.status_code == 422, body
        assert response.json()["invalid_params"][0]["name"] == field, (body, response.json())


async def test_anonymous_suggestions_have_a_strict_quota_and_keys_need_the_scope(db_url):
    async with AsyncTestClient(app=create_app(make_settings(db_url, suggestion_limit_anonymous=2))) as client:
        made = (await client.post("/v1/resources", json=resource_body(45.5, -122.6), headers=ADMIN)).json()
        body = {"kind": "closure", "service_id": made["service"]["id"]}
        codes = [(await client.post("/v1/suggestions", json=body)).status_code for _ in range(3)]
        assert codes == [201, 201, 429]
        refused = await client.post("/v1/suggestions", json=body)
        assert 0 < int(refused.headers["retry-after"]) <= 3601 and "a key" in refused.json()["detail"]
        keys = {}
        for scopes in (["suggest"], ["read"]):
            made_key = await client.post("/v1/keys", json={"name": "k", "scopes": scopes}, headers=ADMIN)
            keys[scopes[0]] = {"Authorization": f"Bearer {made_key.json()['key']}"}
        mine = await client.post("/v1/suggestions", json=body, headers=keys["suggest"])
        assert mine.status_code == 201  # a key's suggestions count against the key's quota instead
        assert (await client.post("/v1/suggestions", json=body, headers=keys["read"])).status_code == 403
        # The key that sent it sees what it sent; another caller only the status.
        assert (await client.get(f"/v1/suggestions/{mine.json()['id']}", headers=keys["suggest"])).json()[
            "changes"
        ] == {}
        assert (await client.get("/v1/suggestions", headers=keys["suggest"])).status_code == 403


async def test_two_admins_approving_at_once_apply_it_once(client, conn):
    body = {"kind": "new", "changes": resource_body(45.5, -122.6, name="Once")}
    suggestion = (await client.post("/v1/suggestions", json=body)).json()["id"]
    answers = await asyncio.gather(
        *(client.post(f"/v1/suggestions/{suggestion}/approve", headers=ADMIN) for _ in range(3))
    )
    assert sorted(a.status_code for a in answers) == [200, 409, 409]
    assert await conn.fetchval("SELECT count(*) FROM services WHERE name = 'Once'") == 1


async def test_a_problem_in_words_is_queued_and_approving_it_changes_nothing(client):
    made = (
        await client.post("/v1/resources", json=resource_body(45.5, -122.6, name="Night shelter"), headers=ADMIN)
    ).json()
    service_id = made["service"]["id"]
    sent = await client.post(
        "/v1/suggestions", json={"kind": "problem", "service_id": service_id, "note": "Wrong phone: it rings a fax"}
    )
    assert sent.status_code == 201, sent.text
    queue = (await client.get("/v1/suggestions", headers=ADMIN)).json()["items"]
    assert [(item["kind"], item["note"], item["service_id"]) for item in queue] == [
        ("problem", "Wrong phone: it rings a fax", service_id)
    ]
    before = (await client.get(f"/v1/services/{service_id}")).json()
    approved = await client.post(f"/v1/suggestions/{sent.json()['id']}/approve", headers=ADMIN)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert (await client.get(f"/v1/services/{service_id}")).json() == before
    for body, field in (
        ({"kind": "problem", "service_id": service_id}, "a problem is said in note"),
        ({"kind": "problem", "service_id": service_id, "note": "   "}, "a problem is said in note"),
        ({"kind": "problem", "service_id": service_id, "note": "x", "changes": {"name": "y"}}, "with no changes"),
        ({"kind": "problem", "note": "wrong phone"}, "a problem needs service_id"),
    ):
        refused = await client.post("/v1/suggestions", json=body)
        assert refused.status_code == 422 and field in refused.text, refused.text
