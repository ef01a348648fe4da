"""Meeting Guide feeds: import, re-import in place, rejections and flags, anonymity, export round trip."""

import copy
import json
import subprocess
from pathlib import Path

from litestar.testing import AsyncTestClient

from service.app import create_app
from service.imports.importer import ImportFailed, run_import
from service.imports.meetings import write_feed
from tests.conftest import ADMIN, make_settings
from tests.factories import COMMAND, command_env
from tests.test_imports_api import finished

FEED = Path(__file__).parent / "fixtures" / "meeting-guide" / "feed.json"


def feed() -> list[dict]:
    return json.loads(FEED.read_text())


def written(tmp_path: Path, records: list, name: str = "feed.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(records))
    return path


async def test_a_feed_is_detected_imported_and_exported_exactly(conn):
    report = await run_import(conn, FEED, "intergroup")
    assert report.format == "meeting-guide" and report.committed
    counts = report.counts["meeting"]
    assert (counts.read, counts.created, counts.rejected, counts.removed) == (4, 4, 0, 0)
    assert [(f.source_id, f.flag) for f in report.flags] == [("grupo-esperanza", "unknown-type")]
    assert json.loads(await write_feed(conn)) == feed()
    stored = await conn.fetchrow(
        "SELECT types, other_types, languages, days FROM meetings WHERE slug = 'grupo-esperanza'"
    )
    assert (stored["types"], stored["other_types"], stored["languages"], stored["days"]) == (
        ["newcomer", "open", "spanish"],
        ["CAN"],
        ["es"],
        [2, 4],
    )
    flagged = await conn.fetchval("SELECT count(*) FROM import_flags WHERE source = 'intergroup'")
    assert flagged == 1


async def test_re_import_updates_in_place_and_removes_what_the_feed_dropped(conn, tmp_path):
    await run_import(conn, FEED, "intergroup")
    ids = dict(await conn.fetch("SELECT slug, id FROM meetings"))
    seq = await conn.fetchval("SELECT max(seq) FROM changes")
    records = [r for r in feed() if r["slug"] != "night-owls"]
    lunch = next(r for r in records if r["slug"] == "lunch-bunch")
    lunch["time"], lunch["end_time"] = "12:15", "13:15"
    records.append({"name": "Early Birds", "slug": "early-birds", "day": 3, "time": "06:30", **_place()})
    report = await run_import(conn, written(tmp_path, records), "intergroup")
    counts = report.counts["meeting"]
    assert (counts.created, counts.updated, counts.unchanged, counts.removed) == (1, 1, 2, 1)
    now = dict(await conn.fetch("SELECT slug, id FROM meetings WHERE deleted_at IS NULL"))
    assert now["lunch-bunch"] == ids["lunch-bunch"] and "night-owls" not in now
    changes = await conn.fetch("SELECT entity_id, op FROM changes WHERE seq > $1 AND entity = 'meeting'", seq)
    assert {(row["entity_id"], row["op"]) for row in changes} == {
        (ids["lunch-bunch"], "update"),
        (ids["night-owls"], "update"),
        (ids["night-owls"], "delete"),
        (now["early-birds"], "create"),
    }
    # Another source with the same slugs is its own list.
    await run_import(conn, FEED, "district-9")
    assert await conn.fetchval("SELECT count(*) FROM meetings WHERE deleted_at IS NULL") == 8


def _place() -> dict:
    return {"latitude": 45.52, "longitude": -122.68, "address": "1 Example Way", "city": "Portland"}


async def test_bad_records_are_rejected_with_reasons_and_strict_writes_nothing(conn, tmp_path):
    records = copy.deepcopy(feed())
    records += [
        {"name": "No time", "slug": "no-time", "day": 1, **_place()},
        {"name": "Bad day", "slug": "bad-day", "day": 7, "time": "10:00", **_place()},
        {"name": "Bad time", "slug": "bad-time", "day": 1, "time": "25:00", **_place()},
        {"name": "Nowhere", "slug": "nowhere", "day": 1, "time": "10:00", "timezone": "America/Chicago"},
        {"name": "Twice", "slug": "lunch-bunch", "day": 1, "time": "10:00", **_place()},
        {"name": "Zoneless", "slug": "zoneless", "day": 1, "time": "10:00", "conference_url": "https://v.example/1"},
        "not an object",
    ]
    path = written(tmp_path, records)
    try:
        await run_import(conn, path, "intergroup", strict=True)
        raise AssertionError("strict import with rejections succeeded")
    except ImportFailed as failure:
        assert failure.report is not None and not failure.report.committed
    assert await conn.fetchval("SELECT count(*) FROM meetings") == 0
    report = await run_import(conn, path, "intergroup", format="meeting-guide")
    reasons = {r.line: r.reason for r in report.rejections}
    assert sorted(reasons) == [5, 6, 7, 8, 9, 10, 11]
    assert "time: required" in reasons[5] or "day and time" in reasons[5]
    assert "day: expected 0" in reasons[6] and "time: expected HH:MM" in reasons[7]
    assert "place" in reasons[8] and "repeats" in reasons[9] and "timezone" in reasons[10]
    assert report.counts["meeting"].created == 4


async def test_a_dry_run_reports_and_keeps_nothing(conn):
    report = await run_import(conn, FEED, "intergroup", dry_run=True)
    assert report.counts["meeting"].created == 4 and not report.committed
    assert await conn.fetchval("SELECT count(*) FROM meetings") == 0
    assert await conn.fetchval("SELECT count(*) FROM import_flags") == 0


async def test_no_last_name_is_stored_from_contacts(conn, tmp_path):
    record = {"name": "Contacts", "slug": "contacts", "day": 2, "time": "18:00", **_place()}
    record |= {
        "contact_1_name": "Robert Smithson",
        "contact_2_name": "Okafor, Chidi",
        "contact_2_email": "c@example.org",
    }
    report = await run_import(conn, written(tmp_path, [record]), "intergroup")
    assert [f.flag for f in report.flags] == ["contact-name-cut", "contact-name-cut"]
    exported = json.loads(await write_feed(conn))[0]
    assert (exported["contact_1_name"], exported["contact_2_name"]) == ("Robert S.", "Chidi O.")
    everywhere = await conn.fetchval(
        "SELECT (SELECT string_agg(m::text, ' ') FROM meetings m) || (SELECT string_agg(a::text, ' ') FROM audit_log a)"
        " || (SELECT string_agg(f::text, ' ') FROM import_flags f)"
    )
    assert "Smithson" not in everywhere and "Okafor" not in everywhere


async def test_not_json_and_not_an_array_fail_clearly(conn, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('[{"slug": "x", "day": 1,')
    for path, words in [(broken, "not JSON"), (written(tmp_path, {"slug": "x"}, "object.json"), "JSON array")]:
        try:
            await run_import(conn, path, "intergroup", format="meeting-guide")
            raise AssertionError(f"{path.name} was imported")
        except ImportFailed as failure:
            assert words in str(failure)


async def test_a_feed_nested_too_deep_is_refused_in_one_line(conn, tmp_path):
    record = {**feed()[0], "notes": "@@"}
    deep = tmp_path / "deep.json"
    deep.write_text(json.dumps([record]).replace('"@@"', "[" * 100_000 + "]" * 100_000))
    for fmt in ("meeting-guide", None):
        try:
            await run_import(conn, deep, "intergroup", format=fmt)
            raise AssertionError("a feed nested 100,000 deep was imported")
        except ImportFailed as failure:
            assert "nested" in str(failure) and "\n" not in str(failure), str(failure)
    assert await conn.fetchval("SELECT count(*) FROM meetings") == 0


async def test_approximate_with_no_place_is_dropped_and_flagged(conn, tmp_path):
    record = {
        "slug": "nowhere",
        "name": "Nowhere",
        "day": 1,
        "time": "19:00",
        "approximate": "yes",
        "timezone": "America/Chicago",
        "conference_url": "https://zoom.example/j/1",
    }
    report = await run_import(conn, written(tmp_path, [record]), "intergroup", format="meeting-guide")
    assert report.counts["meeting"].created == 1
    assert [f.flag for f in report.flags] == ["approximate-dropped"]
    assert await conn.fetchval("SELECT approximate FROM meetings WHERE slug = 'nowhere'") is False


async def test_a_feed_larger_than_a_feed_may_be_is_refused_unread(conn, tmp_path, monkeypatch):
    from service.imports import meetings

    path = written(tmp_path, feed())
    monkeypatch.setattr(meetings, "MAX_FEED_BYTES", path.stat().st_size - 1)
    try:
        await run_import(conn, path, "intergroup", format="meeting-guide")
        raise AssertionError("a feed past the size limit was imported")
    except ImportFailed as failure:
        assert "is larger than a Meeting Guide feed may be" in str(failure), str(failure)
    assert await conn.fetchval("SELECT count(*) FROM meetings") == 0


async def test_upload_through_the_api_and_the_public_export(client):
    response = await client.post(
        "/v1/imports",
        content=FEED.read_bytes(),
        params={"source": "intergroup"},
        headers={**ADMIN, "Content-Type": "application/json"},
    )
    assert response.status_code == 202, response.text
    job = await finished(client, response.headers["location"])
    assert job["status"] == "succeeded", job
    assert job["format"] == "meeting-guide" and job["report"]["counts"]["meeting"]["created"] == 4
    exported = await client.get("/v1/exports/meetings.json")
    assert exported.status_code == 200 and exported.json() == feed()
    found = await client.get(
        "/v1/meetings", params={"near": "45.515,-122.678", "starts_within": "2h", "at": "2026-11-25T11:30:00-08:00"}
    )
    assert [item["slug"] for item in found.json()["items"]] == ["lunch-bunch"]


def test_the_commands_import_and_export_a_feed(db_url, tmp_path):
    env = command_env(DATABASE_URL=db_url)
    done = subprocess.run(
        [COMMAND, "import", str(FEED), "--source", "intergroup"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "meeting-guide" in done.stderr and "flagged 1 unknown-type" in done.stderr
    exported = subprocess.run(
        [COMMAND, "export", "--format", "meeting-guide"], env=env, capture_output=True, text=True, timeout=120
    )
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout) == feed()


async def test_a_registered_feed_is_fetched_only_when_fetching_is_on(client, db_url):
    url = "https://intergroup.example.org/meetings.json"
    put = await client.put("/v1/meeting-sources/intergroup", json={"feed_url": url}, headers=ADMIN)
    assert put.status_code == 200 and put.json()["feed_url"] == url
    assert (await client.put("/v1/meeting-sources/intergroup", json={"feed_url": url})).status_code == 401
    off = await client.post("/v1/meeting-sources/intergroup/fetch", headers=ADMIN)
    assert off.status_code == 409 and "COMMONGROUND_MEETING_FEEDS" in off.json()["detail"]
    settings = make_settings(db_url, meeting_feeds="tests.fake_feeds:fetch")
    async with AsyncTestClient(app=create_app(settings)) as fetching:
        done = await fetching.post("/v1/meeting-sources/intergroup/fetch", headers=ADMIN)
        assert done.status_code == 200, done.text
        assert done.json()["committed"] and done.json()["counts"]["meeting"]["created"] == 4
        again = (await fetching.post("/v1/meeting-sources/intergroup/fetch", headers=ADMIN)).json()
        assert again["counts"]["meeting"]["unchanged"] == 4
        listed = (await fetching.get("/v1/meeting-sources", headers=ADMIN)).json()
        assert listed[0]["name"] == "intergroup" and listed[0]["imported_at"] is not None
        await fetching.put("/v1/meeting-sources/down", json={"feed_url": "https://down.example.org/x"}, headers=ADMIN)
        down = await fetching.post("/v1/meeting-sources/down/fetch", headers=ADMIN)
        assert down.status_code == 503 and "connection refused" in down.json()["detail"]
        await fetching.put("/v1/meeting-sources/html", json={"feed_url": "https://html.example.org/"}, headers=ADMIN)
        html = await fetching.post("/v1/meeting-sources/html/fetch", headers=ADMIN)
        assert html.status_code == 422 and "not JSON" in html.json()["detail"]
        missing = await fetching.post("/v1/meeting-sources/nobody/fetch", headers=ADMIN)
        assert missing.status_code == 404


async def test_the_built_in_fetcher_takes_only_https():
    from service.imports.meetings import FetchFailed, feed_fetcher

    assert feed_fetcher(None, 1000) is None
    fetcher = feed_fetcher("https", 1000)
    assert fetcher is not None
    try:
        await fetcher("http://intergroup.example.org/meetings.json")
        raise AssertionError("a plain http feed was fetched")
    except FetchFailed as error:
        assert "only https://" in str(error)


async def test_the_public_export_shows_no_street_of_a_confidential_place(client):
    place = {"name": "Safe house", "latitude": 45.51234, "longitude": -122.65678, "confidential": True}
    place["address"] = {"address_1": "99 Hidden Ln", "city": "Portland"}
    location = (await client.post("/v1/locations", json=place, headers=ADMIN)).json()
    body = {"name": "Quiet Room", "slug": "quiet", "days": [3], "start_time": "18:00", "location_id": location["id"]}
    assert (await client.post("/v1/meetings", json=body, headers=ADMIN)).status_code == 201
    exported = (await client.get("/v1/exports/meetings.json")).json()
    assert exported == [
        {
            "name": "Quiet Room",
            "slug": "quiet",
            "day": 3,
            "time": "18:00",
            "end_time": "19:00",
            "timezone": "America/Los_Angeles",
            "location": "Safe house",
            "latitude": 45.51,
            "longitude": -122.66,
            "approximate": "yes",
        }
    ]
