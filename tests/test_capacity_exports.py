"""Live capacity in the opt-in HSDS 3.1 profile of the exports (service_capacity + unit), and back in."""

import csv
import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import asyncpg
import pytest

from service.imports.importer import ImportFailed, run_import
from tests.test_exports import export_bytes
from tests.test_imports_messy import package

SERVICES = "id,organization_id,name\n100,1,Harbor shelter\n101,1,River naloxone\n"
ORGANIZATIONS = "id,name\n1,Harbor House\n"
# Another producer's units: its own ids, scheme and names.
UNITS = "id,name,scheme,identifier\nU1,Beds,OpenReferral,\nU2,Naloxone Kits,,\nU3,Detox chairs,County,DC\nU4,,County,\n"
CAPACITY = (
    "id,service_id,unit_id,available,maximum,updated\n"
    "C1,100,U1,3,20,2026-11-30T08:00:00Z\n"
    "C2,100,U1,5,20,2026-11-30T09:30:00.250000-05:00\n"
    "C3,101,U2,40,,2026-11-29T12:00:00Z\n"
    "C4,101,U3,2,4,2026-11-29T12:00:00Z\n"
    "C5,101,U4,1,,2026-11-29T12:00:00Z\n"
    "C6,101,U1,2.5,,2026-11-29T12:00:00Z\n"
    "C7,101,U1,9,4,2026-11-29T12:00:00Z\n"
    "C8,101,U9,1,,2026-11-29T12:00:00Z\n"
    "C9,101,U1,1,,yesterday\n"
    "C10,999,U1,1,,2026-11-29T12:00:00Z\n"
    "C11,101,U1,1,,2999-01-01T00:00:00Z\n"
    "C12,100,U1,5,20,2026-11-30T14:30:00.25Z\n"
)


def with_capacity(folder: Path) -> Path:
    return package(
        folder,
        organizations=ORGANIZATIONS,
        services=SERVICES,
        locations="id,organization_id,name,latitude,longitude\n10,1,Harbor site,45.52,-122.68\n",
        service_at_location="id,service_id,location_id\n1000,100,10\n",
        units=UNITS,
        service_capacity=CAPACITY,
    )


def latest(rows: list[asyncpg.Record]) -> list[tuple]:
    return [tuple(row) for row in rows]


LATEST = """
    SELECT s.name, c.unit, c.available, c.maximum, c.updated_at
      FROM hsds_latest_capacity c JOIN services s ON s.id = c.service_id ORDER BY s.name, c.unit
"""


async def test_units_of_other_producers_are_mapped_and_bad_counts_rejected(conn: asyncpg.Connection, tmp_path):
    report = await run_import(conn, with_capacity(tmp_path / "export"), "county")
    counts = report.counts["service_capacity"]
    assert (counts.read, counts.accepted, counts.created, counts.duplicates_collapsed) == (12, 4, 4, 1)
    reasons = {r.source_id: r.reason for r in report.rejections if r.entity == "service_capacity"}
    assert reasons == {
        "C5": "unit has no name or identifier we can read as a unit (letters first, at most 64)",
        "C6": "available '2.5' is not a whole count from 0 to 1000000",
        "C7": "available 9 is above maximum 4",
        "C8": "broken reference: unit_id 'U9' matches no unit",
        "C9": "updated 'yesterday' is not a date-time (RFC 3339, e.g. 2026-12-01T09:30:00Z)",
        "C10": "broken reference: service_id '999' matches no accepted service",
        "C11": "updated 2999-01-01T00:00:00+00:00 is in the future",
    }
    assert [(f.source_id, f.detail) for f in report.flags if f.flag == "unknown_unit"] == [
        (
            "C4",
            "unit 'Detox chairs' is none we know (bed, naloxone-kit, test-strip, appointment); kept as 'detox-chairs'",
        )
    ]
    rows = latest(await conn.fetch(LATEST))
    assert [row[:4] for row in rows] == [
        ("Harbor shelter", "bed", 5, 20),
        ("River naloxone", "detox-chairs", 2, 4),
        ("River naloxone", "naloxone-kit", 40, None),
    ]
    assert rows[0][4].isoformat() == "2026-11-30T14:30:00.250000+00:00"
    # Search shows the imported counts.
    index = await conn.fetchval("SELECT capacity FROM resource_index")
    assert [(c["unit"], c["available"]) for c in json.loads(index)] == [("bed", 5)]


