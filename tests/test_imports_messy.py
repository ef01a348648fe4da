"""Real 211 exports are messier than their specification: what an import keeps, flags and collapses
instead of losing (HSDS 1.1 tabular packages written here, a few rows each)."""

import json
import zipfile
from pathlib import Path

import asyncpg
import pytest

from service.imports.importer import run_import
from tests.conftest import ADMIN
from tests.test_exports import export_bytes


def package(folder: Path, **tables: str) -> Path:
    """A folder of CSV tables, as an HSDS 1.1 transformer writes them."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in tables.items():
        (folder / f"{name}.csv").write_text(content)
    return folder


# Three of four locations, and two of three services, name organizations the export lacks.
ORGANIZATIONS = "id,name\n1,Harbor House\n"
LOCATIONS = (
    "id,organization_id,name,latitude,longitude\n"
    "10,1,Harbor site,45.52,-122.68\n"
    "11,8620,River site,45.50,-122.66\n"
    "12,8620,Bridge site,45.51,-122.67\n"
    "13,9999,Hill site,45.53,-122.69\n"
)
SERVICES = (
    "id,organization_id,name\n100,1,Harbor shelter\n101,8620,River naloxone\n102,8620,Bridge rides\n103,,Hill meals\n"
)
SAL = "id,service_id,location_id\n1000,100,10\n1001,101,11\n1002,102,12\n1003,103,13\n"
PHONES = "id,service_id,number\n1,101,503-555-0101\n2,102,503-555-0102\n3,101,(503) 555-0101\n"
SCHEDULES = "id,service_id,weekday,opens_at,closes_at\n1,101,Monday,09:00,17:00\n"
# A hierarchy whose parent no service uses.
TAXONOMY = "id,name,parent_id,vocabulary\nT0,Harm reduction,,AIRS\nT1,Naloxone,T0,AIRS\n"
LINKS = "id,service_id,taxonomy_id\n1,101,T1\n2,101,T1\n"


def messy(folder: Path) -> Path:
    return package(
        folder,
        organizations=ORGANIZATIONS,
        locations=LOCATIONS,
        services=SERVICES,
        services_at_location=SAL,
        phones=PHONES,
        regular_schedules=SCHEDULES,
        taxonomy=TAXONOMY,
        services_taxonomy=LINKS,
    )


def flags(report, name: str) -> list[tuple[str, str | None, str]]:
    return [(f.entity, f.source_id, f.detail) for f in report.flags if f.flag == name]


async def test_missing_organizations_lose_no_location_service_phone_or_schedule(conn: asyncpg.Connection, tmp_path):
    report = await run_import(conn, messy(tmp_path / "export"), "county-211")
    assert report.rejections == []
    assert {entity: (c.read, c.created) for entity, c in report.counts.items() if c.read} == {
        "organization": (1, 3),
        "location": (4, 4),
        "service": (4, 4),
        "service_at_location": (4, 4),
        "phone": (3, 2),
        "schedule": (1, 1),
        "taxonomy_term": (2, 2),
        "service_taxonomy_term": (2, 0),  # links are replaced as a set, not counted as created
    }
    assert report.counts["service_taxonomy_term"].accepted == 1
    assert report.counts["organization"].placeholders == 2
    assert report.counts["phone"].duplicates_collapsed == 1
    assert report.counts["service_taxonomy_term"].duplicates_collapsed == 1
    # Locations: only the link goes, flagged with the field and the missing id; those whose organization
    # stands in for services too join its placeholder.
    ((entity, sid, detail),) = flags(report, "broken_reference_dropped")
    assert (entity, sid) == ("location", "13") and "organization_id '9999' matches no organization" in detail
    assert await conn.fetchval("SELECT count(*) FROM locations WHERE organization_id IS NULL") == 1
    # Services: one placeholder per missing source id, named for a curator.
    names = await conn.fetch(
        "SELECT s.name AS service, o.name AS organization FROM services s"
        " JOIN organizations o ON o.id = s.organization_id ORDER BY s.name"
    )
    assert [tuple(row) for row in names] == [
        ("Bridge rides", "Unknown organization (source id 8620)"),
        ("Harbor shelter", "Harbor House"),
        ("Hill meals", "Unknown organization (none given)"),
        ("River naloxone", "Unknown organization (source id 8620)"),
    ]
    placeholders = flags(report, "broken_reference_placeholder")
    assert sorted((entity, sid) for entity, sid, _ in placeholders) == [
        ("location", "11"),
        ("location", "12"),
        ("service", "101"),
        ("service", "102"),
        ("service", "103"),
    ]
    assert [sid for _, sid, _ in flags(report, "placeholder_organization")] == ["8620", "~no-organization"]
    # Every service is searchable where it is.
    assert await conn.fetchval("SELECT count(*) FROM resource_index WHERE latitude IS NOT NULL") == 4


async def test_a_later_import_with_the_organization_replaces_its_placeholder(conn: asyncpg.Connection, tmp_path):
    await run_import(conn, messy(tmp_path / "first"), "county-211")
    fixed = messy(tmp_path / "second")
    (fixed / "organizations.csv").write_text(ORGANIZATIONS + "8620,River Recovery Center\n")
    report = await run_import(conn, fixed, "county-211")
    assert report.counts["organization"].placeholders == 1  # for the service that names none
    assert await conn.fetchval("SELECT count(*) FROM organizations") == 3
    assert (
        await conn.fetchval(
            "SELECT o.name FROM services s JOIN organizations o ON o.id = s.organization_id"
            " WHERE s.name = 'River naloxone'"
        )
        == "River Recovery Center"
    )


async def test_a_placeholder_a_curator_renamed_is_kept_by_the_next_import(conn: asyncpg.Connection, tmp_path):
    await run_import(conn, messy(tmp_path / "first"), "county-211")
    await conn.execute("UPDATE organizations SET name = 'River Recovery Center' WHERE name LIKE '%8620%'")
    report = await run_import(conn, messy(tmp_path / "second"), "county-211")
    assert report.counts["organization"].placeholders == 1  # the renamed one is fixed, not the other
    assert await conn.fetchval("SELECT count(*) FROM organizations WHERE name = 'River Recovery Center'") == 1


def descriptor(*paths: str) -> str:
    resources = [{"name": Path(path).stem, "path": path} for path in paths]
    return json.dumps({"name": "county-211", "resources": resources})


TABLES = {"organizations.csv": ORGANIZATIONS, "locations.csv": LOCATIONS, "services.csv": SERVICES}
TABLES["services_at_location.csv"] = SAL


def zipped(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


async def test_files_are_found_where_the_descriptor_says_or_by_their_name(conn: asyncpg.Connection, tmp_path):
    # The descriptor names organizations.csv at its side while the files sit in data/; it also
    # declares a phones table the export does not hold.
    moved = {f"data/{name}": content for name, content in TABLES.items()}
    declared = descriptor(*TABLES, "phones.csv")
    report = await run_import(conn, zipped(tmp_path / "a.zip", {"datapackage.json": declared, **moved}), "a")
    assert report.counts["service"].created == 4 and report.counts["location"].created == 4
    assert report.found_by["data/organizations.csv"] == "file name (declared as organizations.csv)"
    assert report.missing_files == ["phones.csv"]
    # The reverse: declared under data/, lying at the top; and a zip with one top folder.
    declared = descriptor(*(f"data/{name}" for name in TABLES))
    report = await run_import(conn, zipped(tmp_path / "b.zip", {"datapackage.json": declared, **TABLES}), "b")
    assert report.counts["service"].created == 4
    assert report.found_by["services.csv"] == "file name (declared as data/services.csv)"
    wrapped = {"export/datapackage.json": descriptor(*TABLES), **{f"export/{n}": c for n, c in TABLES.items()}}
    report = await run_import(conn, zipped(tmp_path / "c.zip", wrapped), "c")
    assert report.counts["service"].created == 4 and report.missing_files == []
    assert set(report.found_by.values()) == {"declared path"}


async def test_half_filled_hours_keep_what_has_a_meaning(conn: asyncpg.Connection, tmp_path):
    hours = (
        "id,service_id,weekday,opens_at,closes_at,description\n"
        "1,100,Monday,9am-5pm,,\n"
        "2,100,Tuesday,,,Closed\n"
        "3,100,Wednesday,,,By appointment\n"
        "4,100,Thursday,24 hours,,\n"
        "5,100,Friday,9:00,,\n"
        "6,100,Saturday,9-1,,\n"
    )
    folder = messy(tmp_path / "export")
    (folder / "regular_schedules.csv").write_text(hours)
    report = await run_import(conn, folder, "county-211")
    assert [r for r in report.rejections if r.entity == "schedule"] == []
    counts = report.counts["schedule"]
    assert (counts.read, counts.created, counts.text_only) == (6, 3, 3)
    assert [(f.source_id, f.flag) for f in report.flags if f.entity == "schedule"] == [
        ("1", "hours_from_text"),
        ("2", "hours_closed"),
        ("3", "hours_kept_as_text"),
        ("4", "hours_from_text"),
        ("5", "hours_kept_as_text"),
        ("6", "hours_from_text"),
    ]
    stored = await conn.fetch("SELECT weekday, opens_at::text, closes_at::text FROM schedules ORDER BY weekday")
    assert [tuple(row) for row in stored] == [
        (1, "09:00:00", "17:00:00"),
        (4, "00:00:00", "24:00:00"),
        (6, "09:00:00", "13:00:00"),
    ]


def with_a_zip_only_place(folder: Path) -> Path:
    """The messy export, one of whose locations gives no coordinates but a ZIP code."""
    (folder / "locations.csv").write_text(LOCATIONS + "14,1,Harbor annex,,\n")
    (folder / "addresses.csv").write_text(
        "id,location_id,address_1,city,state_province,postal_code,country\n1,14,,Portland,OR,97201,US\n"
    )
    (folder / "services_at_location.csv").write_text(SAL + "1004,100,14\n")
    (folder / "services.csv").write_text(WORDY_SERVICES)
    (folder / "phones.csv").write_text(PHONES + WORDY_PHONES)
    return folder


# Text in the shapes exports write it: HTML, literal \n, trailing markers, extensions, letters, spaces.
WORDY_SERVICES = (
    "id,organization_id,name,description,email\n"
    '100,1,Harbor shelter,"<p>Beds &amp; meals</p><ul><li>Showers</li><li>Lockers</li></ul>",info @ harbor.org\n'
    "101,8620,River naloxone,Kits at the desk.\\nNo questions asked. ###MON### ###TUE###,mailto:river@example.org\n"
    "102,8620,Bridge rides,Rides to court and clinics,\n"
    "103,,Hill meals,Hot meals,\n"
)
WORDY_PHONES = "4,100,503-555-0199 ext. 12\n5,103,1-800-FLOWERS\n"


async def test_text_in_the_wrong_shape_is_made_plain_and_flagged(conn: asyncpg.Connection, tmp_path):
    report = await run_import(conn, with_a_zip_only_place(messy(tmp_path / "export")), "county-211")
    stored = {row["name"]: row for row in await conn.fetch("SELECT name, description, email FROM services")}
    assert stored["Harbor shelter"]["description"] == "Beds & meals\n\n- Showers\n- Lockers"
    assert stored["Harbor shelter"]["email"] == "info@harbor.org"
    assert stored["River naloxone"]["description"] == "Kits at the desk.\nNo questions asked."
    assert stored["River naloxone"]["email"] == "river@example.org"
    phones = {tuple(row) for row in await conn.fetch("SELECT number, extension FROM phones")}
    assert {("503-555-0199", "12"), ("1-800-3569377", None)} <= phones
    normalised = [(f.entity, f.source_id) for f in report.flags if f.flag == "text_normalised"]
    assert sorted(normalised) == [
        ("phone", "4"),
        ("phone", "5"),
        ("service", "100"),
        ("service", "100"),
        ("service", "101"),
        ("service", "101"),
    ]
    assert "was '<p>Beds &amp; meals" in next(f.detail for f in report.flags if f.flag == "text_normalised")
    assert report.rejections == []


async def test_a_place_with_only_a_zip_stands_at_its_centre_marked_approximate(client, conn, tmp_path):
    report = await run_import(conn, with_a_zip_only_place(messy(tmp_path / "export")), "county-211")
    ((sid, detail),) = [(f.source_id, f.detail) for f in report.flags if f.flag == "approximate_position"]
    assert sid == "14" and "ZIP 97201" in detail
    place = await conn.fetchrow(
        "SELECT id, latitude, longitude, approximate FROM locations WHERE name = 'Harbor annex'"
    )
    assert place["approximate"] and abs(place["latitude"] - 45.5) < 0.1 and abs(place["longitude"] + 122.7) < 0.1
    found = (await client.get("/v1/resources", params={"zip": "97201", "limit": 50})).json()["items"]
    (annex,) = [item for item in found if item["location"]["name"] == "Harbor annex"]
    assert annex["location"]["approximate"] is True and annex["distance_m"] < 10
    assert all(not item["location"]["approximate"] for item in found if item is not annex)
    listed = (await client.get(f"/v1/locations/{place['id']}")).json()
    assert listed["approximate"] is True
    # HSDS has no way to say approximate: no coordinates there, the address keeps the ZIP.
    service = await conn.fetchval("SELECT id FROM services WHERE name = 'Harbor shelter'")
    document = (await client.get(f"/hsds/services/{service}")).json()
    (hsds,) = [sal["location"] for sal in document["service_at_locations"] if sal["location"]["name"] == "Harbor annex"]
    assert "latitude" not in hsds and hsds["addresses"][0]["postal_code"] == "97201"

    # Real coordinates, from a person or a later import, clear it.
    moved = await client.patch(
        f"/v1/locations/{place['id']}",
        json={"latitude": 45.515, "longitude": -122.679},
        headers={**ADMIN, "If-Match": "*"},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["approximate"] is False
    assert await conn.fetchval("SELECT approximate FROM locations WHERE id = $1", place["id"]) is False


@pytest.mark.parametrize("format", ["hsds-csv", "hsds-json", "ndjson"])
async def test_a_messy_export_round_trips_exactly(db_url, other_db_url, tmp_path, format):
    first_store, second_store = await asyncpg.connect(db_url), await asyncpg.connect(other_db_url)
    try:
        await run_import(first_store, with_a_zip_only_place(messy(tmp_path / "export")), "county-211")
        first = await export_bytes(first_store, format)
        path = tmp_path / {"hsds-csv": "out.zip", "hsds-json": "out.json", "ndjson": "out.ndjson"}[format]
        path.write_bytes(first)
        report = await run_import(second_store, path, "round-trip")
        assert report.rejections == []
        assert await export_bytes(second_store, format) == first
        query = "SELECT name, latitude, longitude, approximate FROM locations ORDER BY name"
        assert await second_store.fetch(query) == await first_store.fetch(query)
        hierarchy = "SELECT t.name, p.name FROM taxonomy_terms t JOIN taxonomy_terms p ON p.id = t.parent_id"
        assert [tuple(row) for row in await second_store.fetch(hierarchy)] == [("Naloxone", "Harm reduction")]
    finally:
        await first_store.close()
        await second_store.close()


async def test_languages_named_inside_a_phrase_are_read_unless_denied(conn: asyncpg.Connection, tmp_path):
    folder = messy(tmp_path / "export")
    (folder / "services.csv").write_text(
        "id,organization_id,name,languages\n"
        "100,1,Harbor shelter,Spanish speaker available Fridays\n"
        '101,8620,River naloxone,"ASL with one week\'s notice, English"\n'
        "102,8620,Bridge rides,No Spanish spoken\n"
        "103,,Hill meals,Accommodations possible\n"
    )
    report = await run_import(conn, folder, "county-211")
    languages = {row["name"]: row["languages"] for row in await conn.fetch("SELECT name, languages FROM services")}
    assert languages == {
        "Harbor shelter": ["es"],
        "River naloxone": ["ase", "en"],
        "Bridge rides": [],
        "Hill meals": [],
    }
    assert [f.source_id for f in report.flags if f.flag == "text_normalised"] == ["100", "101"]
    assert sorted(f.source_id for f in report.flags if f.flag == "field_dropped") == ["102", "103"]
