"""Maps: GeoJSON output and viewport (bbox) searches, including across the antimeridian."""

from tests.conftest import ADMIN
from tests.factories import resource_body

PLACES = {
    "Suva": (-18.1416, 178.4419),
    "Taveuni": (-16.8, -179.97),
    "Apia": (-13.8333, -171.7667),
    "Portland": (45.5231, -122.6765),
}


async def make(client) -> None:
    for name, (lat, lon) in PLACES.items():
        assert (
            await client.post("/v1/resources", json=resource_body(lat, lon, name=name), headers=ADMIN)
        ).status_code == 201


async def names(client, **params) -> list[str]:
    response = await client.get("/v1/resources", params=params)
    assert response.status_code == 200, response.text
    return sorted(item["service"]["name"] for item in response.json()["items"])


async def test_a_viewport_that_crosses_the_antimeridian(client):
    await make(client)
    assert await names(client, bbox="178,-20,-179,-15") == ["Suva", "Taveuni"]
    assert await names(client, bbox="-180,-20,-170,-10") == ["Apia", "Taveuni"]
    assert await names(client, bbox="-123,45,-122,46") == ["Portland"]
    assert await names(client, bbox="-180,-90,180,90") == sorted(PLACES)
    assert await names(client, bbox="170,-90,-170,90", near="-18,178.5") == ["Apia", "Suva", "Taveuni"]
    assert await names(client, bbox="170,-90,-175,90", near="-18,178.5") == ["Suva", "Taveuni"]


async def test_geojson_feature_collection(client):
    await make(client)
    for response in (
        await client.get("/v1/resources", params={"format": "geojson", "bbox": "178,-20,-179,-15"}),
        await client.get(
            "/v1/resources", params={"bbox": "178,-20,-179,-15"}, headers={"Accept": "application/geo+json"}
        ),
    ):
        assert response.headers["content-type"].startswith("application/geo+json")
        body = response.json()
        assert body["type"] == "FeatureCollection"
        suva = next(f for f in body["features"] if f["properties"]["service"]["name"] == "Suva")
        assert suva["geometry"] == {"type": "Point", "coordinates": [178.4419, -18.1416]}
        assert suva["id"] == suva["properties"]["id"]
    plain = await client.get("/v1/resources", params={"bbox": "178,-20,-179,-15"})
    assert plain.headers["content-type"].startswith("application/json") and "items" in plain.json()


async def test_bad_boxes(client):
    for bbox in ("1,2,3", "a,b,c,d", "-200,0,10,10", "0,10,10,0", "0,-95,10,10"):
        response = await client.get("/v1/resources", params={"bbox": bbox})
        assert response.status_code == 422, bbox
        assert response.json()["invalid_params"][0]["name"] == "bbox"
    assert (await client.get("/v1/resources", params={"format": "xml"})).status_code in (400, 422)