async def test_a_reimport_adds_no_report_and_a_new_count_adds_history(conn: asyncpg.Connection, tmp_path):
    folder = with_capacity(tmp_path / "export")
    await run_import(conn, folder, "county")
    stored = await conn.fetchval("SELECT count(*) FROM service_capacity")
    again = await run_import(conn, folder, "county")
    assert (again.counts["service_capacity"].created, again.counts["service_capacity"].unchanged) == (0, 4)
    assert await conn.fetchval("SELECT count(*) FROM service_capacity") == stored
    # The producer keeps one row per unit and sends it again with a new count under the same id.
    (folder / "service_capacity.csv").write_text(
        "id,service_id,unit_id,available,maximum,updated\nC2,100,U1,0,20,2026-12-01T07:00:00Z\n"
    )
    newer = await run_import(conn, folder, "county")
    assert newer.counts["service_capacity"].created == 1
    assert await conn.fetchval("SELECT count(*) FROM service_capacity") == stored + 1
    assert latest(await conn.fetch(LATEST))[0][:3] == ("Harbor shelter", "bed", 0)


async def test_a_failed_import_leaves_no_capacity(conn: asyncpg.Connection, tmp_path):
    with pytest.raises(ImportFailed):
        await run_import(conn, with_capacity(tmp_path / "export"), "county", strict=True)
    assert await conn.fetchval("SELECT count(*) FROM service_capacity") == 0
    dry = await run_import(conn, with_capacity(tmp_path / "export"), "county", dry_run=True)
    assert dry.counts["service_capacity"].created == 4
    assert await conn.fetchval("SELECT count(*) FROM service_capacity") == 0


def _members(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


async def test_the_31_profile_adds_capacity_and_30_has_none(conn: asyncpg.Connection, tmp_path):
    await run_import(conn, with_capacity(tmp_path / "export"), "county")
    plain = _members(await export_bytes(conn, "hsds-csv"))
    assert "service_capacity.csv" not in plain and "units.csv" not in plain
    assert json.loads(plain["datapackage.json"])["version"] == "3.0"
    assert all("capacities" not in service for service in json.loads(await export_bytes(conn, "hsds-json")))

    full = _members(await export_bytes(conn, "hsds-csv", "3.1"))
    assert {name: text for name, text in full.items() if name in plain} == plain | {
        "datapackage.json": full["datapackage.json"]
    }
    descriptor = json.loads(full["datapackage.json"])
    assert descriptor["version"] == "3.1"
    fields = {r["name"]: {f["name"]: f for f in r["schema"]["fields"]} for r in descriptor["resources"]}
    assert fields["service_capacity"]["available"]["type"] == "number"
    assert fields["service_capacity"]["updated"]["type"] == "datetime"
    assert fields["service_capacity"]["unit_id"]["format"] == "uuid"
    units = list(csv.DictReader(io.StringIO(full["units.csv"])))
    assert sorted((u["name"], u["scheme"], u["identifier"]) for u in units) == [
        ("Bed", "CommonGround", "bed"),
        ("Detox Chairs", "CommonGround", "detox-chairs"),
        ("Naloxone Kit", "CommonGround", "naloxone-kit"),
    ]
    capacity = list(csv.DictReader(io.StringIO(full["service_capacity.csv"])))
    by_unit = {u["id"]: u["identifier"] for u in units}
    assert sorted((by_unit[c["unit_id"]], c["available"], c["maximum"], c["updated"]) for c in capacity) == [
        ("bed", "5", "20", "2026-11-30T14:30:00.250000Z"),
        ("detox-chairs", "2", "4", "2026-11-29T12:00:00.000000Z"),
        ("naloxone-kit", "40", "", "2026-11-29T12:00:00.000000Z"),
    ]

    services = {s["name"]: s for s in json.loads(await export_bytes(conn, "hsds-json", "3.1"))}
    (bed,) = services["Harbor shelter"]["capacities"]
    assert bed["unit"]["name"] == "Bed" and bed["unit_id"] == bed["unit"]["id"]
    assert (bed["available"], bed["maximum"], bed["updated"]) == (5, 20, "2026-11-30T14:30:00.250000Z")
    assert bed["service_id"] == services["Harbor shelter"]["id"]
    assert [c["unit"]["identifier"] for c in services["River naloxone"]["capacities"]] == [
        "detox-chairs",
        "naloxone-kit",
    ]


@pytest.mark.parametrize("format", ["hsds-csv", "hsds-json", "ndjson"])
async def test_capacity_round_trips_exactly(db_url, other_db_url, tmp_path, format):
    first_store, second_store = await asyncpg.connect(db_url), await asyncpg.connect(other_db_url)
    try:
        await run_import(first_store, with_capacity(tmp_path / "export"), "county")
        first = await export_bytes(first_store, format, "3.1")
        path = tmp_path / {"hsds-csv": "out.zip", "hsds-json": "out.json", "ndjson": "out.ndjson"}[format]
        path.write_bytes(first)
        report = await run_import(second_store, path, "round-trip")
        assert report.rejections == [] and report.flags == []
        assert report.counts["service_capacity"].created == 3
        assert await export_bytes(second_store, format, "3.1") == first
        assert latest(await second_store.fetch(LATEST)) == latest(await first_store.fetch(LATEST))
        assert (await run_import(second_store, path, "round-trip")).counts["service_capacity"].created == 0
    finally:
        await first_store.close()
        await second_store.close()


async def test_json_capacities_of_another_producer_are_read(conn: asyncpg.Connection, tmp_path):
    service = {
        "id": "7d1c6c0e-8f7a-4b59-9d3e-2b1f5a0c9e01",
        "name": "Harbor shelter",
        "organization": {"id": "7d1c6c0e-8f7a-4b59-9d3e-2b1f5a0c9e02", "name": "Harbor House"},
        "capacities": [
            {
                "id": "k1",
                "unit": {"id": "x", "name": "Test Strips"},
                "available": 12.0,
                "updated": "2026-11-30T08:00:00",
            },
            # Only the id of one of our units, as a tabular-minded producer writes it.
            {
                "id": "k2",
                "unit_id": "ffffffff-ffff-3fff-8fff-ffffffffffff",
                "available": 1,
                "updated": "2026-11-30T08:00Z",
            },
            {"id": "k3", "unit": "bed", "available": 1, "updated": "2026-11-30T08:00Z"},
            {
                "id": "k4",
                "unit": {"name": "Appointments", "scheme": "CommonGround", "identifier": "Appointments"},
                "available": "4",
                "maximum": 6,
                "updated": "2026-11-30T08:00:00+02:00",
            },
            {"id": "k5", "unit": {"name": "Bed"}, "available": 10**400, "updated": "2026-11-30T08:00Z"},
            {"id": "k6", "unit": {"name": "Bed"}, "available": 1, "updated": "9999-12-31T23:59:59-01:00"},
            {"id": "k7", "unit": {"name": "Bed"}, "available": {"n": 1}, "updated": "2026-11-30T08:00Z"},
            "not an object",
        ],
    }
    path = tmp_path / "services.json"
    path.write_text(json.dumps([service]))
    report = await run_import(conn, path, "partner")
    assert {r.source_id: r.reason for r in report.rejections} == {
        "k2": "broken reference: unit_id 'ffffffff-ffff-3fff-8fff-ffffffffffff' matches no unit",
        "k3": "missing required unit (an object with a name, or a unit_id)",
        "k5": f"available {str(10**400)[:40]!r} is not a number",
        "k6": "updated '9999-12-31T23:59:59-01:00' is not a date-time (RFC 3339, e.g. 2026-12-01T09:30:00Z)",
        "k7": "available \"{'n': 1}\" is not a number",
    }
    assert [(f.source_id, f.flag) for f in report.flags] == [("k1", "text_normalised")]
    assert latest(await conn.fetch(LATEST)) == [
        ("Harbor shelter", "appointment", 4, 6, dt.datetime(2026, 11, 30, 6, 0, tzinfo=dt.UTC)),
        ("Harbor shelter", "test-strip", 12, None, dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)),
    ]


