"""Eligibility and barrier filters: attributes, age, cost, language, gender; answers known in advance."""

import io

import pytest

from service.imports.exports import write_export
from service.imports.importer import run_import
from tests.conftest import ADMIN, ANY_VERSION
from tests.factories import assert_index_is_current, resource_body

ORIGIN = {"near": "47.6062,-122.3321"}  # Seattle
LISTINGS = {
    # name: service fields beyond the defaults
    "Open Door": {
        "attributes": ["no-id-required", "accepts-moud", "walk-in"],
        "cost": ["free"],
        "languages": ["en", "es"],
    },
    "Only ID-free": {"attributes": ["no-id-required"], "cost": ["sliding-scale"], "languages": ["en"]},
    "Youth Shelter": {
        "attributes": ["no-id-required", "accepts-moud"],
        "minimum_age": 12,
        "maximum_age": 17,
        "languages": ["es", "zh"],
    },
    "Adults Only": {"attributes": ["accepts-moud"], "minimum_age": 18, "cost": ["insurance", "fee"]},
    "Women's Place": {"genders": ["women"], "attributes": ["pets-allowed", "couples"], "cost": ["free"]},
    "Men's Mission": {"genders": ["men"], "cost": ["free"]},
}


async def make_listings(client) -> dict[str, str]:
    ids = {}
    for offset, (name, fields) in enumerate(LISTINGS.items()):
        body = resource_body(47.6062 + offset / 1000, -122.3321, name=name, **fields)
        response = await client.post("/v1/resources", json=body, headers=ADMIN)
        assert response.status_code == 201, response.text
        ids[name] = response.json()["service"]["id"]
    return ids


async def names(client, **params) -> list[str]:
    response = await client.get("/v1/resources", params={**ORIGIN, **params})
    assert response.status_code == 200, response.text
    return sorted(item["service"]["name"] for item in response.json()["items"])


async def test_vocabulary_is_published(client):
    body = (await client.get("/v1/attributes")).json()
    slugs = [item["slug"] for item in body["items"]]
    assert {
        "no-id-required",
        "accepts-moud",
        "sobriety-not-required",
        "walk-in",
        "referral-required",
        "pets-allowed",
        "couples",
        "families-with-children",
        "accepts-criminal-records",
        "accepts-registry",
        "lgbtq-affirming",
        "wheelchair-accessible",
    } <= set(slugs)
    assert body["genders"] == ["women", "men", "transgender", "nonbinary"]
    assert body["cost"] == ["free", "sliding-scale", "insurance", "fee"]


async def test_each_filter_and_their_combination(client):
    await make_listings(client)
    assert await names(client, attribute="no-id-required") == ["Only ID-free", "Open Door", "Youth Shelter"]
    both = ["Open Door", "Youth Shelter"]
    assert await names(client, attribute=["no-id-required", "accepts-moud"]) == both  # all of them
    assert await names(client, attribute="no-id-required,accepts-moud") == both
    assert await names(client, age=17) == [
        "Men's Mission",
        "Only ID-free",
        "Open Door",
        "Women's Place",
        "Youth Shelter",
    ]
    assert "Youth Shelter" not in await names(client, age=18)
    assert await names(client, cost="free") == ["Men's Mission", "Open Door", "Women's Place"]
    assert await names(client, cost=["sliding-scale", "fee"]) == ["Adults Only", "Only ID-free"]  # any of them
    assert await names(client, language="es") == ["Open Door", "Youth Shelter"]
    assert await names(client, language=["es", "zh"]) == ["Youth Shelter"]
    assert "Men's Mission" not in await names(client, gender="women")
    assert "Women's Place" in await names(client, gender="women")
    assert "Open Door" in await names(client, gender="women")  # lists no gender: serves everyone
    assert await names(client, attribute="accepts-moud", age=30, cost="insurance") == ["Adults Only"]
    # Without a location the same filters apply to the by-name listing.
    by_name = (await client.get("/v1/resources", params={"attribute": "couples"})).json()["items"]
    assert [item["service"]["name"] for item in by_name] == ["Women's Place"]
    item = (await client.get("/v1/resources", params={**ORIGIN, "attribute": "walk-in"})).json()["items"][0]
    assert item["service"]["attributes"] == ["accepts-moud", "no-id-required", "walk-in"]
    assert item["service"]["cost"] == ["free"] and item["service"]["genders"] == []


@pytest.mark.parametrize(
    "params, field",
    [
        ({"attribute": "no-such-thing"}, "attribute"),
        ({"age": "200"}, "age"),
        ({"age": "old"}, "age"),
        ({"cost": "cheap"}, "cost"),
        ({"language": "Spanish"}, "language"),
        ({"gender": "x"}, "gender"),
    ],
)
async def test_bad_filters_name_the_parameter(client, params, field):
    response = await client.get("/v1/resources", params={**ORIGIN, **params})
    assert response.status_code in (400, 422)
    assert response.json()["invalid_params"][0]["name"] == field


async def test_writes_validate_and_keep_the_index_current(client, conn):
    ids = await make_listings(client)
    unknown = await client.post(
        "/v1/resources", headers=ADMIN, json=resource_body(47.6, -122.3, name="X", attributes=["no-such-thing"])
    )
    assert unknown.status_code == 422 and unknown.json()["invalid_params"][0]["name"] == "service.attributes"
    inverted = await client.post(
        "/v1/resources", headers=ADMIN, json=resource_body(47.6, -122.3, name="X", minimum_age=30, maximum_age=20)
    )
    assert inverted.status_code == 422
    changed = await client.patch(
        f"/v1/services/{ids['Only ID-free']}",
        headers=ANY_VERSION,
        json={"attributes": ["walk-in"], "genders": ["nonbinary"], "minimum_age": 21},
    )
    assert changed.status_code == 200
    assert (changed.json()["attributes"], changed.json()["genders"]) == (["walk-in"], ["nonbinary"])
    above = await client.patch(f"/v1/services/{ids['Youth Shelter']}", headers=ANY_VERSION, json={"minimum_age": 40})
    assert above.status_code == 422 and above.json()["invalid_params"][0]["name"] == "minimum_age"
    assert await names(client, attribute="walk-in") == ["Only ID-free", "Open Door"]
    await assert_index_is_current(conn)


async def test_eligibility_survives_an_hsds_round_trip(client, db_url, conn, tmp_path):
    await make_listings(client)
    out = io.BytesIO()
    await write_export(conn, "hsds-csv", out)
    path = tmp_path / "export.zip"
    path.write_bytes(out.getvalue())
    await conn.execute(
        "TRUNCATE organizations, services, locations, service_at_location, phones, schedules, "
        "service_categories, service_attributes, source_records CASCADE"
    )
    report = await run_import(conn, path, "round-trip")
    assert report.rejections == []
    again = io.BytesIO()
    await write_export(conn, "hsds-csv", again)
    assert again.getvalue() == out.getvalue()
    assert await names(client, attribute=["no-id-required", "accepts-moud"], age=15) == ["Open Door", "Youth Shelter"]
