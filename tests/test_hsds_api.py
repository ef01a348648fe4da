"""The HSDS 3.0 read API: filters, paging, NDJSON, and documents that validate against HSDS."""

import json

import jsonschema
import msgspec
import pytest

from schemas.hsds import (
    HsdsOrganization,
    HsdsOrganizationPage,
    HsdsService,
    HsdsServiceAtLocation,
    HsdsServiceAtLocationPage,
    HsdsServicePage,
    HsdsTaxonomy,
    HsdsTaxonomyPage,
    HsdsTaxonomyTerm,
    HsdsTaxonomyTermPage,
)
from tests.conftest import HSDS_SCHEMA

CATEGORY_TAXONOMY = "c0a5f3b4-6d1e-5b8a-9c3f-0e7d2a41b9c6"
needs_schemas = pytest.mark.skipif(
    not HSDS_SCHEMA.exists(),
    reason=f"the official HSDS 3.0 JSON Schemas are not at {HSDS_SCHEMA} (they are not committed); "
    "behaviour tests still run",
)


def validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((HSDS_SCHEMA / "compiled" / f"{name}.json").read_text())
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def assert_valid(document: object, name: str) -> None:
    errors = sorted(validator(name).iter_errors(document), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def assert_page(body: dict) -> None:
    page_schema = json.loads((HSDS_SCHEMA / "openapi.json").read_text())["components"]["schemas"]["Page"]
    jsonschema.validate(body, page_schema)


async def term_id(client, slug: str) -> str:
    terms = (await client.get("/hsds/taxonomy_terms", params={"search": slug, "per_page": 100})).json()
    return next(term["id"] for term in terms["contents"] if term.get("code") == slug)


async def test_meta_information(client):
    body = (await client.get("/hsds/")).json()
    assert body["version"] == "3.0.0" and body["openapi_url"].endswith("/docs/openapi.json")
    assert body["profile"].startswith("https://")


async def test_services_page_envelope_and_paging(seeded_client):
    first = (await seeded_client.get("/hsds/services", params={"per_page": 100})).json()
    assert (first["total_items"], first["total_pages"], first["page_number"], first["size"]) == (320, 4, 1, 100)
    assert first["first_page"] and not first["last_page"] and not first["empty"]
    last = (await seeded_client.get("/hsds/services", params={"per_page": 100, "page": 4})).json()
    assert last["size"] == 20 and last["last_page"]
    beyond = (await seeded_client.get("/hsds/services", params={"per_page": 100, "page": 9})).json()
    assert beyond["empty"] and beyond["contents"] == []
    ids = [
        s["id"]
        for p in range(1, 5)
        for s in (await seeded_client.get("/hsds/services", params={"per_page": 100, "page": p})).json()["contents"]
    ]
    assert len(set(ids)) == 320


async def test_filters_combine_with_and(seeded_client):
    naloxone = await term_id(seeded_client, "naloxone")
    by_term = (
        await seeded_client.get("/hsds/services", params={"taxonomy_term_id": naloxone, "per_page": 1000})
    ).json()
    assert by_term["total_items"] > 0
    full = (await seeded_client.get(f"/hsds/services/{by_term['contents'][0]['id']}")).json()
    assert naloxone in {a["taxonomy_term_id"] for a in full["attributes"]}
    organization = by_term["contents"][0]["organization_id"]
    both = (
        await seeded_client.get(
            "/hsds/services", params={"taxonomy_term_id": naloxone, "organization_id": organization}
        )
    ).json()
    assert 0 < both["total_items"] <= by_term["total_items"]
    assert all(s["organization_id"] == organization for s in both["contents"])
    everything = (await seeded_client.get("/hsds/services", params={"taxonomy_id": CATEGORY_TAXONOMY})).json()
    assert everything["total_items"] == 320
    words = (await seeded_client.get("/hsds/services", params={"search": "naloxone"})).json()
    assert 0 < words["total_items"] < 320
    future = (await seeded_client.get("/hsds/services", params={"modified_after": "2999-01-01T00:00:00Z"})).json()
    assert future["total_items"] == 0
    minimal = (await seeded_client.get("/hsds/services", params={"minimal": "true", "per_page": 1})).json()
    assert set(minimal["contents"][0]) == {"id", "name", "status", "last_modified"}


async def test_ndjson_streams_every_result(seeded_client):
    response = await seeded_client.get("/hsds/services", params={"format": "ndjson", "per_page": 5})
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = response.text.splitlines()
    assert len(lines) == 320 and len({json.loads(line)["id"] for line in lines}) == 320


async def test_service_at_locations_geo_extension_and_postcode(seeded_client):
    nearest = (
        await seeded_client.get(
            "/hsds/service_at_locations", params={"latitude": 21.3069, "longitude": -157.8583, "radius": 20000}
        )
    ).json()
    assert nearest["total_items"] > 0
    assert all(item["location"]["latitude"] > 21 for item in nearest["contents"])
    # Without a radius the point only orders the list (with other filters too: a schemathesis find).
    ordered = await seeded_client.get(
        "/hsds/service_at_locations",
        params={"latitude": 21.3069, "longitude": -157.8583, "modified_after": "2020-01-01T00:00:00Z", "per_page": 3},
    )
    assert ordered.status_code == 200 and ordered.json()["contents"][0]["location"]["latitude"] > 21
    nothing = (
        await seeded_client.get("/hsds/service_at_locations", params={"latitude": 0, "longitude": 0, "radius": 1000})
    ).json()
    assert nothing["total_items"] == 0
    postcode = nearest["contents"][0]["location"]["id"]
    full = (await seeded_client.get(f"/hsds/service_at_locations/{nearest['contents'][0]['id']}")).json()
    assert full["location"]["id"] == postcode and full["service"]["id"] == nearest["contents"][0]["service_id"]
    zip_code = full["location"]["addresses"][0]["postal_code"]
    by_zip = (await seeded_client.get("/hsds/service_at_locations", params={"postcode": zip_code})).json()
    assert by_zip["total_items"] >= 1
    near_zip = (
        await seeded_client.get("/hsds/service_at_locations", params={"postcode": zip_code, "proximity": 50000})
    ).json()
    assert near_zip["total_items"] >= by_zip["total_items"]


@pytest.mark.parametrize(
    "path, params, field",
    [
        ("/hsds/services", {"page": "0"}, "page"),
        ("/hsds/services", {"per_page": "5000"}, "per_page"),
        ("/hsds/services", {"format": "xml"}, "format"),
        ("/hsds/services", {"organization_id": "not-a-uuid"}, "organization_id"),
        ("/hsds/services", {"modified_after": "2026-01-01T00:00:00"}, "modified_after"),
        ("/hsds/service_at_locations", {"latitude": "45"}, "longitude"),
        ("/hsds/service_at_locations", {"proximity": "100"}, "proximity"),
        ("/hsds/service_at_locations", {"postcode": "ABC", "proximity": "100"}, "postcode"),
    ],
)
async def test_bad_parameters_are_problems_naming_the_field(client, path, params, field):
    response = await client.get(path, params=params)
    assert response.status_code in (400, 422)
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [p["name"] for p in response.json()["invalid_params"]]


async def test_unknown_ids_are_404(client):
    for kind in ("services", "organizations", "service_at_locations", "taxonomies", "taxonomy_terms"):
        response = await client.get(f"/hsds/{kind}/00000000-0000-4000-8000-000000000000")
        assert response.status_code == 404 and response.json()["status"] == 404


async def test_our_categories_are_an_hsds_taxonomy(client):
    taxonomies = (await client.get("/hsds/taxonomies")).json()
    assert [t["name"] for t in taxonomies["contents"]] == ["CommonGround categories", "CommonGround eligibility"]
    top = (
        await client.get("/hsds/taxonomy_terms", params={"top_only": "true", "taxonomy_id": CATEGORY_TAXONOMY})
    ).json()
    assert {t["code"] for t in top["contents"]} == {"housing", "harm-reduction", "transport", "court-support"}
    housing = next(t for t in top["contents"] if t["code"] == "housing")
    children = (await client.get("/hsds/taxonomy_terms", params={"parent_id": housing["id"]})).json()
    assert {t["code"] for t in children["contents"]} == {
        "emergency-shelter",
        "recovery-housing",
        "transitional-housing",
        "rental-assistance",
    }


@needs_schemas
async def test_every_hsds_response_validates_against_the_official_schemas(seeded_client):
    lists = {
        "/hsds/services": ("service_list", {}),
        "/hsds/services?full=true": ("service", {}),
        "/hsds/organizations": ("organization_list", {}),
        "/hsds/organizations?full=true": ("organization", {}),
        "/hsds/organizations?full_service=true": ("organization", {}),
        "/hsds/service_at_locations": ("service_at_location_list", {}),
        "/hsds/service_at_locations?full=true": ("service_at_location", {}),
    }
    for path, (schema, params) in lists.items():
        body = (await seeded_client.get(path, params={**params, "per_page": 25})).json()
        assert_page(body)
        assert body["contents"], path
        for item in body["contents"]:
            assert_valid(item, schema)
    service = (await seeded_client.get("/hsds/services", params={"per_page": 1})).json()["contents"][0]
    assert_valid((await seeded_client.get(f"/hsds/services/{service['id']}")).json(), "service")
    assert_valid((await seeded_client.get(f"/hsds/organizations/{service['organization_id']}")).json(), "organization")
    sal = (await seeded_client.get("/hsds/service_at_locations", params={"per_page": 1})).json()["contents"][0]
    assert_valid((await seeded_client.get(f"/hsds/service_at_locations/{sal['id']}")).json(), "service_at_location")
    term_schema = json.loads((HSDS_SCHEMA / "taxonomy_term.json").read_text())
    taxonomy_schema = json.loads((HSDS_SCHEMA / "taxonomy.json").read_text())
    terms = (await seeded_client.get("/hsds/taxonomy_terms", params={"per_page": 100})).json()
    assert_page(terms)
    for term in terms["contents"]:
        jsonschema.validate({k: v for k, v in term.items() if k != "taxonomy_detail"}, term_schema)
        jsonschema.validate(term["taxonomy_detail"], taxonomy_schema)
    for taxonomy in (await seeded_client.get("/hsds/taxonomies")).json()["contents"]:
        jsonschema.validate(taxonomy, taxonomy_schema)
    jsonschema.validate((await seeded_client.get(f"/hsds/taxonomies/{CATEGORY_TAXONOMY}")).json(), taxonomy_schema)
    term = terms["contents"][0]
    jsonschema.validate(
        {
            k: v
            for k, v in (await seeded_client.get(f"/hsds/taxonomy_terms/{term['id']}")).json().items()
            if k != "taxonomy_detail"
        },
        term_schema,
    )
    openapi = json.loads((HSDS_SCHEMA / "openapi.json").read_text())
    meta_schema = openapi["paths"]["/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    jsonschema.validate(
        (await seeded_client.get("/hsds/")).json(), meta_schema, format_checker=jsonschema.FormatChecker()
    )


async def test_every_shape_is_what_the_contract_declares(seeded_client):
    """The Structs that describe the SQL-built documents in openapi.yaml hold every shape the API sends."""

    async def decode(path: str, kind: type, **params: object) -> object:
        response = await seeded_client.get(path, params=params)
        assert response.status_code == 200, response.text
        return msgspec.json.decode(response.content, type=kind)

    for variant in ({"full": "true"}, {"minimal": "true"}, {}):
        services = await decode("/hsds/services", HsdsServicePage, per_page=1000, **variant)
        assert services.total_items == 320
    for variant in ({}, {"full": "true"}, {"full_service": "true"}):
        await decode("/hsds/organizations", HsdsOrganizationPage, per_page=1000, **variant)
    for variant in ({}, {"full": "true"}):
        places = await decode("/hsds/service_at_locations", HsdsServiceAtLocationPage, per_page=1000, **variant)
    await decode("/hsds/taxonomies", HsdsTaxonomyPage, per_page=1000)
    terms = await decode("/hsds/taxonomy_terms", HsdsTaxonomyTermPage, per_page=1000)
    service = services.contents[0]
    one = await decode(f"/hsds/services/{service.id}", HsdsService)
    assert one.name == service.name
    await decode(f"/hsds/organizations/{service.organization_id}", HsdsOrganization, full_service="true")
    place = await decode(f"/hsds/service_at_locations/{places.contents[0].id}", HsdsServiceAtLocation)
    assert place.location.latitude is not msgspec.UNSET or place.location.addresses is not msgspec.UNSET
    await decode(f"/hsds/taxonomies/{CATEGORY_TAXONOMY}", HsdsTaxonomy)
    for term in terms.contents[:50]:
        await decode(f"/hsds/taxonomy_terms/{term.id}", HsdsTaxonomyTerm)
