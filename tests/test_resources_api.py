"""GET/POST /v1/resources over HTTP: where, what, when, paging."""

import uuid

import pytest
from geopy.distance import geodesic
from litestar.testing import AsyncTestClient

from service.app import create_app
from tests.conftest import ADMIN, make_settings
from tests.factories import ISSUE_BODY, create, resource_body, search


async def test_issue_example_body_creates_and_reads_back(client):
    created = await create(client, ISSUE_BODY)
    assert created["service"]["name"] == "Naloxone distribution"
    assert created["service"]["categories"] == ["naloxone"]
    assert created["organization"]["name"] == "Harbor Clinic"
    assert created["location"]["timezone"] == "America/Los_Angeles"  # derived offline
    assert created["location"]["address"]["postal_code"] == "97201"
    assert created["phones"][0]["number"] == "503-555-0100"
    assert created["schedules"][0] | {"id": None} == {
        "id": None,
        "weekday": 1,
        "opens_at": "09:00",
        "closes_at": "17:00",
        "timezone": None,
        "valid_from": None,
        "valid_to": None,
        "description": None,
    }
    assert created["distance_m"] is None
    fetched = await client.get(f"/v1/resources/{created['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == created | {"open_now": fetched.json()["open_now"]}


async def test_create_can_reuse_an_organization_and_a_location(client):
    first = await create(client, ISSUE_BODY)
    body = {
        "organization_id": first["organization"]["id"],
        "location_id": first["location"]["id"],
        "service": {"name": "Syringe services", "categories": ["syringe-services"]},
    }
    second = await create(client, body)
    assert second["organization"]["id"] == first["organization"]["id"]
    assert second["location"]["id"] == first["location"]["id"]
    page = await search(client, near="45.5231,-122.6765")
    assert sorted(item["service"]["name"] for item in page["items"]) == ["Naloxone distribution", "Syringe services"]


async def test_create_with_missing_references_is_422_and_leaves_nothing(client):
    body = {
        "organization_id": "6f1d8a62-3c1e-4f0b-9a57-2f3d9c0b7e11",
        "location": {"latitude": 1, "longitude": 1},
        "service": {"name": "X", "categories": ["rides"]},
    }
    response = await client.post("/v1/resources", json=body, headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["invalid_params"][0]["name"] == "organization_id"
    org = (await client.post("/v1/organizations", json={"name": "Real"}, headers=ADMIN)).json()
    body = {
        "organization_id": org["id"],
        "location_id": "6f1d8a62-3c1e-4f0b-9a57-2f3d9c0b7e11",
        "service": {"name": "X", "categories": ["rides"]},
    }
    response = await client.post("/v1/resources", json=body, headers=ADMIN)
    assert response.status_code == 422
    assert (await client.get("/v1/services")).json()["items"] == []  # the service insert was rolled back


async def test_create_rejects_unknown_categories_and_time_zones(client):
    response = await client.post("/v1/resources", json=resource_body(1, 1, categories=("narcan",)), headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["invalid_params"][0]["name"] == "service.categories"
    body = resource_body(1, 1, location={"timezone": "Mars/Olympus"})
    response = await client.post("/v1/resources", json=body, headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["invalid_params"][0]["name"] == "timezone"


async def test_near_search_is_nearest_first_with_geodesic_distances(client):
    origin = (45.5231, -122.6765)
    points = [(45.53, -122.68), (45.60, -122.70), (45.40, -122.50), (44.05, -123.09), (47.61, -122.33)]
    for index, point in enumerate(points):
        await create(client, resource_body(*point, name=f"Point {index}"))
    page = await search(client, near=f"{origin[0]},{origin[1]}")
    distances = [item["distance_m"] for item in page["items"]]
    assert distances == sorted(distances)
    for item in page["items"]:
        location = item["location"]
        assert item["distance_m"] == pytest.approx(
            geodesic(origin, (location["latitude"], location["longitude"])).m, rel=0.005
        )
    assert page["origin"] == {"latitude": origin[0], "longitude": origin[1], "source": "near", "label": None}
    assert page["next_cursor"] is None


async def test_radius_in_miles_and_kilometres(client):
    await create(client, resource_body(45.5231, -122.6765, name="Here"))
    await create(client, resource_body(45.5231 + 0.09, -122.6765, name="Ten km north"))  # ~10.0 km
    names = lambda page: [item["service"]["name"] for item in page["items"]]  # noqa: E731
    assert names(await search(client, near="45.5231,-122.6765", radius=5)) == ["Here"]  # 5 mi = 8 km
    assert names(await search(client, near="45.5231,-122.6765", radius=7)) == ["Here", "Ten km north"]
    assert names(await search(client, near="45.5231,-122.6765", radius=9.9, unit="km")) == ["Here"]
    assert names(await search(client, near="45.5231,-122.6765", radius=10.1, unit="km")) == ["Here", "Ten km north"]
    assert names(await search(client, near="45.5231,-122.6765", radius=20000, unit="km")) == ["Here", "Ten km north"]


async def test_island_search_without_radius_reaches_the_mainland(client):
    await create(client, resource_body(45.5231, -122.6765, name="Portland"))
    page = await search(client, near="21.3069,-157.8583")  # Honolulu, nothing on the island
    assert [item["service"]["name"] for item in page["items"]] == ["Portland"]
    assert page["items"][0]["distance_m"] > 4_000_000


async def test_zip_search_uses_the_offline_centroid(client):
    await create(client, ISSUE_BODY)
    page = await search(client, zip="97201")
    assert page["origin"]["source"] == "zip"
    assert page["origin"]["label"] == "97201 Portland, OR"
    assert page["items"][0]["distance_m"] < 3_000
    page = await search(client, zip="99501-1234")  # ZIP+4 uses the 5-digit part; Anchorage is far away
    assert page["items"][0]["distance_m"] > 2_000_000


async def test_address_search_through_a_pluggable_geocoder(db_url):
    settings = make_settings(db_url, geocoder="tests.fake_geocoder:FakeGeocoder")
    async with AsyncTestClient(app=create_app(settings)) as client:
        await create(client, ISSUE_BODY)
        page = await search(client, address="1120 SW 5th Ave, Portland, OR")
        assert page["origin"]["source"] == "address"
        assert page["origin"]["label"].startswith("1120 SW 5th Ave")
        assert page["items"][0]["distance_m"] < 2_000
        missing = await client.get("/v1/resources", params={"address": "nowhere at all"})
        assert missing.status_code == 422
        assert missing.json()["invalid_params"][0]["name"] == "address"
        for broken in ("down", "slow"):
            response = await client.get("/v1/resources", params={"address": broken})
            assert response.status_code == 503
            assert response.headers["retry-after"]
            assert response.headers["content-type"] == "application/problem+json"


async def test_address_search_without_a_geocoder_says_how_to_enable_it(client):
    response = await client.get("/v1/resources", params={"address": "1 Main St"})
    assert response.status_code == 422
    assert "COMMONGROUND_GEOCODER" in response.json()["detail"]


async def test_without_location_results_are_by_name_without_distance(client):
    for name in ["Zeta rides", "Alpha shelter", "Mu legal aid"]:
        await create(client, resource_body(10, 10, name=name))
    page = await search(client)
    assert [item["service"]["name"] for item in page["items"]] == ["Alpha shelter", "Mu legal aid", "Zeta rides"]
    assert all(item["distance_m"] is None for item in page["items"])
    assert page["origin"] is None


async def test_category_filter_includes_children_of_a_parent(client):
    await create(client, resource_body(1, 1, name="Kits", categories=("naloxone",)))
    await create(client, resource_body(1, 1, name="Beds", categories=("emergency-shelter",)))
    await create(client, resource_body(1, 1, name="Both", categories=("emergency-shelter", "naloxone")))
    names = lambda page: sorted(item["service"]["name"] for item in page["items"])  # noqa: E731
    assert names(await search(client, category="harm-reduction")) == ["Both", "Kits"]
    assert names(await search(client, category="housing")) == ["Beds", "Both"]
    assert names(await search(client, category=["naloxone", "emergency-shelter"])) == ["Beds", "Both", "Kits"]
    assert names(await search(client, category="naloxone,emergency-shelter")) == ["Beds", "Both", "Kits"]
    assert names(await search(client, category="court-support")) == []


async def test_words_match_with_stems_and_without_accents(client):
    await create(client, resource_body(1, 1, name="Café Naloxone Window", description="Free kits every day"))
    await create(client, resource_body(1, 1, name="Legal clinic", description="Expungement help"))
    names = lambda page: [item["service"]["name"] for item in page["items"]]  # noqa: E731
    assert names(await search(client, q="cafe")) == ["Café Naloxone Window"]
    assert names(await search(client, q="kit")) == ["Café Naloxone Window"]
    assert names(await search(client, q="expungement", near="1,1")) == ["Legal clinic"]
    assert names(await search(client, q="spaceship")) == []
    assert names(await search(client, q="   ")) == ["Café Naloxone Window", "Legal clinic"]


async def test_status_defaults_to_active(client):
    await create(client, resource_body(1, 1, name="Open"))
    await create(client, resource_body(1, 1, name="Closed for now", status="temporarily closed"))
    await create(client, resource_body(1, 1, name="Gone", status="defunct"))
    names = lambda page: sorted(item["service"]["name"] for item in page["items"])  # noqa: E731
    assert names(await search(client, near="1,1")) == ["Open"]
    assert names(await search(client, status="temporarily closed")) == ["Closed for now"]
    assert names(await search(client, status=["active", "defunct"])) == ["Gone", "Open"]


async def test_paging_is_stable_with_ties_and_never_repeats_or_skips(client):
    for index in range(7):
        await create(client, resource_body(45.5, -122.6, name=f"Same spot {index}"))
    for index in range(6):
        await create(client, resource_body(45.5 + index * 0.01, -122.6, name=f"Spread {index}"))
    everything = await search(client, near="45.5,-122.6", limit=100)
    seen, cursor, pages = [], None, 0
    while True:
        params = {"near": "45.5,-122.6", "limit": 3} | ({"cursor": cursor} if cursor else {})
        page = await search(client, **params)
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 5
    assert seen == [item["id"] for item in everything["items"]]
    assert len(set(seen)) == 13


async def test_paging_by_name(client):
    for name in ["b", "a", "c", "a"]:
        await create(client, resource_body(1, 1, name=name))
    first = await search(client, limit=2)
    second = await search(client, limit=2, cursor=first["next_cursor"])
    names = [item["service"]["name"] for item in first["items"] + second["items"]]
    assert names == ["a", "a", "b", "c"]
    assert second["next_cursor"] is None


async def test_a_cursor_only_works_for_its_own_query(client):
    for index in range(3):
        await create(client, resource_body(1, 1, name=f"S{index}"))
    page = await search(client, near="1,1", limit=1)
    response = await client.get("/v1/resources", params={"near": "2,2", "limit": 1, "cursor": page["next_cursor"]})
    assert response.status_code == 422
    assert response.json()["invalid_params"][0]["name"] == "cursor"
    for bad in ["zzz", "eyJ4IjoxfQ", "W10", "!!!", "a" * 400]:
        response = await client.get("/v1/resources", params={"near": "1,1", "cursor": bad})
        assert response.status_code == 422, bad


async def test_get_unknown_resource_is_404(client):
    response = await client.get("/v1/resources/6f1d8a62-3c1e-4f0b-9a57-2f3d9c0b7e11")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert (await client.get("/v1/resources/not-a-uuid")).status_code in (404, 422)


async def test_count_within_a_radius_is_what_downloading_the_area_brings(client):
    for n in range(5):
        body = resource_body(45.5 + n * 0.05, -122.6, name=f"Place {n}")  # about 5.6 km apart
        assert (await client.post("/v1/resources", json=body, headers=ADMIN)).status_code == 201
    van = resource_body(
        46.5,
        -122.6,
        name="Van",
        service_areas=[{"center": {"latitude": 45.5, "longitude": -122.6}, "radius_m": 20_000}],
    )
    assert (await client.post("/v1/resources", json=van, headers=ADMIN)).status_code == 201, "van"
    counted = await client.get("/v1/resources/count", params={"near": "45.5,-122.6", "radius": 7, "unit": "mi"})
    assert counted.status_code == 200, counted.text
    assert counted.json()["nearby"] == 3 and counted.json()["serves_area"] == 1 and counted.json()["count"] == 4
    assert round(counted.json()["radius_m"]) == 11265 and counted.json()["origin"]["source"] == "near"
    pages, cursor = [], None
    while True:
        params = {
            "near": "45.5,-122.6",
            "radius": 7,
            "unit": "mi",
            "limit": 2,
            **({"cursor": cursor} if cursor else {}),
        }
        page = (await client.get("/v1/resources", params=params)).json()
        pages += page["items"]
        if not (cursor := page["next_cursor"]):
            break
    assert len(pages) == counted.json()["count"]
    refused = await client.get("/v1/resources/count", params={"near": "45.5,-122.6"})
    assert refused.status_code == 422 and "radius" in refused.text
    assert (await client.get("/v1/resources/count", params={"radius": 5})).status_code == 422


async def test_listing_keeps_only_what_belongs_to_the_given_ids(client):
    inside = await create(client, resource_body(45.52, -122.68, name="Inside"))
    second = await create(
        client,
        {
            "organization_id": inside["organization"]["id"],
            "service": {"name": "Same org", "categories": ["rides"]},
            "location": {
                "name": "Across town",
                "latitude": 45.55,
                "longitude": -122.60,
                "timezone": "America/Los_Angeles",
            },
        },
    )
    far = await create(client, resource_body(47.61, -122.33, name="Seattle"))
    near = "45.52,-122.68"

    async def names(*ids: str, **more: object) -> list[str]:
        page = await search(client, near=near, listing=",".join(ids), **more)
        return [item["service"]["name"] for item in page["items"]]

    assert await names(inside["service"]["id"]) == ["Inside"]
    assert await names(second["location"]["id"], far["service"]["id"]) == ["Same org", "Seattle"]
    assert await names(inside["organization"]["id"]) == ["Inside", "Same org"]
    # With a radius: what of them is in the area now, as a downloaded area asks after a change.
    assert await names(inside["organization"]["id"], far["location"]["id"], radius=10) == ["Inside", "Same org"]
    await client.patch(
        f"/v1/locations/{far['location']['id']}",
        json={"latitude": 45.53, "longitude": -122.67},
        headers={**ADMIN, "If-Match": "*"},
    )
    assert await names(far["location"]["id"], radius=10) == ["Seattle"]
    # Repeated pages and the other orders keep the filter.
    first = await search(client, near=near, listing=inside["organization"]["id"], limit=1)
    rest = await search(client, near=near, listing=inside["organization"]["id"], limit=1, cursor=first["next_cursor"])
    assert [p["items"][0]["service"]["name"] for p in (first, rest)] == ["Inside", "Same org"]
    by_name = await search(client, listing=f"{far['service']['id']},{second['service']['id']}")
    assert [item["service"]["name"] for item in by_name["items"]] == ["Same org", "Seattle"]
    assert (await search(client, near=near, listing="00000000-0000-0000-0000-000000000001"))["items"] == []
    for bad, reason in (("not-an-id", "is not the id"), (",".join(str(uuid.uuid4()) for _ in range(101)), "at most")):
        refused = await client.get("/v1/resources", params={"near": near, "listing": bad})
        assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
        (problem,) = refused.json()["invalid_params"]
        assert problem["name"] == "listing" and reason in problem["reason"], problem
