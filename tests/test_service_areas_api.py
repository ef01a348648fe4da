"""Service areas: polygons with holes, postal codes, circles, and areas split at the antimeridian."""

import itertools
import random

import pytest
from shapely.geometry import Point, shape

from tests.conftest import ADMIN, ANY_VERSION
from tests.factories import resource_body

# A square county around Portland with a square hole (a neighbourhood another program covers).
COUNTY = {
    "type": "Polygon",
    "coordinates": [
        [[-123.0, 45.3], [-122.3, 45.3], [-122.3, 45.8], [-123.0, 45.8], [-123.0, 45.3]],
        [[-122.70, 45.50], [-122.65, 45.50], [-122.65, 45.55], [-122.70, 45.55], [-122.70, 45.50]],
    ],
}
# Fiji's Lau group straddles 180°: RFC 7946 splits it into two polygons.
FIJI = {
    "type": "MultiPolygon",
    "coordinates": [
        [[[177.0, -19.0], [180.0, -19.0], [180.0, -16.0], [177.0, -16.0], [177.0, -19.0]]],
        [[[-180.0, -19.0], [-178.0, -19.0], [-178.0, -16.0], [-180.0, -16.0], [-180.0, -19.0]]],
    ],
}


async def make(client, name: str, latitude: float | None, longitude: float | None, areas: list[dict]) -> dict:
    body = resource_body(
        latitude,
        longitude,
        name=name,
        service_areas=areas,
        location={} if latitude is not None else {"location_type": "virtual"},
    )
    response = await client.post("/v1/resources", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return response.json()


async def search(client, **params) -> list[tuple[str, str | None, bool]]:
    response = await client.get("/v1/resources", params=params)
    assert response.status_code == 200, response.text
    return [(item["service"]["name"], item["match"], item["distance_m"] is None) for item in response.json()["items"]]


async def test_areas_cover_points_alongside_nearby_places(client):
    await make(client, "County Court Buddies", None, None, [{"name": "The county", "extent": COUNTY}])
    await make(
        client,
        "Downtown Van",
        45.52,
        -122.68,
        [{"center": {"latitude": 45.52, "longitude": -122.68}, "radius_m": 3000}],
    )
    await make(client, "Clinic", 45.45, -122.60, [])
    inside = await search(client, near="45.40,-122.90")  # in the county, far from the van
    assert inside[0] == ("County Court Buddies", "serves_area", True)
    assert ("Clinic", "nearby", False) in inside and ("Downtown Van", "nearby", False) in inside
    in_hole = await search(client, near="45.525,-122.675")  # the hole; the van's circle covers it
    assert ("County Court Buddies", "serves_area", True) not in in_hole
    assert in_hole[0] == ("Downtown Van", "serves_area", True)
    outside = await search(client, near="47.6,-122.3")
    assert [match for _, match, _ in outside] == ["nearby", "nearby"]  # the virtual hotline has no point
    # Paging one at a time walks areas first, then nearby places, without repeats.
    seen, cursor = [], None
    while True:
        params = {"near": "45.40,-122.90", "limit": 1, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/v1/resources", params=params)).json()
        seen += [item["service"]["name"] for item in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == [name for name, _, _ in inside]


@pytest.mark.parametrize(
    "near, served",
    [
        ("-17.5,179.5", True),
        ("-17.5,-179.0", True),
        ("-17.5,180", True),
        ("-17.5,-180", True),
        ("-17.5,176.0", False),
        ("-20.0,179.5", False),
    ],
)
async def test_an_area_split_at_the_antimeridian(client, near, served):
    await make(client, "Lau Ferry Outreach", None, None, [{"extent": FIJI}])
    assert (("Lau Ferry Outreach", "serves_area", True) in await search(client, near=near)) is served


async def test_circles_across_the_antimeridian_and_postal_codes(client):
    await make(
        client,
        "Taveuni Nurse",
        -16.8,
        179.97,
        [{"center": {"latitude": -16.8, "longitude": 179.97}, "radius_m": 20_000}],
    )
    await make(client, "Portland Rides", None, None, [{"postal_codes": ["97201", "97205"]}])
    assert ("Taveuni Nurse", "serves_area", True) in await search(client, near="-16.8,-179.9")
    assert ("Taveuni Nurse", "serves_area", True) not in await search(client, near="-16.8,-179.5")
    assert ("Portland Rides", "serves_area", True) in await search(client, zip="97201")
    assert ("Portland Rides", "serves_area", True) not in await search(client, zip="97202")


async def test_areas_are_validated_and_editable(client):
    made = await make(client, "Van", 45.52, -122.68, [{"postal_codes": ["97201"]}])
    service = made["service"]["id"]
    stored = (await client.get(f"/v1/services/{service}")).json()["service_areas"]
    assert stored[0]["postal_codes"] == ["97201"] and stored[0]["extent"] is None
    bow_tie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    for area, reason in [
        ({"extent": {"type": "Point", "coordinates": [0, 0]}}, "Polygon"),
        ({"extent": bow_tie}, "not a valid polygon"),
        (
            {"extent": {"type": "Polygon", "coordinates": [[[190, 0], [191, 1], [190, 1], [190, 0]]]}},
            "within -180..180",
        ),
        ({"extent": {"type": "Polygon", "coordinates": "nope"}}, "not valid GeoJSON"),
    ]:
        response = await client.patch(f"/v1/services/{service}", json={"service_areas": [area]}, headers=ANY_VERSION)
        assert response.status_code == 422, area
        problem = response.json()["invalid_params"][0]
        assert problem["name"] == "service_areas[0].extent" and reason in problem["reason"]
    both = await client.patch(
        f"/v1/services/{service}",
        headers=ANY_VERSION,
        json={"service_areas": [{"postal_codes": ["1"], "center": {"latitude": 0, "longitude": 0}, "radius_m": 5}]},
    )
    assert both.status_code == 422
    replaced = await client.patch(
        f"/v1/services/{service}", json={"service_areas": [{"extent": COUNTY}]}, headers=ANY_VERSION
    )
    assert replaced.status_code == 200 and replaced.json()["service_areas"][0]["extent"] == COUNTY
    assert ("Van", "serves_area", True) in await search(client, near="45.40,-122.90")


# A concave shape with two holes, one of them touching nothing, and a second part.
COMB = {
    "type": "MultiPolygon",
    "coordinates": [
        [
            [
                [10.0, 0.0],
                [14.0, 0.0],
                [14.0, 4.0],
                [13.0, 4.0],
                [13.0, 1.0],
                [11.0, 1.0],
                [11.0, 4.0],
                [10.0, 4.0],
                [10.0, 0.0],
            ],
            [[10.2, 0.2], [10.8, 0.2], [10.8, 0.8], [10.2, 0.8], [10.2, 0.2]],
            [[13.2, 2.0], [13.8, 2.0], [13.5, 3.5], [13.2, 2.0]],
        ],
        [[[15.0, 0.0], [16.0, 2.0], [15.0, 4.0], [15.0, 0.0]]],
    ],
}


async def test_the_database_covers_points_as_shapely_does(client, conn):
    """serving_services()'s polygon test against shapely's covers() on random points, edges and
    vertices included (areas are read with their boundaries inside, holes' boundaries too)."""
    made = []
    for name, extent in (("county", COUNTY), ("fiji", FIJI), ("comb", COMB)):
        made.append((await make(client, name, None, None, [{"extent": extent}]), shape(extent)))
    rng = random.Random(7)
    checked = 0
    for resource, geometry in made:
        area_id = await conn.fetchval("SELECT id FROM service_areas WHERE service_id = $1", resource["service"]["id"])
        west, south, east, north = geometry.bounds
        points = [(rng.uniform(south - 0.2, north + 0.2), rng.uniform(west - 0.2, east + 0.2)) for _ in range(400)]
        # Vertices and midpoints of edges lie on boundaries.
        rings = [
            ring
            for polygon in getattr(geometry, "geoms", [geometry])
            for ring in [polygon.exterior, *polygon.interiors]
        ]
        for ring in rings:
            coords = list(ring.coords)
            points += [(lat, lon) for lon, lat in coords]
            points += [((a[1] + b[1]) / 2, (a[0] + b[0]) / 2) for a, b in itertools.pairwise(coords)]
        for lat, lon in points:
            expected = any(geometry.covers(Point(x, lat)) for x in ([lon, -lon] if abs(lon) == 180 else [lon]))
            found = await conn.fetchval("SELECT area_covers($1, $2, $3)", area_id, lat, lon)
            assert found == expected, (resource["service"]["name"], lat, lon)
            checked += 1
    assert checked > 1_200
