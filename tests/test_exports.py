"""Exports: reproducible HSDS files and an exact round trip through import."""

import asyncio
import csv
import datetime as dt
import io
import json
import uuid
import zipfile

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from schemas.events import EventCreate
from service.app import create_app
from service.imports.exports import write_export
from service.imports.importer import run_import
from service.queries.events import insert_event
from service.queries.exports import EVENTS_FILE
from tests.conftest import HSDS_SCHEMA, make_settings
from tests.factories import add_resource


async def export_bytes(conn: asyncpg.Connection, format: str, profile: str = "3.0") -> bytes:
    out = io.BytesIO()
    await write_export(conn, format, out, profile)
    return out.getvalue()


@pytest.mark.parametrize(
    "format, name", [("hsds-csv", "export.zip"), ("hsds-json", "export.json"), ("ndjson", "export.ndjson")]
)
async def test_round_trip_is_exact(seeded_db_url, db_url, tmp_path, format, name):
    seeded = await asyncpg.connect(seeded_db_url)
    empty = await asyncpg.connect(db_url)
    try:
        first = await export_bytes(seeded, format)
        assert first == await export_bytes(seeded, format)  # reproducible
        path = tmp_path / name
        path.write_bytes(first)
        report = await run_import(empty, path, "round-trip")
        assert report.rejections == [] and report.counts["service"].created == 320
        second = await export_bytes(empty, format)
        assert second == first
        # The copy searches like the original.
        query = "SELECT id, categories, week_open::text, latitude FROM resource_index ORDER BY id"
        assert await empty.fetch(query) == await seeded.fetch(query)
    finally:
        await seeded.close()
        await empty.close()


async def test_empty_directory_exports_valid_empty_files(conn):
    assert json.loads(await export_bytes(conn, "hsds-json")) == []
    assert await export_bytes(conn, "ndjson") == b""
    with zipfile.ZipFile(io.BytesIO(await export_bytes(conn, "hsds-csv"))) as archive:
        assert archive.read("services.csv").decode().splitlines() == [
            "id,organization_id,name,alternate_name,description,url,email,status,application_process,"
            "fees_description,eligibility_description,assured_date,minimum_age,maximum_age"
        ]


def _check_value(field: dict, value: str, where: str) -> None:
    kind = field.get("type", "string")
    if kind == "number":
        float(value)
    elif kind == "date":
        assert len(value) == 10, where
    elif field.get("format") == "uuid":
        uuid.UUID(value)
    if "enum" in field.get("constraints", {}):
        assert value in field["constraints"]["enum"], f"{where}: {value!r} not in {field['constraints']['enum']}"


@pytest.mark.skipif(not HSDS_SCHEMA.exists(), reason=f"HSDS 3.0 schemas not present at {HSDS_SCHEMA}")
async def test_tabular_export_follows_the_hsds_datapackage_descriptor(seeded_conn):
    await _add_events(seeded_conn)
    descriptor = json.loads((HSDS_SCHEMA / "datapackage.json").read_text())
    official = {resource["path"]: resource for resource in descriptor["resources"]}
    with zipfile.ZipFile(io.BytesIO(await export_bytes(seeded_conn, "hsds-csv"))) as archive:
        ours = json.loads(archive.read("datapackage.json"))
        assert ours["profile"] == "tabular-data-package"
        for resource in ours["resources"]:
            if resource["path"].startswith("x-"):
                # Our own extension (events): named so no HSDS table has its name, and said to be one.
                assert resource["path"] not in official and "extension" in resource["description"]
                continue
            spec = official[resource["path"]]
            fields = {field["name"]: field for field in spec["schema"]["fields"]}
            required = {name for name, field in fields.items() if field.get("constraints", {}).get("required")}
            rows = list(csv.DictReader(io.StringIO(archive.read(resource["path"]).decode())))
            header = [field["name"] for field in resource["schema"]["fields"]]
            assert set(header) <= fields.keys(), resource["path"]
            assert required <= set(header), (resource["path"], required - set(header))
            for number, row in enumerate(rows, start=2):
                for name, value in row.items():
                    where = f"{resource['path']}:{number} {name}"
                    if name in required:
                        assert value != "", f"{where} is required"
                    if value != "":
                        _check_value(fields[name], value, where)


async def _add_events(conn: asyncpg.Connection) -> dict[str, uuid.UUID]:
    """A recurring event at a confidential location and a one-off online one."""
    hidden = await conn.fetchval(
        "INSERT INTO locations (name, address_1, latitude, longitude, confidential, timezone) "
        "VALUES ('Safe house', '99 Hidden Ln', 45.51234, -122.65678, true, 'America/Los_Angeles') RETURNING id"
    )
    recurring = EventCreate(
        title="Expungement clinic",
        location_id=hidden,
        start_date=dt.date(2027, 1, 1),
        start_time="18:00",
        end_time="20:00",
        recurrence="FREQ=MONTHLY;BYDAY=2TU",
        exdates=[dt.date(2027, 2, 9)],
        languages=["es", "en"],
        free=True,
    )
    once = EventCreate(
        title="Naloxone training",
        online_url="https://meet.example/j/1",
        timezone="America/Chicago",
        starts_at=dt.datetime(2027, 5, 14, 23, tzinfo=dt.UTC),
        ends_at=dt.datetime(2027, 5, 15, 1, tzinfo=dt.UTC),
        capacity=20,
    )
    return {"recurring": await insert_event(conn, recurring), "once": await insert_event(conn, once)}


