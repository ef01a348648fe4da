"""The contract's HTTP details: Allow on OPTIONS and 405, date-times that must look like date-times."""


async def test_options_and_405_list_every_method_of_the_path(client):
    for path, methods in [
        ("/v1/locations", "GET, OPTIONS, POST"),
        ("/v1/category-mappings", "DELETE, GET, OPTIONS, POST"),
        ("/v1/keys/00000000-0000-4000-8000-000000000000", "DELETE, GET, OPTIONS"),
    ]:
        options = await client.options(path)
        assert options.status_code == 204 and options.headers["allow"] == methods, (path, options.headers)
    refused = await client.put("/v1/locations")
    assert refused.status_code == 405 and refused.headers["allow"] == "GET, OPTIONS, POST"
    assert refused.headers["content-type"] == "application/problem+json"


async def test_date_time_parameters_must_be_written_as_date_times(client):
    for path, name in [
        ("/v1/resources?zip=97201&at=0.5", "at"),
        ("/v1/resources?zip=97201&open_at=12", "open_at"),
        ("/hsds/services?modified_after=1700000000", "modified_after"),
    ]:
        response = await client.get(path)
        assert response.status_code == 422 and response.json()["invalid_params"][0]["name"] == name, path
    assert (await client.get("/v1/resources?zip=97201&at=2026-11-27T23:30:00-08:00")).status_code == 200


async def test_body_values_must_have_the_declared_json_type(client):
    from tests.conftest import ADMIN

    for body, name in [
        ({"name": "x", "latitude": "45.5", "longitude": -122.6}, "latitude"),
        ({"name": "x", "latitude": 45.5, "longitude": -122.6, "confidential": "false"}, "confidential"),
        ({"name": "x", "phones": [{"number": 5035550100}]}, "phones[0].number"),
    ]:
        response = await client.post("/v1/locations", json=body, headers=ADMIN)
        assert response.status_code == 422, body
        assert response.json()["invalid_params"][0]["name"] == name, response.json()
    assert (
        await client.post("/v1/locations", json={"name": "x", "latitude": 45.5, "longitude": -122.6}, headers=ADMIN)
    ).status_code == 201
