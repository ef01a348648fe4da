"""Nothing a client sends reaches a 500: hostile values for every search, HSDS and issue 4 input."""

import random

from tests.conftest import ADMIN, ANY_VERSION
from tests.factories import resource_body

WEIRD = [
    "",
    " ",
    "'",
    '"',
    "\\",
    "%",
    "%00",
    "\x00",
    "🙂",
    "-1",
    "0",
    "1e309",
    "nan",
    "inf",
    "-inf",
    "999999999999",
    "a" * 5000,
    "1,2,3,4",
    "-180,-90,180,90",
    "170,-10,-170,10",
    "2026-13-45",
    "2026-11-27T25:00:00Z",
    "24h",
    "0s",
    "99999999d",
    "bed",
    "BED",
    "no-id-required,",
    ",,,",
    "null",
    "[]",
    "{}",
    "'; DROP TABLE x; --",
    "naloxone & | ! :* <->",
    "(a",
    '"unterminated',
    "-",
    "or",
    "-naloxone",
    "a:*",
    "ÄÖÜ ß",
]
PARAMS = [
    "q",
    "bbox",
    "at",
    "open_at",
    "has_capacity",
    "capacity_max_age",
    "attribute",
    "age",
    "cost",
    "language",
    "gender",
    "format",
    "near",
    "zip",
    "radius",
    "unit",
    "category",
    "status",
    "limit",
    "cursor",
]


async def test_hostile_values_never_cause_a_server_error(seeded_client):
    rng = random.Random(5)
    for _ in range(600):
        params = {p: rng.choice(WEIRD) for p in rng.sample(PARAMS, rng.randint(1, 4))}
        if rng.random() < 0.5:
            params["near"] = "39.29,-76.61"
        r = await seeded_client.get("/v1/resources", params=params)
        assert r.status_code < 500, (params, r.text[:300])
    hsds = [
        "search",
        "page",
        "per_page",
        "format",
        "taxonomy_term_id",
        "taxonomy_id",
        "organization_id",
        "modified_after",
        "minimal",
        "full",
        "postcode",
        "proximity",
        "latitude",
        "longitude",
        "radius",
        "top_only",
        "parent_id",
        "full_service",
    ]
    for path in [
        "/hsds/services",
        "/hsds/service_at_locations",
        "/hsds/organizations",
        "/hsds/taxonomy_terms",
        "/hsds/taxonomies",
    ]:
        for _ in range(80):
            params = {p: rng.choice(WEIRD) for p in rng.sample(hsds, rng.randint(1, 4))}
            r = await seeded_client.get(path, params=params)
            assert r.status_code < 500, (path, params, r.text[:300])
    made = (await seeded_client.post("/v1/resources", json=resource_body(45.5, -122.6), headers=ADMIN)).json()
    sid = made["service"]["id"]
    bodies = [
        {"service_areas": [{"extent": e}]}
        for e in [
            {"type": "Polygon", "coordinates": [[[0, 0]]]},
            {"type": "Polygon", "coordinates": []},
            {"type": "Polygon", "coordinates": [[["a", "b"], [1, 1], [0, 1], [0, 0]]]},
            {"type": "MultiPolygon", "coordinates": [[[[0, 0], [1e308, 1], [0, 1], [0, 0]]]]},
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 1], [0, 0]]], "extra": 1},
            {"type": "Polygon"},
            {"coordinates": 5},
            {"type": "GeometryCollection", "geometries": []},
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]], [[5, 5], [6, 5], [6, 6], [5, 5]]]},
        ]
    ] + [
        {"service_areas": [{"center": {"latitude": 89.99, "longitude": 179.9}, "radius_m": 19_000_000}]},
        {"service_areas": [{"postal_codes": [""]}]},
        {"service_areas": [{"center": {"latitude": 0, "longitude": 0}}]},
        {"attributes": ["x" * 100]},
        {"minimum_age": -1},
        {"cost": ["free", "free"]},
        {"genders": ["women"] * 10},
    ]
    for body in bodies:
        r = await seeded_client.patch(f"/v1/services/{sid}", json=body, headers=ANY_VERSION)
        assert r.status_code < 500, (body, r.text[:300])
    for body in [{"unit": "bed", "available": 10**12}, {"unit": "b" * 65, "available": 1}, {"unit": "bed"}, [], "x"]:
        r = await seeded_client.put(f"/v1/services/{sid}/capacity", json=body, headers=ADMIN)
        assert r.status_code < 500, (body, r.text[:300])
    for body in [
        [{"date": "2026-12-25", "opens_at": "24:00", "closes_at": "10:00"}],
        [{"date": "0001-01-01"}],
        [{"date": "9999-12-31", "opens_at": "23:59", "closes_at": "00:00"}],
        [{}] * 3,
        [{"date": "2026-12-25"}] * 501,
    ]:
        r = await seeded_client.put(f"/v1/services/{sid}/exceptions", json=body, headers=ADMIN)
        assert r.status_code < 500, (body, r.text[:300])
    r = await seeded_client.get("/v1/resources", params={"near": "39.29,-76.61"})
    assert r.status_code == 200
