"""API keys: made by admins, shown once, stored as a hash, scoped, limited to organizations, rotated, revoked."""

import hashlib
import json
import logging

from tests.conftest import ADMIN
from tests.factories import bearer, make_key, resource_body


async def test_a_key_is_shown_once_and_stored_only_as_a_hash(client, conn):
    made = await make_key(client, name="Outreach app", scopes=["read", "suggest"])
    assert made["key"].startswith("cg_") and len(made["key"]) > 40 and made["prefix"] == made["key"][:10]
    assert made["scopes"] == ["read", "suggest"] and made["organization_ids"] is None
    stored = await conn.fetchrow("SELECT * FROM api_keys WHERE id = $1", made["id"])
    assert made["key"] not in json.dumps({k: str(v) for k, v in dict(stored).items()})
    assert stored["secret_hash"] == hashlib.sha256(made["key"].encode()).digest()
    listed = (await client.get("/v1/keys", headers=ADMIN)).json()["items"]
    assert [k["id"] for k in listed] == [made["id"]] and "key" not in listed[0]
    one = (await client.get(f"/v1/keys/{made['id']}", headers=ADMIN)).json()
    assert "key" not in one and one["name"] == "Outreach app"
    current = (await client.get("/v1/keys/current", headers=bearer(made["key"]))).json()
    assert current["id"] == made["id"] and "key" not in current
    assert (await client.get("/v1/keys/current")).status_code == 401


async def test_bad_key_bodies_are_422_naming_the_field(client):
    for body, field in [
        ({"name": "x", "scopes": ["root"]}, "scopes[0]"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"scopes": ["read"]}, "name"),
        (
            {"name": "x", "scopes": ["write"], "organization_ids": ["6f1d8a62-3c1e-4f0b-9a57-2f3d9c0b7e11"]},
            "organization_ids",
        ),
        ({"name": "x", "scopes": ["read"], "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
    ]:
        response = await client.post("/v1/keys", json=body, headers=ADMIN)
        assert response.status_code == 422, body
        assert response.json()["invalid_params"][0]["name"] == field, response.json()


async def test_scopes_decide_what_a_key_may_do(client):
    reader = await make_key(client, scopes=["read"])
    writer = await make_key(client, scopes=["write"])
    body = resource_body(45.5, -122.6, name="Scoped")
    refused = await client.post("/v1/resources", json=body, headers=bearer(reader["key"]))
    assert refused.status_code == 403 and "'write' scope" in refused.json()["detail"]
    assert (await client.post("/v1/resources", json=body, headers=bearer(writer["key"]))).status_code == 201
    assert (
        await client.get("/v1/resources", params={"zip": "97201"}, headers=bearer(reader["key"]))
    ).status_code == 200
    for path in ["/v1/keys", "/v1/imports"]:
        assert (await client.get(path, headers=bearer(writer["key"]))).status_code == 403
    assert (
        await client.post("/v1/keys", json={"name": "x", "scopes": ["admin"]}, headers=bearer(writer["key"]))
    ).status_code == 403
    admin = await make_key(client, scopes=["admin"])
    assert (await client.get("/v1/keys", headers=bearer(admin["key"]))).status_code == 200


async def test_keys_only_in_the_header_and_never_in_a_log(client, caplog):
    made = await make_key(client)
    with caplog.at_level(logging.INFO, logger="commonground.access"):
        in_url = await client.get("/v1/categories", params={"api_key": made["key"]})
        also = await client.get("/v1/categories", params={"token": made["key"]})
        basic = await client.get("/v1/categories", headers={"Authorization": f"Basic {made['key']}"})
        fine = await client.get("/v1/categories", headers=bearer(made["key"]))
    assert in_url.status_code == also.status_code == 400
    assert in_url.json()["invalid_params"][0] == {
        "name": "api_key",
        "reason": "credentials belong in the Authorization header",
        "location": "query",
    }
    assert basic.status_code == 401 and basic.headers["www-authenticate"].startswith("Bearer")
    assert fine.status_code == 200
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("commonground"))
    assert made["key"] not in logged and "api_key=***" in logged


