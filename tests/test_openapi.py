"""openapi.yaml is what the app generates, and the contract is complete."""

import yaml

from service.app import create_app
from service.config import Settings

REGENERATE = "make openapi   (or: .venv/bin/commonground openapi --output openapi.yaml)"


def generated() -> dict:
    return create_app(Settings()).openapi_schema.to_schema()


def test_checked_in_openapi_is_current(repo_root):
    checked_in = yaml.safe_load((repo_root / "openapi.yaml").read_text(encoding="utf-8"))
    assert checked_in == generated(), f"openapi.yaml is stale; regenerate it with: {REGENERATE}"


def test_every_operation_has_an_explicit_id_and_description():
    ids = []
    for path, operations in generated()["paths"].items():
        for method, operation in operations.items():
            if method in ("get", "post", "patch", "put", "delete"):
                assert operation.get("operationId"), (method, path)
                assert operation.get("description"), (method, path)
                ids.append(operation["operationId"])
    assert len(ids) == len(set(ids))
    assert {"searchResources", "getResource", "createResource", "listCategories"} <= set(ids)


def test_search_documents_its_parameters():
    parameters = {p["name"] for p in generated()["paths"]["/v1/resources"]["get"]["parameters"]}
    assert {
        "near",
        "zip",
        "address",
        "radius",
        "unit",
        "category",
        "q",
        "open_now",
        "open_at",
        "status",
        "limit",
        "cursor",
    } <= parameters


async def test_interactive_docs_are_served(client):
    response = await client.get("/docs")
    assert response.status_code == 200
    assert "html" in response.headers["content-type"]
    assert (await client.get("/docs/openapi.json")).json()["info"]["title"] == "CommonGround"
