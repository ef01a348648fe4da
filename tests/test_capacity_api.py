"""Live capacity: counts with history, a freshness bound, and stale counts never shown as current."""

from tests.conftest import ADMIN
from tests.factories import assert_index_is_current, resource_body

NEAR = {"near": "61.2181,-149.9003"}  # Anchorage


async def shelter(client, name: str, offset: float) -> dict:
    response = await client.post(
        "/v1/resources",
        headers=ADMIN,
        json=resource_body(61.2181 + offset, -149.9003, name=name, categories=("emergency-shelter",)),
    )
    assert response.status_code == 201
    return response.json()


async def test_counts_filter_and_show_their_age(client, conn):
    beds, full, stale = (
        await shelter(client, "Beds Left", 0.001),
        await shelter(client, "Full House", 0.002),
        await shelter(client, "Old News", 0.003),
    )
    put = await client.put(
        f"/v1/services/{beds['service']['id']}/capacity",
        headers=ADMIN,
        json={"unit": "bed", "available": 3, "maximum": 20},
    )
    assert put.status_code == 200
    assert put.json()[0] | {"updated_at": None} == {
        "unit": "bed",
        "available": 3,
        "maximum": 20,
        "reported_available": 3,
        "updated_at": None,
        "age_seconds": 0,
        "current": True,
    }
    await client.put(
        f"/v1/services/{beds['service']['id']}/capacity", headers=ADMIN, json={"unit": "naloxone-kit", "available": 40}
    )
    await client.put(
        f"/v1/services/{full['service']['id']}/capacity",
        headers=ADMIN,
        json={"unit": "bed", "available": 0, "maximum": 50},
    )
    # A count reported 30 hours ago: kept, never presented as current.
    await conn.execute(
        "INSERT INTO service_capacity (service_id, unit, available, maximum, updated_at) "
        "VALUES ($1, 'bed', 7, 10, now() - interval '30 hours')",
        stale["service"]["id"],
    )

    page = (await client.get("/v1/resources", params={**NEAR, "has_capacity": "bed"})).json()
    assert [item["service"]["name"] for item in page["items"]] == ["Beds Left"]
    everything = {
        item["service"]["name"]: item["capacity"]
        for item in (await client.get("/v1/resources", params=NEAR)).json()["items"]
    }
    assert [c["unit"] for c in everything["Beds Left"]] == ["bed", "naloxone-kit"]
    old = everything["Old News"][0]
    assert (old["available"], old["reported_available"], old["current"]) == (None, 7, False)
    assert 30 * 3600 <= old["age_seconds"] < 31 * 3600
    assert everything["Full House"][0]["available"] == 0
    # A longer freshness bound makes the old count current again.
    wider = (await client.get("/v1/resources", params={**NEAR, "has_capacity": "bed", "capacity_max_age": "2d"})).json()
    assert {item["service"]["name"] for item in wider["items"]} == {"Beds Left", "Old News"}
    one = (await client.get(f"/v1/resources/{beds['id']}")).json()
    assert one["capacity"][0]["available"] == 3

    await client.put(
        f"/v1/services/{beds['service']['id']}/capacity",
        headers=ADMIN,
        json={"unit": "bed", "available": 1, "maximum": 20},
    )
    history = (
        await client.get(f"/v1/services/{beds['service']['id']}/capacity/history", params={"unit": "bed"})
    ).json()
    assert [h["available"] for h in history] == [1, 3]
    current = (await client.get(f"/v1/services/{beds['service']['id']}/capacity")).json()
    assert [(c["unit"], c["available"]) for c in current] == [("bed", 1), ("naloxone-kit", 40)]
    await assert_index_is_current(conn)


async def test_bad_counts_and_parameters(client):
    made = await shelter(client, "Somewhere", 0.0)
    url = f"/v1/services/{made['service']['id']}/capacity"
    assert (await client.put(url, json={"unit": "bed", "available": 1})).status_code == 401
    for body, field in [
        ({"unit": "bed", "available": -1}, "available"),
        ({"unit": "Beds!", "available": 1}, "unit"),
        ({"unit": "bed", "available": 5, "maximum": 2}, "body"),
        ({"available": 1}, "unit"),
    ]:
        response = await client.put(url, json=body, headers=ADMIN)
        assert response.status_code in (400, 422), body
        assert field in {p["name"] for p in response.json()["invalid_params"]} or field == "body"
    missing = await client.put(
        "/v1/services/00000000-0000-4000-8000-000000000000/capacity",
        headers=ADMIN,
        json={"unit": "bed", "available": 1},
    )
    assert missing.status_code == 404
    for params, field in [
        ({"has_capacity": "Bed!"}, "has_capacity"),
        ({"capacity_max_age": "soon"}, "capacity_max_age"),
        ({"capacity_max_age": "0h"}, "capacity_max_age"),
    ]:
        response = await client.get("/v1/resources", params={**NEAR, **params})
        assert response.status_code in (400, 422)
        assert response.json()["invalid_params"][0]["name"] == field