async def test_revoked_expired_and_rotated_keys(client, conn):
    made = await make_key(client)
    assert (await client.get("/v1/categories", headers=bearer(made["key"]))).status_code == 200
    stale = await client.delete(f"/v1/keys/{made['id']}", headers=ADMIN)
    assert stale.status_code == 428
    etag = (await client.get(f"/v1/keys/{made['id']}", headers={**ADMIN, "Accept-Encoding": "identity"})).headers[
        "etag"
    ]
    assert (await client.delete(f"/v1/keys/{made['id']}", headers={**ADMIN, "If-Match": etag})).status_code == 204
    gone = await client.get("/v1/categories", headers=bearer(made["key"]))
    assert gone.status_code == 401 and "revoked" in gone.json()["detail"]
    assert (await client.get("/v1/keys", headers=ADMIN)).json()["items"] == []
    listed = (await client.get("/v1/keys", params={"include_revoked": "true"}, headers=ADMIN)).json()["items"]
    assert listed[0]["revoked_at"] is not None

    old = await make_key(client, scopes=["write"], rate_limit=50)
    graceful = await client.post(f"/v1/keys/{old['id']}/rotate", params={"grace_seconds": 3600}, headers=ADMIN)
    assert graceful.status_code == 201
    new = graceful.json()
    assert new["key"] != old["key"] and new["rotated_from"] == old["id"]
    assert (new["scopes"], new["rate_limit"]) == (["write"], 50)
    for key in (old["key"], new["key"]):  # both work during the grace period
        assert (await client.get("/v1/keys/current", headers=bearer(key))).status_code == 200
    again = (await client.post(f"/v1/keys/{new['id']}/rotate", headers=ADMIN)).json()
    assert (await client.get("/v1/keys/current", headers=bearer(new["key"]))).status_code == 401
    assert (await client.get("/v1/keys/current", headers=bearer(again["key"]))).status_code == 200

    soon = await make_key(client, expires_at="2099-01-01T00:00:00Z")
    await conn.execute("UPDATE api_keys SET expires_at = now() - interval '1 s' WHERE id = $1", soon["id"])
    assert (await client.get("/v1/categories", headers=bearer(soon["key"]))).status_code == 401


async def test_a_key_limited_to_organizations_touches_only_their_listings(client):
    mine = (await client.post("/v1/resources", json=resource_body(45.5, -122.6, name="Mine"), headers=ADMIN)).json()
    theirs = (await client.post("/v1/resources", json=resource_body(45.5, -122.6, name="Theirs"), headers=ADMIN)).json()
    provider = await make_key(client, scopes=["write"], organization_ids=[mine["organization"]["id"]])
    key = provider["key"]
    own, other = mine["service"]["id"], theirs["service"]["id"]
    ok = await client.patch(
        f"/v1/services/{own}", json={"name": "Mine, renamed"}, headers=bearer(key, **{"If-Match": "*"})
    )
    assert ok.status_code == 200
    for method, path, body in [
        ("PATCH", f"/v1/services/{other}", {"name": "hijacked"}),
        ("DELETE", f"/v1/services/{other}", None),
        ("PATCH", f"/v1/organizations/{theirs['organization']['id']}", {"name": "hijacked"}),
        ("PATCH", f"/v1/locations/{theirs['location']['id']}", {"name": "hijacked"}),
        ("PUT", f"/v1/services/{other}/capacity", {"unit": "bed", "available": 1}),
        ("PUT", f"/v1/services/{other}/exceptions", []),
        ("PUT", f"/v1/locations/{theirs['location']['id']}/exceptions", []),
        (
            "POST",
            "/v1/services",
            {"organization_id": theirs["organization"]["id"], "name": "x", "categories": ["rides"]},
        ),
        ("POST", "/v1/organizations", {"name": "new"}),
        ("POST", "/v1/resources", {**resource_body(45.5, -122.6, name="x")}),
        (
            "POST",
            "/v1/resources",
            {
                "organization_id": mine["organization"]["id"],
                "location_id": theirs["location"]["id"],
                "service": {"name": "x", "categories": ["rides"]},
            },
        ),
    ]:
        response = await client.request(method, path, json=body, headers=bearer(key, **{"If-Match": "*"}))
        assert response.status_code == 403, (method, path, response.text)
    assert (await client.get(f"/v1/services/{other}")).json()["name"] == "Theirs"
    assert (
        await client.put(f"/v1/services/{own}/capacity", json={"unit": "bed", "available": 3}, headers=bearer(key))
    ).status_code == 200


async def test_usage_per_key_per_day_is_recorded(client):
    made = await make_key(client)
    for _ in range(3):
        await client.get("/v1/categories", headers=bearer(made["key"]))
    usage = (await client.get(f"/v1/keys/{made['id']}/usage", headers=ADMIN)).json()
    assert len(usage) == 1 and usage[0]["requests"] == 3 and usage[0]["throttled"] == 0
    bootstrap = (await client.get("/v1/keys/00000000-0000-0000-0000-000000000000/usage", headers=ADMIN)).json()
    assert bootstrap[0]["requests"] >= 2
    assert (await client.get(f"/v1/keys/{made['id']}", headers=ADMIN)).json()["last_used"] is not None
