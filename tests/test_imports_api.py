"""Imports and exports over HTTP: upload, background job, report, bulk export."""

import asyncio
import io
import zipfile

from tests.conftest import ADMIN
from tests.factories import ohana_export


def zipped(folder) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, f"export/{path.name}")
    return buffer.getvalue()


async def finished(client, location: str) -> dict:
    for _ in range(400):
        job = (await client.get(location, headers=ADMIN)).json()
        if job["status"] in ("succeeded", "failed"):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"import still {job['status']}")


async def upload(client, body: bytes, **params: object) -> dict:
    response = await client.post(
        "/v1/imports",
        content=body,
        params={"source": "harbor", **params},
        headers={**ADMIN, "Content-Type": "application/zip"},
    )
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "queued"
    return await finished(client, response.headers["location"])


async def test_upload_runs_in_the_background_and_reports(client, tmp_path):
    job = await upload(client, zipped(ohana_export(tmp_path / "ohana")))
    assert job["status"] == "succeeded" and job["error"] is None and job["format"] == "tabular"
    report = job["report"]
    assert report["committed"] and report["counts"]["service"]["created"] == 3
    assert {(r["file"], r["line"]) for r in report["rejections"]} >= {("organizations.csv", 3), ("locations.csv", 4)}
    assert job["processed"] == job["total"] > 0
    page = (await client.get("/v1/resources", params={"near": "39.29,-76.61"})).json()
    assert [item["service"]["name"] for item in page["items"]] == ["Harbor Shelter"]
    listed = (await client.get("/v1/imports", headers=ADMIN)).json()
    assert [item["id"] for item in listed] == [job["id"]]
    # Its writes are audited as the key that uploaded it, noting the source.
    service = page["items"][0]["service"]["id"]
    entry = (await client.get(f"/v1/services/{service}/history", headers=ADMIN)).json()["items"][0]
    assert (entry["op"], entry["actor_name"], entry["note"]) == (
        "create",
        "bootstrap (COMMONGROUND_ADMIN_KEY)",
        "import from harbor",
    )


async def test_failed_strict_and_dry_run_uploads_change_nothing(client, tmp_path):
    body = zipped(ohana_export(tmp_path / "ohana"))
    strict = await upload(client, body, strict="true")
    assert strict["status"] == "failed" and "rejected" in strict["error"]
    dry = await upload(client, body, dry_run="true")
    assert dry["status"] == "succeeded" and dry["report"]["dry_run"] and not dry["report"]["committed"]
    broken = await upload(client, b"PK\x03\x04 this is not a zip")
    assert broken["status"] == "failed" and broken["report"] is None
    assert (await client.get("/hsds/services")).json()["total_items"] == 0


async def test_uploads_need_the_admin_key_and_a_valid_request(client):
    assert (await client.post("/v1/imports", content=b"[]", params={"source": "x"})).status_code == 401
    assert (await client.get("/v1/imports", headers={"Authorization": "Bearer wrong"})).status_code == 401
    for params, body, field in [
        ({"source": "no spaces allowed"}, b"[]", "source"),
        ({"source": "ok"}, b"", "body"),
        ({}, b"[]", "source"),
    ]:
        response = await client.post("/v1/imports", content=body, params=params, headers=ADMIN)
        assert response.status_code in (400, 422), response.text
        assert field in [p["name"] for p in response.json()["invalid_params"]]
    missing = await client.get("/v1/imports/00000000-0000-4000-8000-000000000000", headers=ADMIN)
    assert missing.status_code == 404


async def test_a_job_whose_process_died_reads_as_interrupted(client, conn):
    job_id = await conn.fetchval(
        "INSERT INTO imports (source, status, heartbeat_at) "
        "VALUES ('x', 'running', now() - interval '5 minutes') RETURNING id"
    )
    job = (await client.get(f"/v1/imports/{job_id}", headers=ADMIN)).json()
    assert job["status"] == "failed" and job["error"].startswith("interrupted")


