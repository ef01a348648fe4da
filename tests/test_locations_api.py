"""/v1/locations: CRUD, derived time zones, moving a location."""

from tests.conftest import ADMIN, ANY_VERSION


async def test_create_derives_the_time_zone_offline(client):
    for (latitude, longitude), zone in [
        ((13.4443, 144.7937), "Pacific/Guam"),
        ((51.88, -176.658), "America/Adak"),
        ((-18.1416, 178.4419), "Pacific/Fiji"),
        ((61.2181, -149.9003), "America/Anchorage"),
    ]:
        response = await client.post(
            "/v1/locations", json={"latitude": latitude, "longitude": longitude}, headers=ADMIN
        )
        assert response.status_code == 201
        assert response.json()["timezone"] == zone


async def test_explicit_time_zone_wins_and_virtual_locations_need_no_point(client):
    body = {"name": "Hotline", "location_type": "virtual", "timezone": "America/Chicago"}
    location = (await client.post("/v1/locations", json=body, headers=ADMIN)).json()
    assert (location["latitude"], location["timezone"], location["location_type"]) == (
        None,
        "America/Chicago",
        "virtual",
    )


async def test_moving_a_location_re_derives_its_time_zone_and_address_replaces(client):
    body = {
        "name": "Depot",
        "latitude": 45.52,
        "longitude": -122.68,
        "address": {"address_1": "1 Main St", "city": "Portland", "postal_code": "97201"},
    }
    location = (await client.post("/v1/locations", json=body, headers=ADMIN)).json()
    assert location["timezone"] == "America/Los_Angeles"
    moved = (
        await client.patch(
            f"/v1/locations/{location['id']}", json={"latitude": 40.71, "longitude": -74.0}, headers=ANY_VERSION
        )
    ).json()
    assert moved["timezone"] == "America/New_York"
    assert moved["address"]["city"] == "Portland"  # untouched until given
    readdressed = (
        await client.patch(
            f"/v1/locations/{location['id']}",
            json={"address": {"address_1": "2 Broadway", "city": "New York"}},
            headers=ANY_VERSION,
        )
    ).json()
    assert readdressed["address"] == {
        "address_1": "2 Broadway",
        "address_2": None,
        "city": "New York",
        "region": None,
        "state_province": None,
        "postal_code": None,
        "country": None,
    }
    cleared = (
        await client.patch(
            f"/v1/locations/{location['id']}",
            json={"address": None, "latitude": None, "longitude": None},
            headers=ANY_VERSION,
        )
    ).json()
    assert cleared["address"] is None and cleared["latitude"] is None


async def test_moving_a_location_moves_its_search_results(client):
    from tests.factories import ISSUE_BODY

    resource = (await client.post("/v1/resources", json=ISSUE_BODY, headers=ADMIN)).json()
    await client.patch(
        f"/v1/locations/{resource['location']['id']}",
        json={"latitude": 21.3069, "longitude": -157.8583},
        headers=ANY_VERSION,
    )
    page = (await client.get("/v1/resources", params={"near": "21.3069,-157.8583", "radius": 1})).json()
    assert [item["id"] for item in page["items"]] == [resource["id"]]
    assert page["items"][0]["distance_m"] == 0
    assert page["items"][0]["location"]["timezone"] == "Pacific/Honolulu"


async def test_bad_coordinates_and_references(client):
    for body, field in [
        ({"latitude": 91, "longitude": 0}, "latitude"),
        ({"latitude": 0, "longitude": 181}, "longitude"),
        ({"latitude": 0}, "body"),
        ({"organization_id": "6f1d8a62-3c1e-4f0b-9a57-2f3d9c0b7e11"}, "organization_id"),
        ({"location_type": "boat"}, "location_type"),
    ]:
        response = await client.post("/v1/locations", json=body, headers=ADMIN)
        assert response.status_code == 422, body
        assert response.json()["invalid_params"][0]["name"] == field, response.json()


async def test_delete_hides_the_location_and_its_resources_and_list_filters_by_organization(client):
    from tests.factories import ISSUE_BODY

    resource = (await client.post("/v1/resources", json=ISSUE_BODY, headers=ADMIN)).json()
    organization_id = resource["organization"]["id"]
    listed = (await client.get("/v1/locations", params={"organization_id": organization_id})).json()
    assert [item["id"] for item in listed["items"]] == [resource["location"]["id"]]
    assert listed["items"][0]["service_ids"] == [resource["service"]["id"]]
    assert (await client.delete(f"/v1/locations/{resource['location']['id']}", headers=ANY_VERSION)).status_code == 204
    assert (await client.get(f"/v1/resources/{resource['id']}")).status_code == 404
    gone = await client.get(f"/v1/locations/{resource['location']['id']}")
    assert gone.status_code == 404 and "was deleted" in gone.json()["detail"]
    assert (await client.get("/v1/locations", params={"organization_id": organization_id})).json()["items"] == []
    # A deletion is soft: the link stays, so a restore brings the resource back.
    assert (await client.get(f"/v1/services/{resource['service']['id']}")).json()["location_ids"] == [
        resource["location"]["id"]
    ]
