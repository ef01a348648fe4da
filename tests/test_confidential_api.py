"""Confidential locations: no public endpoint reveals the street or the exact point; admins see them."""

import io
import json
import zipfile

from tests.conftest import ADMIN, ANY_VERSION
from tests.factories import resource_body

EXACT = (45.523456, -122.676543)
STREET = "1234 Hidden Lane"
SECRETS = ("45.523456", "-122.676543", "Hidden Lane", "45.5234", "-122.6765")


async def make_safe_house(client) -> dict:
    body = resource_body(*EXACT, name="Safe House", categories=("emergency-shelter",),
                         location={"confidential": True, "address": {"address_1": STREET, "city": "Portland",
                                                                     "state_province": "OR",
                                                                     "postal_code": "97201", "country": "US"}})
    response = await client.post("/v1/resources", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    # A public neighbour 100 m away, so nearest-first order has something to give away.
    neighbour = resource_body(EXACT[0] + 0.0009, EXACT[1] + 0.0003, name="Neighbour", categories=("emergency-shelter",))
    assert (await client.post("/v1/resources", json=neighbour, headers=ADMIN)).status_code == 201
    return response.json()


def assert_hidden(body: bytes, where: str) -> None:
    text = body.decode(errors="replace")
    if text.startswith("{") and '"origin"' in text:
        page = json.loads(text)
        page.pop("origin")  # the point the caller sent, echoed back
        text = json.dumps(page)
    for secret in SECRETS:
        assert secret not in text, f"{where} leaks {secret!r}"


async def test_no_public_endpoint_leaks_a_confidential_place(client):
    made = await make_safe_house(client)
    resource, service, location = made["id"], made["service"]["id"], made["location"]["id"]
    organization = made["organization"]["id"]
    assert made["location"]["approximate"] is True and made["location"]["address"] is None
    assert (made["location"]["latitude"], made["location"]["longitude"]) == (45.52, -122.68)
    near = f"{EXACT[0]},{EXACT[1]}"
    paths = [
        ("/v1/resources", {"near": near}), ("/v1/resources", {"near": near, "q": "safe house"}),
        ("/v1/resources", {"category": "emergency-shelter"}), ("/v1/resources", {"near": near, "radius": 0.2}),
        (f"/v1/resources/{resource}", {}), ("/v1/locations", {}), (f"/v1/locations/{location}", {}),
        (f"/v1/services/{service}", {}), (f"/v1/organizations/{organization}", {}),
        ("/hsds/services", {"full": "true"}), (f"/hsds/services/{service}", {}),
        ("/hsds/services", {"format": "ndjson", "full": "true"}),
        ("/hsds/service_at_locations", {}), ("/hsds/service_at_locations", {"full": "true"}),
        ("/hsds/service_at_locations", {"latitude": EXACT[0], "longitude": EXACT[1], "radius": 100}),
        (f"/hsds/service_at_locations/{resource}", {}), ("/hsds/organizations", {"full": "true"}),
        (f"/hsds/organizations/{organization}", {"full_service": "true"}),
    ]
    for path, params in paths:
        response = await client.get(path, params=params)
        assert response.status_code == 200, (path, response.text)
        assert_hidden(response.content, f"{path} {params}")
    exported = await client.get("/v1/exports/hsds.zip")
    with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
        for name in archive.namelist():
            assert_hidden(archive.read(name), f"export {name}")
    # Distances and order come from the rounded point: standing on the exact spot reveals nothing.
    page = (await client.get("/v1/resources", params={"near": near})).json()
    safe = next(item for item in page["items"] if item["service"]["name"] == "Safe House")
    assert safe["distance_m"] > 300
    assert [item["service"]["name"] for item in page["items"]][0] == "Neighbour"
    within = (await client.get("/v1/resources", params={"near": near, "radius": 0.1})).json()
    assert [item["service"]["name"] for item in within["items"]] == ["Neighbour"]


async def test_admins_see_the_real_place_and_can_change_the_flag(client):
    made = await make_safe_house(client)
    location = made["location"]["id"]
    exact = (await client.get(f"/v1/locations/{location}", headers=ADMIN)).json()
    assert (exact["latitude"], exact["longitude"], exact["address"]["address_1"]) == (*EXACT, STREET)
    assert exact["confidential"] is True and exact["approximate"] is False
    public = (await client.get(f"/v1/locations/{location}")).json()
    assert public["address"] is None and public["approximate"] is True and public["confidential"] is True
    wrong_key = await client.get(f"/v1/locations/{location}", headers={"Authorization": "Bearer nope"})
    assert wrong_key.status_code == 401 and "address" not in wrong_key.text
    opened = await client.patch(f"/v1/locations/{location}", json={"confidential": False}, headers=ANY_VERSION)
    assert opened.status_code == 200
    item = (await client.get(f"/v1/resources/{made['id']}")).json()
    assert item["location"]["address"]["address_1"] == STREET and item["location"]["approximate"] is False
