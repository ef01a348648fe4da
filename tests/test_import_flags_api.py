"""The curation queue of import flags: what an import kept but flagged, listed, paged and cleared."""

from service.imports.importer import run_import
from tests.conftest import ADMIN
from tests.test_imports_messy import ORGANIZATIONS, messy


async def test_flags_of_an_import_are_listed_for_curators_and_replaced_by_the_next(client, conn, tmp_path):
    report = await run_import(conn, messy(tmp_path / "first"), "county-211")
    assert (await client.get("/v1/admin/import-flags")).status_code == 401
    listed = (await client.get("/v1/admin/import-flags", params={"limit": 100}, headers=ADMIN)).json()
    assert len(listed["items"]) == len(report.flags) and listed["next_cursor"] is None
    assert [(item["file"], item["line"]) for item in listed["items"]] == [(f.file, f.line) for f in report.flags]

    placeholders = (
        await client.get("/v1/admin/import-flags", params={"flag": "placeholder_organization"}, headers=ADMIN)
    ).json()["items"]
    assert [item["source_id"] for item in placeholders] == ["8620", "~no-organization"]
    stored = await conn.fetchval("SELECT id FROM organizations WHERE name = 'Unknown organization (source id 8620)'")
    assert placeholders[0]["record_id"] == str(stored) and placeholders[0]["source"] == "county-211"
    organization = await client.get(f"/v1/organizations/{stored}")
    assert organization.status_code == 200 and organization.json()["name"].startswith("Unknown organization")

    # Paging walks every flag once.
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/v1/admin/import-flags", params=params, headers=ADMIN)).json()
        seen += [item["id"] for item in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == [item["id"] for item in listed["items"]]

    cleared = placeholders[1]["id"]
    assert (await client.delete(f"/v1/admin/import-flags/{cleared}", headers=ADMIN)).status_code == 204
    assert (await client.delete(f"/v1/admin/import-flags/{cleared}", headers=ADMIN)).status_code == 404
    bad = await client.get("/v1/admin/import-flags", params={"cursor": "nonsense"}, headers=ADMIN)
    assert bad.status_code == 400 or bad.status_code == 422

    # The source's next import, with the organization it lacked, replaces its flags.
    fixed = messy(tmp_path / "second")
    (fixed / "organizations.csv").write_text(ORGANIZATIONS + "8620,River Recovery Center\n")
    await run_import(conn, fixed, "county-211")
    after = (await client.get("/v1/admin/import-flags", params={"limit": 100}, headers=ADMIN)).json()["items"]
    assert sorted((item["flag"], item["source_id"]) for item in after) == [
        ("broken_reference_dropped", "13"),
        ("broken_reference_placeholder", "103"),
        ("placeholder_organization", "~no-organization"),  # nobody named it yet: still open
    ]
