"""Likely duplicates (names, places, phones, websites) and merges that keep every old id answering."""

import asyncio

from tests.conftest import ADMIN
from tests.factories import resource_body


async def make(client, lat, lon, name, org=None, **service) -> dict:
    body = resource_body(lat, lon, name=name, **service)
    if org is not None:
        body.pop("organization")
        body["organization_id"] = org
    response = await client.post("/v1/resources", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return response.json()


async def test_likely_duplicates_are_proposed_with_reasons(client):
    a = await make(client, 45.5, -122.6, "Harbor Clinic Naloxone", phones=[{"number": "(503) 555-0100"}])
    b = await make(client, 45.5003, -122.6002, "Harbor Clinic Naloxone Kits", phones=[{"number": "503.555.0100"}])
    await make(client, 45.5, -122.6, "Bus passes", org=a["organization"]["id"])  # same place, other service
    far = await make(client, 47.6, -122.3, "Harbor Clinic Naloxone")  # same name, another city, no shared phone
    pairs = (await client.get("/v1/admin/duplicates", params={"entity": "service"}, headers=ADMIN)).json()
    assert len(pairs) == 1
    pair = pairs[0]
    assert {pair["a"]["id"], pair["b"]["id"]} == {a["service"]["id"], b["service"]["id"]}
    assert pair["score"] >= 0.8 and any(r.endswith("m apart") for r in pair["reasons"])
    assert "same phone number (…0100)" in pair["reasons"]
    everything = (
        await client.get("/v1/admin/duplicates", params={"entity": "service", "min_score": 0}, headers=ADMIN)
    ).json()
    assert far["service"]["id"] not in {p["a"]["id"] for p in everything} | {p["b"]["id"] for p in everything}
    places = (
        await client.get("/v1/admin/duplicates", params={"entity": "location", "min_score": 0.2}, headers=ADMIN)
    ).json()
    assert {places[0]["a"]["id"], places[0]["b"]["id"]} == {a["location"]["id"], b["location"]["id"]}
    await client.post("/v1/organizations", json={"name": "Harbor House"}, headers=ADMIN)
    await client.post("/v1/organizations", json={"name": "Harbor House Inc."}, headers=ADMIN)
    orgs = (await client.get("/v1/admin/duplicates", params={"entity": "organization"}, headers=ADMIN)).json()
    named = [{p["a"]["name"], p["b"]["name"]} for p in orgs]
    assert {"Harbor House", "Harbor House Inc."} in named
    assert {"Harbor Clinic Naloxone org"} in named  # two organizations of one name: likely one
    assert (await client.get("/v1/admin/duplicates")).status_code == 401


async def test_a_merge_moves_links_and_the_old_id_answers_308(client):
    a = await make(client, 45.5, -122.6, "Naloxone kits")
    b = await make(client, 45.51, -122.61, "Naloxone kits (second entry)", categories=("syringe-services",))
    shared = await client.post(
        "/v1/resources",
        json={
            "organization_id": b["organization"]["id"],
            "location_id": a["location"]["id"],
            "service": {"name": "x", "categories": ["rides"]},
        },
        headers=ADMIN,
    )
    await client.put(
        f"/v1/services/{b['service']['id']}/capacity", json={"unit": "naloxone-kit", "available": 9}, headers=ADMIN
    )
    merged = await client.post(
        "/v1/admin/merge",
        json={"entity": "service", "survivor_id": a["service"]["id"], "duplicate_id": b["service"]["id"]},
        headers=ADMIN,
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["moved"]["links"] == 1 and merged.json()["moved"]["capacity"] == 1
    old = await client.get(f"/v1/services/{b['service']['id']}", follow_redirects=False)
    assert old.status_code == 308 and old.headers["location"] == f"/v1/services/{a['service']['id']}"
    followed = await client.get(f"/v1/services/{b['service']['id']}")
    assert followed.status_code == 200 and followed.json()["id"] == a["service"]["id"]
    survivor = followed.json()
    assert sorted(survivor["location_ids"]) == sorted([a["location"]["id"], b["location"]["id"]])
    assert survivor["categories"] == ["naloxone", "syringe-services"]
    # b's link moved as it was, so its resource id still answers directly, now for the survivor.
    moved = (await client.get(f"/v1/resources/{b['id']}")).json()
    assert moved["service"]["id"] == a["service"]["id"] and moved["capacity"][0]["reported_available"] == 9
    assert shared.status_code == 201
    # The duplicate's own history is kept, ending with the merge.
    history = (await client.get(f"/v1/services/{b['service']['id']}/history", headers=ADMIN)).json()["items"]
    assert history[0]["op"] == "merge" and history[0]["note"].endswith(f"merged into {a['service']['id']}")
    patch = await client.patch(
        f"/v1/services/{b['service']['id']}",
        json={"name": "x"},
        headers={**ADMIN, "If-Match": "*"},
        follow_redirects=False,
    )
    assert patch.status_code == 308
    refused = await client.post(f"/v1/services/{b['service']['id']}/restore", headers=ADMIN)
    assert refused.status_code == 409 and "merged into" in refused.json()["detail"]
    # Purging the survivor removes the redirects too: the old id is simply unknown then.
    purge = {"entity": "service", "id": a["service"]["id"], "reason": "test data"}
    assert (await client.post("/v1/admin/purge", json=purge, headers=ADMIN)).status_code == 204
    gone = await client.get(f"/v1/services/{b['service']['id']}", follow_redirects=False)
    assert gone.status_code == 404


async def test_merging_places_redirects_resources_that_would_repeat(client, conn):
    a = await make(client, 45.5, -122.6, "Meals")
    twin = (
        await client.post(
            "/v1/resources",
            json={
                "organization_id": a["organization"]["id"],
                "service": {"name": "Showers", "categories": ["rides"]},
                "location": {"name": "Same hall", "latitude": 45.50001, "longitude": -122.60001},
            },
            headers=ADMIN,
        )
    ).json()
    # "Meals" is listed at both places: after the merge it would be listed twice at one.
    repeated = await conn.fetchval(
        "INSERT INTO service_at_location (service_id, location_id) VALUES ($1, $2) RETURNING id",
        a["service"]["id"],
        twin["location"]["id"],
    )
    result = await client.post(
        "/v1/admin/merge",
        json={"entity": "location", "survivor_id": a["location"]["id"], "duplicate_id": twin["location"]["id"]},
        headers=ADMIN,
    )
    assert result.status_code == 200, result.text
    assert result.json()["moved"] == {"shared_links": 1, "links": 1, "phones": 0, "hours": 0, "exceptions": 0}
    assert (await client.get(f"/v1/locations/{twin['location']['id']}", follow_redirects=False)).status_code == 308
    old = await client.get(f"/v1/resources/{repeated}", follow_redirects=False)
    assert old.status_code == 308 and old.headers["location"] == f"/v1/resources/{a['id']}"
    near = (await client.get("/v1/resources", params={"near": "45.5,-122.6", "limit": 50})).json()["items"]
    assert sorted(item["service"]["name"] for item in near) == ["Meals", "Showers"]
    assert {item["location"]["id"] for item in near} == {a["location"]["id"]}


async def test_bad_and_concurrent_merges(client):
    a = await make(client, 45.5, -122.6, "One")
    b = await make(client, 45.5, -122.6, "One again")
    same = await client.post(
        "/v1/admin/merge",
        json={"entity": "service", "survivor_id": a["service"]["id"], "duplicate_id": a["service"]["id"]},
        headers=ADMIN,
    )
    assert same.status_code == 422
    unknown = await client.post(
        "/v1/admin/merge",
        json={
            "entity": "service",
            "survivor_id": a["service"]["id"],
            "duplicate_id": "6f1d8a62-3c1e-4f0b-9a57-2f3d9c0b7e11",
        },
        headers=ADMIN,
    )
    assert unknown.status_code == 422 and unknown.json()["invalid_params"][0]["name"] == "duplicate_id"
    body = {"entity": "service", "survivor_id": a["service"]["id"], "duplicate_id": b["service"]["id"]}
    answers = await asyncio.gather(*(client.post("/v1/admin/merge", json=body, headers=ADMIN) for _ in range(3)))
    assert sorted(r.status_code for r in answers) == [200, 422, 422]
    org_a, org_b = a["organization"]["id"], b["organization"]["id"]
    key = (
        await client.post(
            "/v1/keys", json={"name": "b staff", "scopes": ["write"], "organization_ids": [org_b]}, headers=ADMIN
        )
    ).json()
    assert (
        await client.post(
            "/v1/admin/merge",
            json={"entity": "organization", "survivor_id": org_a, "duplicate_id": org_b},
            headers=ADMIN,
        )
    ).status_code == 200
    assert (await client.get(f"/v1/keys/{key['id']}", headers=ADMIN)).json()["organization_ids"] == [org_a]
