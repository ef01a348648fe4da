"""GET /v1/categories: the taxonomy with counts."""

from tests.conftest import ADMIN
from tests.factories import TAXONOMY, resource_body


async def test_the_published_taxonomy(client):
    body = (await client.get("/v1/categories")).json()
    assert {item["slug"]: [child["slug"] for child in item["children"]] for item in body["items"]} == TAXONOMY
    assert all(item["count"] == 0 for item in body["items"])


async def test_counts_cover_children_once_and_only_active_services(client):
    for categories, status in [
        (("naloxone",), "active"),
        (("naloxone", "drug-checking"), "active"),
        (("harm-reduction",), "active"),
        (("naloxone",), "inactive"),
        (("rides",), "active"),
    ]:
        body = resource_body(1, 1, categories=categories, status=status)
        assert (await client.post("/v1/resources", json=body, headers=ADMIN)).status_code == 201
    items = {item["slug"]: item for item in (await client.get("/v1/categories")).json()["items"]}
    assert items["harm-reduction"]["count"] == 3  # the two-category service counts once
    children = {child["slug"]: child["count"] for child in items["harm-reduction"]["children"]}
    assert children["naloxone"] == 2 and children["drug-checking"] == 1 and children["syringe-services"] == 0
    assert items["transport"]["count"] == 1
    assert items["housing"]["count"] == 0
