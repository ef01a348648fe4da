"""Verification: a person's check sets assured_date, which saves and imports keep; the re-check queue."""

from litestar.testing import AsyncTestClient

from service.app import create_app
from service.imports.importer import run_import
from tests.conftest import ADMIN, ANY_VERSION, make_settings
from tests.factories import ohana_export, resource_body


async def test_a_check_sets_assured_date_and_an_unrelated_save_keeps_it(client):
    made = (
        await client.post(
            "/v1/resources", json=resource_body(45.5, -122.6, name="Clinic", assured_date="2020-01-01"), headers=ADMIN
        )
    ).json()
    path = f"/v1/services/{made['service']['id']}"
    checked = await client.post(f"{path}/verify", json={"method": "phone", "note": "hours confirmed"}, headers=ADMIN)
    assert checked.status_code == 201 and checked.json()["method"] == "phone"
    today = checked.json()["at"][:10]
    assert (await client.get(path)).json()["assured_date"] == today
    await client.patch(path, json={"description": "New intake hours"}, headers=ANY_VERSION)
    assert (await client.get(path)).json()["assured_date"] == today
    item = (await client.get(f"/v1/resources/{made['id']}")).json()
    assert item["service"]["assured_date"] == today
    listed = (await client.get(f"{path}/verifications", headers=ADMIN)).json()
    assert [v["note"] for v in listed] == ["hours confirmed"]
    entry = (await client.get(f"{path}/history", headers=ADMIN)).json()["items"][1]
    assert entry["op"] == "verify" and entry["note"] == "phone: hours confirmed"
    assert entry["changes"]["assured_date"] == ["2020-01-01", today]
    bad = await client.post(f"{path}/verify", json={"method": "telepathy"}, headers=ADMIN)
    assert bad.status_code == 422 and bad.json()["invalid_params"][0]["name"] == "method"


async def test_an_import_does_not_move_a_verified_date(conn, tmp_path, db_url):
    folder = ohana_export(tmp_path / "ohana")
    await run_import(conn, folder, "harbor")
    service_id = await conn.fetchval("SELECT id FROM services ORDER BY name LIMIT 1")
    await conn.execute("UPDATE services SET assured_date = '2019-05-05' WHERE id = $1", service_id)
    async with AsyncTestClient(app=create_app(make_settings(db_url))) as client:
        assert (
            await client.post(f"/v1/services/{service_id}/verify", json={"method": "visit"}, headers=ADMIN)
        ).status_code == 201
    verified = await conn.fetchval("SELECT assured_date FROM services WHERE id = $1", service_id)
    await conn.execute("UPDATE services SET name = name || ' (old)' WHERE id = $1", service_id)
    await run_import(conn, folder, "harbor")  # the source has no date, or an older one: ours stays
    assert await conn.fetchval("SELECT assured_date FROM services WHERE id = $1", service_id) == verified


async def test_search_filters_by_verification_age_and_the_queue_ranks_old_and_busy_first(db_url):
    async with AsyncTestClient(app=create_app(make_settings(db_url))) as client:
        bodies = {"fresh": "2099-01-01", "old": "2020-01-01", "older": "2015-01-01", "never": None}
        made = {}
        for name, date in bodies.items():
            extra = {"assured_date": date} if date else {}
            made[name] = (
                await client.post("/v1/resources", json=resource_body(45.5, -122.6, name=name, **extra), headers=ADMIN)
            ).json()
        await client.post(
            f"/v1/services/{made['fresh']['service']['id']}/verify", json={"method": "email"}, headers=ADMIN
        )
        recent = (await client.get("/v1/resources", params={"near": "45.5,-122.6", "verified_within": "90d"})).json()
        assert [i["service"]["name"] for i in recent["items"]] == ["fresh"]
        bad = await client.get("/v1/resources", params={"near": "45.5,-122.6", "verified_within": "soon"})
        assert bad.status_code == 422 and bad.json()["invalid_params"][0]["name"] == "verified_within"
        # "old" is shown a lot and "older" not at all: busy beats a few more years of age. A listing never
        # verified counts as 10,000 days old.
        for _ in range(40):
            await client.get(f"/v1/resources/{made['old']['id']}")
    async with AsyncTestClient(app=create_app(make_settings(db_url))) as client:  # the counts were flushed on exit
        queue = (await client.get("/v1/admin/stale", params={"older_than": "180d"}, headers=ADMIN)).json()
        names = [item["name"] for item in queue["items"]]
        assert names == ["old", "never", "older"], queue
        old = next(item for item in queue["items"] if item["name"] == "old")
        assert old["served_30d"] == 40 and old["days_since_verified"] > 2000
        page = (await client.get("/v1/admin/stale", params={"limit": 2}, headers=ADMIN)).json()
        rest = (
            await client.get("/v1/admin/stale", params={"limit": 2, "cursor": page["next_cursor"]}, headers=ADMIN)
        ).json()
        assert [i["name"] for i in page["items"] + rest["items"]] == names
        assert (await client.get("/v1/admin/stale")).status_code == 401
