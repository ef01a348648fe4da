"""Confidential locations: no public answer — members, count, order, filters — depends on the exact place.

The triangulation test moves a confidential shelter between two exact places inside one public
rounding cell (with another street and postal code) and asks every public endpoint that filters or
sorts by place the same grid of narrow questions both times: every answer must be identical, so no
sequence of calls can locate the shelter more finely than its public cell.
"""

import io
import itertools
import json
import zipfile

from tests.conftest import ADMIN, ANY_VERSION
from tests.factories import bearer, make_key, resource_body

# Two exact places in the cell that rounds to (45.52, -122.68), about 1 km apart, different ZIPs.
PLACES = [
    {
        "latitude": 45.516234,
        "longitude": -122.684187,
        "address": {
            "address_1": "1234 Hidden Lane",
            "city": "Portland",
            "state_province": "OR",
            "postal_code": "97201",
            "country": "US",
        },
    },
    {
        "latitude": 45.524102,
        "longitude": -122.675833,
        "address": {
            "address_1": "77 Quiet Court",
            "city": "Portland",
            "state_province": "OR",
            "postal_code": "97209",
            "country": "US",
        },
    },
]
CELL = (45.52, -122.68)
SECRETS = ("45.516234", "-122.684187", "45.5162", "-122.6841", "Hidden Lane")
# Public neighbours beside each exact place and around the cell, so order has something to give away.
NEIGHBOURS = [
    (45.5171, -122.6835, "97201"),
    (45.5235, -122.6765, "97209"),
    (45.52, -122.68, "97205"),
    (45.5105, -122.6805, "97201"),
    (45.5298, -122.6702, "97209"),
]
# A 7 x 7 grid about 280 m x 195 m apart, wider than the cell, for narrow questions around it.
GRID = [
    (round(CELL[0] + 0.0025 * i, 5), round(CELL[1] + 0.0025 * j, 5))
    for i, j in itertools.product(range(-3, 4), repeat=2)
]
VOLATILE = {"updated_at", "last_modified"}


def _stable(value: object) -> object:
    """An answer without the fields that change whenever a row is saved (a move must touch them)."""
    if isinstance(value, dict):
        return {key: _stable(item) for key, item in value.items() if key not in VOLATILE}
    if isinstance(value, list):
        return [_stable(item) for item in value]
    return value


def questions(ids: dict[str, str]) -> list[tuple[str, dict[str, object]]]:
    """Every public question that filters or sorts by place, asked around the cell, and the documents."""
    asked: list[tuple[str, dict[str, object]]] = []
    for lat, lon in GRID:
        asked += [
            ("/v1/resources", {"near": f"{lat},{lon}", "radius": 0.3, "unit": "km"}),
            ("/v1/resources", {"bbox": f"{lon - 0.0015},{lat - 0.0015},{lon + 0.0015},{lat + 0.0015}"}),
            ("/hsds/service_at_locations", {"latitude": lat, "longitude": lon, "radius": 300}),
        ]
    for lat, lon in GRID[::8]:
        asked += [
            ("/v1/resources", {"near": f"{lat},{lon}"}),
            ("/v1/resources", {"near": f"{lat},{lon}", "format": "geojson"}),
            ("/hsds/service_at_locations", {"latitude": lat, "longitude": lon}),
        ]
    for code in ("97201", "97209", "97205"):
        asked += [
            ("/v1/resources", {"zip": code}),
            ("/v1/resources", {"zip": code, "radius": 2}),
            ("/hsds/service_at_locations", {"postcode": code}),
            ("/hsds/service_at_locations", {"postcode": code, "proximity": 1500}),
        ]
    asked += [
        ("/v1/resources", {"category": "emergency-shelter"}),
        ("/v1/locations", {}),
        (f"/v1/locations/{ids['location']}", {}),
        (f"/v1/resources/{ids['resource']}", {}),
        (f"/v1/services/{ids['service']}", {}),
        ("/hsds/services", {"full": "true"}),
        ("/hsds/service_at_locations", {"full": "true"}),
        (f"/hsds/service_at_locations/{ids['resource']}", {}),
        (f"/hsds/services/{ids['service']}", {}),
        ("/hsds/organizations", {"full": "true", "full_service": "true"}),
        ("/hsds/service_at_locations", {"format": "ndjson", "full": "true"}),
    ]
    return asked


