"""Maps: GeoJSON output and viewport (bbox) searches, including across the antimeridian."""

from geopy.distance import geodesic

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


async def test_the_earth_box_of_a_viewport_holds_every_point_in_it(conn):
    # The GiST prefilter of a viewport search: every point of the viewport, as ll_to_earth() places it, lies in
    # its box; the edges, the equator, the poles, longitudes 0/90/180 and the antimeridian included.
    from service.search.geo import parse_bbox

    viewports = [
        "-96.7,32.7,-96.5,32.9",
        "178,-20,-179,-15",
        "-180,-20,-170,-10",
        "-10,-5,10,5",
        "80,60,100,90",
        "170,-90,-170,-80",
        "-0.001,51.4,0.001,51.6",
        "-120,10,-30,60",
    ]
    for raw in viewports:
        box = parse_bbox(raw)
        assert box.earth is not None, raw
        span = box.max_lon - box.min_lon if box.min_lon <= box.max_lon else box.max_lon + 360 - box.min_lon
        outside = await conn.fetchval(
            """
            SELECT count(*)
              FROM generate_series(0, 40) AS i, generate_series(0, 40) AS j,
                   LATERAL (SELECT $3::float8 + ($4::float8 - $3::float8) * i / 40.0 AS lat,
                                   $5::float8 + $6::float8 * j / 40.0 AS lon) AS q,
                   LATERAL (SELECT q.lat, CASE WHEN q.lon > 180 THEN q.lon - 360 ELSE q.lon END AS lon) AS p
             WHERE NOT cube($1::float8[], $2::float8[]) @> ll_to_earth(p.lat, p.lon)
            """,
            list(box.earth[0]),
            list(box.earth[1]),
            box.min_lat,
            box.max_lat,
            box.min_lon,
            span,
        )
        assert outside == 0, raw
    # And it is tight: a small viewport's box is far smaller than the circle around it (the prefilter before it:
    # the farthest corner or edge's middle from the centre, 1% and a metre more).
    small = parse_bbox("-96.7,32.7,-96.5,32.9")
    assert small.earth is not None and small.centre is not None
    points = [(lat, lon) for lat in (32.7, 32.9, small.centre[0]) for lon in (-96.7, -96.5, small.centre[1])]
    radius_m = max(geodesic(small.centre, point).meters for point in points) * 1.01 + 1
    sides = [high - low for low, high in zip(small.earth[0], small.earth[1], strict=True)]
    assert max(sides) < radius_m * 1.5