async def test_the_zip_route_serves_the_31_profile_and_a_count_leaves_the_30_zip_as_it_was(
    client, conn: asyncpg.Connection, tmp_path
):
    await run_import(conn, with_capacity(tmp_path / "export"), "county")
    plain, full = await client.get("/v1/exports/hsds.zip"), await client.get("/v1/exports/hsds.zip?profile=3.1")
    assert plain.status_code == full.status_code == 200 and plain.headers["etag"] != full.headers["etag"]
    assert "service_capacity.csv" not in _members(plain.content) and "units.csv" in _members(full.content)
    assert _members(full.content) == _members(await export_bytes(conn, "hsds-csv", "3.1"))
    assert full.headers["content-disposition"] == 'attachment; filename="commonground-hsds-3.1.zip"'
    await conn.execute(
        "INSERT INTO service_capacity (service_id, unit, available) SELECT id, 'bed', 1 FROM services WHERE name = $1",
        "Harbor shelter",
    )
    newer = await client.get("/v1/exports/hsds.zip?profile=3.1", headers={"If-None-Match": full.headers["etag"]})
    assert newer.status_code == 200 and ",1,,," in _members(newer.content)["service_capacity.csv"]
    for headers in ({"If-None-Match": plain.headers["etag"]}, {"If-Modified-Since": plain.headers["last-modified"]}):
        assert (await client.get("/v1/exports/hsds.zip", headers=headers)).status_code == 304
    wrong = await client.get("/v1/exports/hsds.zip?profile=3.2")
    assert 400 <= wrong.status_code < 500 and wrong.headers["content-type"] == "application/problem+json"
    assert [param["name"] for param in wrong.json()["invalid_params"]] == ["profile"]