async def test_bulk_export_round_trips_through_an_upload(seeded_client, client):
    response = await seeded_client.get("/v1/exports/hsds.zip")
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert "datapackage.json" in archive.namelist() and "services.csv" in archive.namelist()
    job = await upload(client, response.content)
    assert job["status"] == "succeeded" and job["report"]["counts"]["service"]["created"] == 320
    assert (await client.get("/v1/exports/hsds.zip")).content == response.content


async def test_a_new_category_mapping_applies_to_services_already_imported(client, tmp_path):
    job = await upload(client, zipped(ohana_export(tmp_path / "ohana")))
    assert [t["name"] for t in job["report"]["unmapped_terms"]] == ["Knitting"]
    rule = {"term": " Knitting ", "category_slug": "rides", "vocabulary": "Open Eligibility"}
    assert (await client.post("/v1/category-mappings", json=rule)).status_code == 401
    created = await client.post("/v1/category-mappings", json=rule, headers=ADMIN)
    assert created.status_code == 201
    assert created.json() == {
        "vocabulary": "Open Eligibility",
        "term": "knitting",
        "category_slug": "rides",
        "services_added": 1,
    }
    page = (await client.get("/v1/resources", params={"near": "39.29,-76.61", "category": "rides"})).json()
    assert [item["service"]["categories"] for item in page["items"]] == [["emergency-shelter", "rides"]]
    assert (await client.post("/v1/category-mappings", json=rule, headers=ADMIN)).status_code == 409
    unknown = await client.post("/v1/category-mappings", json={**rule, "category_slug": "knitting"}, headers=ADMIN)
    assert unknown.status_code == 422 and unknown.json()["invalid_params"][0]["name"] == "category_slug"
    listed = (await client.get("/v1/category-mappings")).json()
    assert {"vocabulary": "Open Eligibility", "term": "knitting", "category_slug": "rides"} in listed
    params = {"vocabulary": "Open Eligibility", "term": "knitting", "category_slug": "rides"}
    assert (await client.delete("/v1/category-mappings", params=params, headers=ADMIN)).status_code == 204
    assert (await client.delete("/v1/category-mappings", params=params, headers=ADMIN)).status_code == 404


async def test_a_partial_upload_keeps_what_it_does_not_contain_and_prune_is_asked_for(client, tmp_path):
    from tests.factories import copy_tables, read_csv, write_csv

    folder = ohana_export(tmp_path / "ohana")
    await upload(client, zipped(folder))
    near = {"near": "39.29,-76.61"}
    phones = (await client.get("/v1/resources", params=near)).json()["items"][0]["phones"]
    assert len(phones) == 2  # its own and its organization's

    partial = copy_tables(
        folder, tmp_path / "partial", "organizations.csv", "locations.csv", "addresses.csv", "services.csv"
    )
    job = await upload(client, zipped(partial))
    assert job["status"] == "succeeded" and not job["report"]["prune"]
    assert all(counts["removed"] == 0 for counts in job["report"]["counts"].values())
    assert (await client.get("/v1/resources", params=near)).json()["items"][0]["phones"] == phones

    write_csv(partial, "services.csv", [row for row in read_csv(partial / "services.csv") if row["id"] != "100"])
    kept = await upload(client, zipped(partial))
    assert kept["report"]["counts"]["service"]["removed"] == 0
    assert len((await client.get("/v1/resources", params=near)).json()["items"]) == 1
    dry = await upload(client, zipped(partial), prune="true", dry_run="true")
    assert dry["report"]["prune"] and dry["report"]["counts"]["service"]["removed"] == 1
    assert len((await client.get("/v1/resources", params=near)).json()["items"]) == 1
    pruned = await upload(client, zipped(partial), prune="true")
    assert pruned["report"]["committed"] and pruned["report"]["counts"]["service"]["removed"] == 1
    assert (await client.get("/v1/resources", params=near)).json()["items"] == []
    feed = (await client.get("/v1/changes", headers=ADMIN)).json()["items"]
    assert [item["op"] for item in feed if item["entity"] == "service"][-1] == "delete"