async def answers(client, asked: list[tuple[str, dict[str, object]]]) -> list[object]:
    """What an anonymous caller gets for each question."""
    got = []
    for path, params in asked:
        response = await client.get(path, params=params)
        assert response.status_code == 200, (path, params, response.text)
        if params.get("format") == "ndjson":
            got.append([_stable(json.loads(line)) for line in response.text.splitlines()])
        else:
            got.append(_stable(response.json()))
    return got


async def make_safe_house(client) -> dict:
    """A confidential shelter at the first exact place, with its public neighbours."""
    body = resource_body(
        None, None, name="Safe House", categories=("emergency-shelter",), location={"confidential": True, **PLACES[0]}
    )
    response = await client.post("/v1/resources", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    for n, (lat, lon, code) in enumerate(NEIGHBOURS):
        neighbour = resource_body(
            lat,
            lon,
            name=f"Neighbour {n}",
            categories=("emergency-shelter",),
            location={
                "address": {
                    "address_1": f"{n} Open St",
                    "city": "Portland",
                    "state_province": "OR",
                    "postal_code": code,
                    "country": "US",
                }
            },
        )
        assert (await client.post("/v1/resources", json=neighbour, headers=ADMIN)).status_code == 201
    return response.json()


def assert_hidden(body: bytes, where: str) -> None:
    text = body.decode(errors="replace")
    for secret in SECRETS:
        assert secret not in text, f"{where} leaks {secret!r}"


async def test_public_answers_cannot_locate_a_confidential_place_within_its_cell(client):
    made = await make_safe_house(client)
    assert made["location"]["approximate"] is True and made["location"]["address"] is None
    assert (made["location"]["latitude"], made["location"]["longitude"]) == CELL
    ids = {"resource": made["id"], "service": made["service"]["id"], "location": made["location"]["id"]}
    asked = questions(ids)
    first = await answers(client, asked)
    exported = (await client.get("/v1/exports/hsds.zip")).content
    with zipfile.ZipFile(io.BytesIO(exported)) as archive:
        for name in archive.namelist():
            assert_hidden(archive.read(name), f"export {name}")

    moved = await client.patch(f"/v1/locations/{ids['location']}", json=PLACES[1], headers=ANY_VERSION)
    assert moved.status_code == 200, moved.text
    assert (moved.json()["latitude"], moved.json()["address"]["postal_code"]) == (PLACES[1]["latitude"], "97209")
    second = await answers(client, asked)
    for (path, params), before, after in zip(asked, first, second, strict=True):
        assert before == after, f"{path} {params} answers differently once the shelter moved inside its cell"
    # The questions do see the shelter: its public cell is where the answers place it.
    near_cell = first[
        asked.index(("/hsds/service_at_locations", {"latitude": CELL[0], "longitude": CELL[1], "radius": 300}))
    ]
    assert made["id"] in [item["id"] for item in near_cell["contents"]]


async def test_distances_and_order_come_from_the_public_cell(client):
    made = await make_safe_house(client)
    exact = f"{PLACES[0]['latitude']},{PLACES[0]['longitude']}"
    page = (await client.get("/v1/resources", params={"near": exact})).json()
    safe = next(item for item in page["items"] if item["service"]["name"] == "Safe House")
    assert safe["distance_m"] > 300
    assert page["items"][0]["service"]["name"] == "Neighbour 0"
    within = (await client.get("/v1/resources", params={"near": exact, "radius": 0.1})).json()
    assert [item["service"]["name"] for item in within["items"]] == ["Neighbour 0"]
    hsds = (
        await client.get(
            "/hsds/service_at_locations",
            params={"latitude": PLACES[0]["latitude"], "longitude": PLACES[0]["longitude"], "radius": 200},
        )
    ).json()
    assert made["id"] not in [item["id"] for item in hsds["contents"]] and hsds["total_items"] == 1
    hidden_zip = (await client.get("/hsds/service_at_locations", params={"postcode": "97201"})).json()
    assert made["id"] not in [item["id"] for item in hidden_zip["contents"]]


async def test_admins_see_the_real_place_and_can_change_the_flag(client):
    made = await make_safe_house(client)
    location = made["location"]["id"]
    exact = (await client.get(f"/v1/locations/{location}", headers=ADMIN)).json()
    assert (exact["latitude"], exact["longitude"], exact["address"]["address_1"]) == (
        PLACES[0]["latitude"],
        PLACES[0]["longitude"],
        "1234 Hidden Lane",
    )
    assert exact["confidential"] is True and exact["approximate"] is False
    public = (await client.get(f"/v1/locations/{location}")).json()
    assert public["address"] is None and public["approximate"] is True and public["confidential"] is True
    wrong_key = await client.get(f"/v1/locations/{location}", headers={"Authorization": "Bearer nope"})
    assert wrong_key.status_code == 401 and "address" not in wrong_key.text
    opened = await client.patch(f"/v1/locations/{location}", json={"confidential": False}, headers=ANY_VERSION)
    assert opened.status_code == 200
    item = (await client.get(f"/v1/resources/{made['id']}")).json()
    assert item["location"]["address"]["address_1"] == "1234 Hidden Lane" and item["location"]["approximate"] is False
    hsds = (
        await client.get(
            "/hsds/service_at_locations",
            params={"latitude": PLACES[0]["latitude"], "longitude": PLACES[0]["longitude"], "radius": 200},
        )
    ).json()
    assert made["id"] in [entry["id"] for entry in hsds["contents"]]


async def test_history_shows_the_real_place_only_to_the_confidential_scope(client):
    made = await make_safe_house(client)
    location = made["location"]["id"]
    moved = await client.patch(f"/v1/locations/{location}", json=PLACES[1], headers=ANY_VERSION)
    assert moved.status_code == 200
    writer = bearer((await make_key(client, scopes=["write"]))["key"])
    trusted = bearer((await make_key(client, scopes=["write", "confidential"]))["key"])
    withheld = await client.get(f"/v1/locations/{location}/history", headers=writer)
    assert withheld.status_code == 200
    assert_hidden(withheld.content, "history for a write key")
    assert "Quiet Court" not in withheld.text and "45.524102" not in withheld.text
    entries = withheld.json()["items"]
    assert all(entry["withheld"] for entry in entries)
    assert entries[0]["changes"]["latitude"] == [45.52, 45.52] and entries[0]["changes"]["address_1"] == [None, None]
    full = (await client.get(f"/v1/locations/{location}/history", headers=trusted)).json()["items"]
    assert full[0]["changes"]["address_1"] == ["1234 Hidden Lane", "77 Quiet Court"] and not full[0]["withheld"]
    # A public neighbour's history is not withheld from the same key.
    page = (await client.get("/v1/locations", params={"limit": 100})).json()["items"]
    public = next(item["id"] for item in page if not item["confidential"])
    assert not (await client.get(f"/v1/locations/{public}/history", headers=writer)).json()["items"][0]["withheld"]


async def test_making_a_confidential_place_public_needs_the_confidential_scope(client):
    made = await make_safe_house(client)
    location = made["location"]["id"]
    writer = bearer((await make_key(client, scopes=["write"]))["key"], **{"If-Match": "*"})
    opened = await client.patch(f"/v1/locations/{location}", json={"confidential": False}, headers=writer)
    assert opened.status_code == 403 and "confidential" in opened.json()["detail"]
    # Going back to a version from before the flag is the same thing.
    flagged = await client.post(
        "/v1/locations",
        json={"name": "Later hidden", "latitude": 45.6, "longitude": -122.5, "address": PLACES[0]["address"]},
        headers=ADMIN,
    )
    later = flagged.json()["id"]
    assert (
        await client.patch(f"/v1/locations/{later}", json={"confidential": True}, headers=writer)
    ).status_code == 200
    history = (await client.get(f"/v1/locations/{later}/history", headers=ADMIN)).json()["items"]
    reverted = await client.post(
        f"/v1/locations/{later}/revert", json={"version": history[-1]["version"]}, headers=writer
    )
    assert reverted.status_code == 403
    assert (await client.get(f"/v1/locations/{later}")).json()["address"] is None
    trusted = bearer((await make_key(client, scopes=["write", "confidential"]))["key"], **{"If-Match": "*"})
    assert (
        await client.patch(f"/v1/locations/{location}", json={"confidential": False}, headers=trusted)
    ).status_code == 200