async def test_the_zip_carries_events_in_an_extension_file(conn):
    made = await _add_events(conn)
    with zipfile.ZipFile(io.BytesIO(await export_bytes(conn, "hsds-csv"))) as archive:
        declared = {r["path"]: r for r in json.loads(archive.read("datapackage.json"))["resources"]}
        rows = {row["id"]: row for row in csv.DictReader(io.StringIO(archive.read(EVENTS_FILE).decode()))}
    header = [field["name"] for field in declared[EVENTS_FILE]["schema"]["fields"]]
    assert header == list(next(iter(rows.values())).keys())
    recurring, once = rows[str(made["recurring"])], rows[str(made["once"])]
    assert (recurring["rrule"], recurring["exdates"], recurring["start_time"], recurring["end_time"]) == (
        "FREQ=MONTHLY;BYDAY=2TU",
        "2027-02-09",
        "18:00",
        "20:00",
    )
    assert (recurring["timezone"], recurring["languages"], recurring["free"]) == (
        "America/Los_Angeles",
        "en,es",
        "true",
    )
    assert (recurring["latitude"], recurring["longitude"], recurring["address_1"]) == ("45.51", "-122.66", "")
    assert (once["starts_at"], once["ends_at"], once["capacity"]) == (
        "2027-05-14T23:00:00.000000Z",
        "2027-05-15T01:00:00.000000Z",
        "20",
    )


def _builds(metrics: str) -> float:
    return sum(
        float(line.split()[-1]) for line in metrics.splitlines() if line.startswith("commonground_export_builds_total")
    )


async def test_the_zip_is_built_once_per_data_version_and_revalidated(seeded_db_url):
    async with AsyncTestClient(app=create_app(make_settings(seeded_db_url))) as client:
        first, second = [await client.get("/v1/exports/hsds.zip") for _ in range(2)]
        assert first.status_code == second.status_code == 200 and first.content == second.content
        assert first.headers["etag"] == second.headers["etag"] and first.headers["etag"].startswith('"')
        assert first.headers["cache-control"] == "no-cache" and "content-encoding" not in first.headers
        assert int(first.headers["content-length"]) == len(first.content)
        assert _builds((await client.get("/metrics")).text) == 1
        same = await client.get("/v1/exports/hsds.zip", headers={"If-None-Match": first.headers["etag"]})
        assert same.status_code == 304 and same.content == b"" and same.headers["etag"] == first.headers["etag"]
        since = {"If-Modified-Since": first.headers["last-modified"]}
        assert (await client.get("/v1/exports/hsds.zip", headers=since)).status_code == 304
        writer = await asyncpg.connect(seeded_db_url)
        try:
            await writer.execute(
                "UPDATE organizations SET name = name || ' (renamed)' "
                "WHERE id = (SELECT min(id::text)::uuid FROM organizations)"
            )
        finally:
            await writer.close()
        # A write makes a new version; downloads that arrive together share one build of it.
        answers = await asyncio.gather(*(client.get("/v1/exports/hsds.zip") for _ in range(3)))
        assert {answer.status_code for answer in answers} == {200}
        assert len({answer.content for answer in answers}) == 1 and answers[0].content != first.content
        assert answers[0].headers["etag"] != first.headers["etag"]
        assert _builds((await client.get("/metrics")).text) == 2
        assert (await client.get("/v1/exports/hsds.zip", headers=since)).status_code == 200
        stale = await client.get("/v1/exports/hsds.zip", headers={"If-None-Match": first.headers["etag"]})
        assert stale.status_code == 200 and stale.content == answers[0].content
    names = zipfile.ZipFile(io.BytesIO(answers[0].content)).read("organizations.csv").decode()
    assert "(renamed)" in names


FORMULAS = {
    "name": '=HYPERLINK("http://evil.test","Click")',
    "description": "=cmd|' /C calc'!A0",
    "alternate_name": "+SUM(1,1)",
    "eligibility_description": "@x",
    "fees_description": "-1+2",
    "application_process": "'=already quoted",
}


async def test_csv_export_cells_never_run_as_formulas_and_import_back_exactly(seeded_db_url, db_url, tmp_path):
    seeded = await asyncpg.connect(seeded_db_url)
    empty = await asyncpg.connect(db_url)
    try:
        service = dict(FORMULAS)
        await add_resource(seeded, 45.5, -122.6, service.pop("name"), **service)
        first = await export_bytes(seeded, "hsds-csv")
        with zipfile.ZipFile(io.BytesIO(first)) as archive:
            services = list(csv.DictReader(io.StringIO(archive.read("services.csv").decode())))
            locations = list(csv.DictReader(io.StringIO(archive.read("locations.csv").decode())))
        (row,) = [row for row in services if row["name"].startswith("'=HYPERLINK")]
        for field, value in FORMULAS.items():
            assert row[field] == "'" + value, field
        # What no spreadsheet would run: every cell either starts with none of = + - @ tab CR, or is a
        # plain number (negative longitudes stay numbers).
        for table in (services, locations):
            for cell in (value for found in table for value in found.values()):
                assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r") or float(cell) == float(cell), cell
        assert any(row["longitude"].startswith("-") for row in locations)
        path = tmp_path / "export.zip"
        path.write_bytes(first)
        report = await run_import(empty, path, "round-trip")
        assert report.rejections == []
        stored = await empty.fetchrow("SELECT * FROM services WHERE name = $1", FORMULAS["name"])
        assert {field: stored[field] for field in FORMULAS} == FORMULAS
        assert await export_bytes(empty, "hsds-csv") == first
    finally:
        await seeded.close()
        await empty.close()
