"""Imports: every accepted format, the report, atomicity, re-import in place."""

import json
import zipfile
from pathlib import Path

import asyncpg
import pytest

from service.imports.formats import Limits
from service.imports.importer import ImportFailed, run_import
from tests.factories import copy_tables, ohana_export, read_csv, write_csv

TABLES = (
    "organizations",
    "services",
    "locations",
    "service_at_location",
    "phones",
    "schedules",
    "service_categories",
    "taxonomy_terms",
    "service_taxonomy_terms",
    "source_records",
    "resource_index",
)


async def counts(conn: asyncpg.Connection) -> dict[str, int]:
    return {table: await conn.fetchval(f"SELECT count(*) FROM {table}") for table in TABLES}


async def test_ohana_export_imports_with_a_report_that_accounts_for_every_row(conn, tmp_path):
    report = await run_import(conn, ohana_export(tmp_path / "ohana"), "harbor")
    assert report.format == "tabular" and report.committed
    assert {
        e: (c.read, c.rejected, c.created)
        for e, c in report.counts.items()
        if e in ("organization", "location", "service", "phone", "schedule")
    } == {
        "organization": (2, 1, 1),
        "location": (3, 1, 2),
        "service": (4, 1, 3),
        "phone": (2, 0, 2),
        "schedule": (2, 1, 1),
    }
    reasons = {(r.file, r.line, r.entity): r.reason for r in report.rejections}
    assert reasons[("organizations.csv", 3, "organization")] == "missing required name"
    assert reasons[("locations.csv", 4, "location")] == "latitude 100 is outside -90..90"
    assert reasons[("services.csv", 5, "service")] == "missing required name"
    # The service stays; its link to the rejected location does not.
    assert reasons[("services.csv", 4, "service_at_location")] == (
        "broken reference: location_id '3' matches no accepted location"
    )
    assert reasons[("regular_schedules.csv", 3, "schedule")].startswith("unparseable hours")
    assert [(f.file, f.line, f.flag) for f in report.flags if f.flag == "no_coordinates"] == [
        ("locations.csv", 3, "no_coordinates")
    ]
    assert "README.txt" in report.ignored_files
    assert [(t.code, t.name) for t in report.unmapped_terms] == [("999", "Knitting")]

    shelter = await conn.fetchrow("SELECT * FROM services WHERE name = 'Harbor Shelter'")
    assert shelter["languages"] == ["es"] and shelter["eligibility_description"] == "Adults"
    assert await conn.fetchval("SELECT website FROM organizations") == "http://harbor.org"
    categories = {
        row["name"]: row["slugs"]
        for row in await conn.fetch(
            "SELECT s.name, array_agg(sc.category_slug ORDER BY sc.category_slug) AS slugs FROM services s "
            "JOIN service_categories sc ON sc.service_id = s.id GROUP BY s.name"
        )
    }
    assert categories == {"Harbor Shelter": ["emergency-shelter"], "Harbor Legal Clinic": ["legal-aid"]}
    overnight = await conn.fetchrow("SELECT weekday, opens_at::text, closes_at::text FROM schedules")
    assert tuple(overnight) == (1, "21:00:00", "07:00:00")
    # Kept without coordinates, but never in a distance search.
    index = {
        row["name"]: row["geo"] for row in await conn.fetch("SELECT name, geo IS NOT NULL AS geo FROM resource_index")
    }
    assert index == {"Harbor Shelter": True, "Harbor Legal Clinic": False}
    assert await conn.fetchval("SELECT timezone FROM locations WHERE name = 'Harbor House Main'") == "America/New_York"


async def test_reimport_updates_in_place_and_drops_what_the_source_dropped(conn, tmp_path):
    folder = ohana_export(tmp_path / "ohana")
    await run_import(conn, folder, "harbor")
    before = await counts(conn)
    again = await run_import(conn, folder, "harbor")
    assert all(c.created == 0 and c.updated == 0 for c in again.counts.values())
    assert await counts(conn) == before

    rows = read_csv(folder / "services.csv")
    rows[0]["description"] = "Beds tonight, call first"
    write_csv(folder, "services.csv", rows)
    phones = read_csv(folder / "phones.csv")
    write_csv(folder, "phones.csv", phones[1:])
    changed = await run_import(conn, folder, "harbor")
    assert (changed.counts["service"].updated, changed.counts["service"].unchanged) == (1, 2)
    assert await conn.fetchval("SELECT count(*) FROM phones") == 1
    assert await conn.fetchval("SELECT count(*) FROM services") == 3
    head = await conn.fetchval("SELECT head FROM resource_index WHERE name = 'Harbor Shelter'")
    assert "call first" in head and "555-0100" not in head

    other = await run_import(conn, folder, "another-publisher")
    assert other.counts["service"].created == 3  # a different source is a different listing
    assert await conn.fetchval("SELECT count(*) FROM services") == 6


async def test_strict_dry_run_and_database_failure_leave_nothing(conn, tmp_path):
    folder = ohana_export(tmp_path / "ohana")
    empty = await counts(conn)
    with pytest.raises(ImportFailed) as strict:
        await run_import(conn, folder, "harbor", strict=True)
    assert "rejected" in str(strict.value) and strict.value.report.counts["service"].rejected == 1
    assert await counts(conn) == empty

    dry = await run_import(conn, folder, "harbor", dry_run=True)
    assert dry.dry_run and not dry.committed and dry.counts["service"].created == 3
    assert await counts(conn) == empty

    # A real error from the database midway through the load (after organizations and services).
    await conn.execute("""
        CREATE FUNCTION refuse_fax() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.type = 'fax' THEN RAISE EXCEPTION 'fax numbers refused'; END IF; RETURN NEW; END $$;
        CREATE TRIGGER refuse_fax BEFORE INSERT ON phones FOR EACH ROW EXECUTE FUNCTION refuse_fax();
    """)
    with pytest.raises(ImportFailed, match="fax numbers refused"):
        await run_import(conn, folder, "harbor")
    assert await counts(conn) == empty


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"\x00\x01binary", "not JSON, NDJSON, CSV"),
        (b'[{"id": ', "not valid JSON"),
        (b"PK\x03\x04broken", "broken zip file"),
    ],
)
async def test_unreadable_files_fail_cleanly(conn, tmp_path, content, reason):
    path = tmp_path / "upload.bin"
    path.write_bytes(content)
    with pytest.raises(ImportFailed, match=reason):
        await run_import(conn, path, "junk")
    assert await conn.fetchval("SELECT count(*) FROM organizations") == 0


async def test_a_zip_of_csv_without_known_tables_is_refused(conn, tmp_path):
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("people.csv", "id,name\n1,Ann\n")
    with pytest.raises(ImportFailed, match="no organizations, services or locations table"):
        await run_import(conn, path, "other")


def hsds_service(number: int, **extra: object) -> dict[str, object]:
    org = "9a4a3c1e-0000-4000-8000-000000000001"
    return {
        "id": f"5e1c0b9a-0000-4000-8000-{number:012d}",
        "name": f"Service {number}",
        "status": "active",
        "organization": {
            "id": org,
            "name": "Org",
            "description": "An org",
            "phones": [{"id": "7d0c7c1e-0000-4000-8000-000000000099", "number": "555-0199"}],
        },
        "phones": [{"id": f"7d0c7c1e-0000-4000-8000-{number:012d}", "number": f"555-01{number:02d}"}],
        "schedules": [
            {
                "id": f"3c2b1a00-0000-4000-8000-{number:012d}",
                "freq": "WEEKLY",
                "byday": "MO,WE",
                "opens_at": "09:00:00",
                "closes_at": "17:00:00",
            },
            {
                "id": f"3c2b1a00-0000-4000-8001-{number:012d}",
                "freq": "MONTHLY",
                "byday": "1MO",
                "opens_at": "09:00:00",
                "closes_at": "17:00:00",
            },
        ],
        "languages": [{"id": "1", "code": "es"}],
        "service_at_locations": [
            {
                "id": f"aa000000-0000-4000-8000-{number:012d}",
                "location": {
                    "id": "bb000000-0000-4000-8000-000000000001",
                    "location_type": "physical",
                    "name": "Hall",
                    "latitude": 21.3069,
                    "longitude": -157.8583,
                    "addresses": [
                        {
                            "id": "x",
                            "address_1": "1 King St",
                            "city": "Honolulu",
                            "state_province": "HI",
                            "postal_code": "96813",
                            "country": "US",
                            "address_type": "physical",
                        }
                    ],
                },
            }
        ],
        "attributes": [
            {
                "id": "a1",
                "taxonomy_term_id": "cc000000-0000-4000-8000-000000000001",
                "taxonomy_term": {
                    "id": "cc000000-0000-4000-8000-000000000001",
                    "name": "Naloxone",
                    "description": "",
                    "taxonomy": "Custom",
                },
            }
        ],
        **extra,
    }


@pytest.mark.parametrize("shape", ["list", "page", "ndjson"])
async def test_hsds_json_shapes_import(conn, tmp_path, shape):
    services = [hsds_service(1), hsds_service(2), {"id": "bad", "status": "active"}]
    path = tmp_path / ("services.ndjson" if shape == "ndjson" else "services.json")
    if shape == "ndjson":
        path.write_text("\n".join(json.dumps(s) for s in services) + "\n")
    else:
        path.write_text(json.dumps(services if shape == "list" else {"contents": services, "total_items": 3}))
    report = await run_import(conn, path, "hsds")
    assert report.format == ("ndjson" if shape == "ndjson" else "hsds-json")
    assert (report.counts["service"].created, report.counts["service"].rejected) == (2, 1)
    assert report.counts["location"].created == 1 and report.counts["organization"].created == 1
    assert report.counts["phone"].created == 3  # the organization's phone, repeated, is one phone
    assert report.counts["schedule"].created == 4 and report.counts["schedule"].rejected == 2
    assert {r.reason.split(":")[0] for r in report.rejections} == {"missing required name", "unparseable hours"}
    assert await conn.fetchval("SELECT count(*) FROM service_categories WHERE category_slug = 'naloxone'") == 2
    assert await conn.fetchval("SELECT timezone FROM locations") == "Pacific/Honolulu"
    assert await conn.fetchval("SELECT string_agg(DISTINCT array_to_string(languages, ','), ';') FROM services") == "es"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-32"])
async def test_a_json_document_is_read_a_service_at_a_time(conn, tmp_path, monkeypatch, encoding):
    from service.imports import formats

    # Parts of 7 bytes: every name, number and service is cut somewhere; the page's contents come
    # between other fields.
    monkeypatch.setattr(formats, "_JSON_CHUNK", 7)
    held: list[int] = []
    more = formats.JsonText.more

    def watched(self, size=None):
        held.append(len(self.text))
        return more(self, size)

    monkeypatch.setattr(formats.JsonText, "more", watched)
    services = [hsds_service(n) for n in range(1, 41)] + [{"id": "bad", "status": "active", "n": 12345678}]
    page = {"total_items": 41, "contents": services, "page": {"number": 1.5e3, "last": True, "next": None}}
    path = tmp_path / "services.json"
    path.write_bytes(json.dumps(page, indent=2, ensure_ascii=False).encode(encoding))
    report = await run_import(conn, path, "hsds")
    assert (report.counts["service"].created, report.counts["service"].rejected) == (40, 1)
    one = len(json.dumps(hsds_service(1), indent=2))
    assert max(held) < 3 * one < len(json.dumps(page, indent=2)) / 10  # never the whole document


@pytest.mark.parametrize(
    "text, reason",
    [
        ('[\n  {"id": "1", "name": "A"},\n  {"id": "2" "name": "B"}\n]', r"Expecting ',' delimiter: line 3 column 14"),
        ('[\n  {"id": "1", "name": "A"}\n  {"id": "2"}\n]', r"expected , or \] after a value: line 3 column 3"),
        ('[{"id": "1", "name": "A"}] []', "more after the document's end: line 1 column 28"),
        ('{"contents": [{"id": "1", "name": "A"}], "total": }', "Expecting value: line 1 column 51"),
        ("  ", "the document is empty"),
        ("true", "expected a list of HSDS services, a page with contents, or one service, not bool"),
    ],
)
async def test_a_broken_json_document_names_where_read_in_parts(conn, tmp_path, monkeypatch, text, reason):
    from service.imports import formats

    monkeypatch.setattr(formats, "_JSON_CHUNK", 5)
    path = tmp_path / "broken.json"
    path.write_text(text)
    with pytest.raises(ImportFailed, match=reason):
        await run_import(conn, path, "junk")
    assert await conn.fetchval("SELECT count(*) FROM services") == 0


async def test_one_uuid_given_to_rows_of_two_tables_is_refused_by_name(conn, tmp_path):
    service = hsds_service(1)
    service["service_at_locations"][0]["id"] = service["id"]
    path = tmp_path / "shared.json"
    path.write_text(json.dumps([service]))
    with pytest.raises(
        ImportFailed,
        match=r"id '5e1c0b9a-0000-4000-8000-000000000001' is given to a service and a "
        r"service_at_location: ids must be unique across the tables; nothing was imported$",
    ):
        await run_import(conn, path, "hsds")
    assert await counts(conn) == dict.fromkeys(TABLES, 0)


async def test_a_nul_byte_in_a_flat_row_rejects_that_row_only(conn, tmp_path):
    path = tmp_path / "otp.csv"
    path.write_text(
        "Name1,Address1,City,State,ZIP_Code,Contact,Keys,ID,Longitude,Latitude\n"
        "APT Foundation,1 Long Wharf Dr,New Haven,CT,06511,(203)555-0100,SA,11\x00CT,-72.92,41.29\n"
        "Harbor House,2 Water St,New Haven,CT,06510,(203)555-0101,SA,12CT,-72.93,41.30\n"
    )
    report = await run_import(conn, path, "samhsa")
    assert report.counts["service"].created == 1 and report.counts["service"].read == 2
    assert [(r.line, r.reason.split(":")[0]) for r in report.rejections] == [(2, "nul_byte")]


async def test_flat_csv_keeps_listings_that_share_an_id_and_pads_zip_codes(conn, tmp_path):
    path = tmp_path / "otp.csv"
    path.write_text(
        "Name1,Name2,Name3,Address1,Address2,Address3,City,State,ZIP_Code,Contact,Note,Keys,ID,Longitude,Latitude\n"
        "APT Foundation,Access,,1 Long Wharf Dr,,,New Haven,CT,6511,(203)555-0100,,SA/NXN/METH,11CT06511,-72.92,41.29\n"
        "APT Foundation,Women,,1 Long Wharf Dr,,,New Haven,CT,6511,(203)555-0101,,SA/METH,11CT06511,-72.92,41.29\n"
        "APT Foundation,Access,,1 Long Wharf Dr,,,New Haven,CT,6511,(203)555-0100,,SA,11CT06511,-72.92,41.29\n"
        ",,,Nowhere,,,Town,CT,06000,,,SA,22CT06000,-72.9,41.2\n"
    )
    report = await run_import(conn, path, "samhsa")
    assert report.format == "flat-csv"
    assert report.counts["service"].created == 2
    assert [(r.line, r.reason) for r in report.rejections if r.entity == "service"] == [
        (4, "duplicate id '11CT06511' (first at line 2)"),
        (5, "missing required name"),
    ]
    assert [f.line for f in report.flags if f.flag == "duplicate_source_id"] == [3]
    assert await conn.fetchval("SELECT array_agg(DISTINCT postal_code) FROM locations") == ["06511"]
    assert await conn.fetchval("SELECT array_agg(category_slug) FROM service_categories") == ["naloxone"]


async def test_hsds_2_tables_import(conn, tmp_path):
    folder = tmp_path / "hsds2"
    folder.mkdir()
    write_csv(folder, "organizations.csv", [{"id": "o1", "name": "Bridge Legal", "description": "Court help"}])
    write_csv(
        folder,
        "services.csv",
        [
            {
                "id": "s1",
                "organization_id": "o1",
                "name": "Court buddies",
                "status": "active",
                "eligibility_description": "Anyone",
            }
        ],
    )
    write_csv(
        folder,
        "locations.csv",
        [{"id": "l1", "organization_id": "o1", "name": "Courthouse", "latitude": "61.2176", "longitude": "-149.8997"}],
    )
    write_csv(
        folder,
        "physical_addresses.csv",
        [
            {
                "id": "a1",
                "location_id": "l1",
                "address_1": "825 W 4th Ave",
                "city": "Anchorage",
                "state_province": "AK",
                "postal_code": "99501",
                "country": "US",
            }
        ],
    )
    write_csv(folder, "services_at_location.csv", [{"id": "sl1", "service_id": "s1", "location_id": "l1"}])
    write_csv(
        folder,
        "regular_schedules.csv",
        [
            {"id": "r1", "service_at_location_id": "sl1", "weekday": "1", "opens_at": "08:00", "closes_at": "24:00"},
            {"id": "r2", "service_at_location_id": "sl1", "weekday": "8", "opens_at": "08:00", "closes_at": "12:00"},
        ],
    )
    write_csv(
        folder,
        "taxonomy.csv",
        [{"id": "t1", "name": "Court Accompaniment", "parent_id": "", "vocabulary": "Open Eligibility"}],
    )
    write_csv(folder, "services_taxonomy.csv", [{"id": "st1", "service_id": "s1", "taxonomy_id": "t1"}])
    report = await run_import(conn, folder, "hsds2")
    assert [(r.file, r.reason) for r in report.rejections] == [
        ("regular_schedules.csv", "unparseable hours: weekday '8'")
    ]
    row = await conn.fetchrow(
        "SELECT categories, timezone, weekdays, closes::text[] AS closes, head FROM resource_index"
    )
    assert row["categories"] == ["court-accompaniment"] and row["timezone"] == "America/Anchorage"
    assert row["weekdays"] == [1] and row["closes"] == ["24:00:00"]
    assert '"address_1" : "825 W 4th Ave"' in row["head"]


async def test_legacy_spreadsheet_exports_windows_1252_semicolons_and_spaced_headers(conn, tmp_path):
    folder = tmp_path / "legacy"
    folder.mkdir()
    (folder / "Organizations.csv").write_bytes(
        "ID;Name;Description\r\n7;Caf\xe9 Esperanza;Comida y refugio\r\n".encode("cp1252")
    )
    (folder / "Locations.csv").write_bytes(
        "ID;Organization ID;Name;Latitude;Longitude\r\n70;7;Main;0;0\r\n71;7;Island;-17.7134;178.065\r\n".encode(
            "cp1252"
        )
    )
    (folder / "Services.csv").write_bytes(
        "ID;Location ID;Name;Status\r\n700;70;Sopa;active\r\n701;71;Cama;Active\r\n".encode("cp1252")
    )
    report = await run_import(conn, folder, "legacy")
    assert report.rejections == []
    assert await conn.fetchval("SELECT name FROM organizations") == "Café Esperanza"
    assert [f.flag for f in report.flags if f.line == 2] == ["null_island", "no_coordinates"]
    located = await conn.fetch("SELECT name, latitude, timezone FROM locations ORDER BY name")
    assert [tuple(row) for row in located] == [("Island", -17.7134, "Pacific/Fiji"), ("Main", None, None)]


async def test_an_incremental_feed_may_reference_records_imported_before(conn, tmp_path):
    organizations = tmp_path / "organizations"
    organizations.mkdir()
    write_csv(organizations, "organizations.csv", [{"id": "org-1", "name": "Bridge"}])
    await run_import(conn, organizations, "feed")
    services = tmp_path / "services.ndjson"
    services.write_text(
        json.dumps({"id": "svc-1", "name": "Rides to court", "status": "active", "organization_id": "org-1"}) + "\n"
    )
    report = await run_import(conn, services, "feed")
    assert report.rejections == [] and report.counts["service"].created == 1
    other = await run_import(conn, services, "another-feed")  # org-1 of another source is not theirs
    assert other.rejections == [] and [f.flag for f in other.flags] == [
        "placeholder_organization",
        "broken_reference_placeholder",
    ]
    assert await conn.fetchval("SELECT count(*) FROM organizations") == 2


async def test_concurrent_imports_of_overlapping_data_both_land(db_url, tmp_path):
    import asyncio

    import asyncpg as pg

    first, second = ohana_export(tmp_path / "a"), ohana_export(tmp_path / "b")
    rows = read_csv(second / "services.csv")
    write_csv(second, "services.csv", list(reversed(rows)))  # same ids, other order
    connections = [await pg.connect(db_url), await pg.connect(db_url)]
    try:
        reports = await asyncio.gather(
            run_import(connections[0], first, "harbor"), run_import(connections[1], second, "harbor")
        )
        assert all(report.committed for report in reports)
        assert await connections[0].fetchval("SELECT count(*) FROM services") == 3
        assert await connections[0].fetchval("SELECT count(*) FROM resource_index") == 2
    finally:
        for connection in connections:
            await connection.close()


CHILDREN = ("phones", "schedules", "service_at_location", "service_categories", "service_taxonomy_terms")


async def children(conn: asyncpg.Connection) -> dict[str, int]:
    return {table: await conn.fetchval(f"SELECT count(*) FROM {table}") for table in CHILDREN}


async def test_a_partial_reimport_keeps_the_tables_it_does_not_contain(conn, tmp_path):
    folder = ohana_export(tmp_path / "ohana")
    await run_import(conn, folder, "harbor")
    before = await children(conn)
    assert before == {
        "phones": 2,
        "schedules": 1,
        "service_at_location": 2,
        "service_categories": 2,
        "service_taxonomy_terms": 3,
    }
    partial = copy_tables(
        folder, tmp_path / "partial", "organizations.csv", "locations.csv", "addresses.csv", "services.csv"
    )
    report = await run_import(conn, partial, "harbor")
    assert await children(conn) == before
    assert all(counts.removed == 0 for counts in report.counts.values())
    assert await conn.fetchval("SELECT count(*) FROM resource_index WHERE head LIKE '%555-0100%'") == 1

    # Addresses are columns of a location here but a table of their own in the package.
    without_addresses = copy_tables(
        folder, tmp_path / "no-addresses", "organizations.csv", "locations.csv", "services.csv"
    )
    report = await run_import(conn, without_addresses, "harbor")
    assert report.counts["location"].updated == 0
    assert await conn.fetchval("SELECT address_1 FROM locations WHERE name = 'Harbor House Main'") == "1 Pier St"


async def test_a_table_the_package_contains_is_reconciled_and_each_removal_counted(conn, tmp_path):
    from service.cli import summarize

    folder = ohana_export(tmp_path / "ohana")
    await run_import(conn, folder, "harbor")
    write_csv(folder, "phones.csv", read_csv(folder / "phones.csv")[1:])
    report = await run_import(conn, folder, "harbor")
    assert report.counts["phone"].removed == 1
    assert {e: c.removed for e, c in report.counts.items() if c.removed} == {"phone": 1}
    assert await conn.fetchval("SELECT array_agg(number) FROM phones") == ["(410) 555-0101"]
    assert "removed 1 phone\n" in summarize(report) + "\n"
    # A row the package lists but cannot read is reported as rejected, not taken as gone.
    phones = read_csv(folder / "phones.csv")
    phones[0]["number"] = ""
    write_csv(folder, "phones.csv", phones)
    unreadable = await run_import(conn, folder, "harbor")
    assert unreadable.counts["phone"].rejected == 1 and unreadable.counts["phone"].removed == 0
    assert await conn.fetchval("SELECT count(*) FROM phones") == 1


async def test_a_phone_added_through_the_api_survives_reimports(conn, tmp_path):
    folder = ohana_export(tmp_path / "ohana")
    await run_import(conn, folder, "harbor")
    await conn.execute(
        "INSERT INTO phones (id, service_id, number, type, position) SELECT gen_random_uuid(), id, "
        "'555-0000', 'voice', 9 FROM services WHERE name = 'Harbor Shelter'"
    )
    write_csv(folder, "phones.csv", read_csv(folder / "phones.csv")[1:])
    report = await run_import(conn, folder, "harbor", prune=True)
    assert report.counts["phone"].removed == 1
    assert sorted(await conn.fetchval("SELECT array_agg(number) FROM phones")) == ["(410) 555-0101", "555-0000"]


async def test_a_missing_service_is_deleted_only_with_prune(conn, tmp_path):
    folder = ohana_export(tmp_path / "ohana")
    await run_import(conn, folder, "harbor")
    write_csv(folder, "services.csv", [row for row in read_csv(folder / "services.csv") if row["id"] != "101"])
    live = "SELECT count(*) FROM services WHERE deleted_at IS NULL"

    kept = await run_import(conn, folder, "harbor")
    assert all(counts.removed == 0 for counts in kept.counts.values()) and summarize_removals(kept) == ""
    assert await conn.fetchval(live) == 3 and await conn.fetchval("SELECT count(*) FROM service_at_location") == 2

    before = await counts(conn)
    dry = await run_import(conn, folder, "harbor", prune=True, dry_run=True)
    assert dry.prune and not dry.committed and dry.counts["service"].removed == 1
    assert dry.counts["organization"].removed == 0  # Harbor House still has live services
    assert await counts(conn) == before and await conn.fetchval(live) == 3

    assert summarize_removals(dry) == "  would remove 1 service"
    pruned = await run_import(conn, folder, "harbor", prune=True)
    assert pruned.committed and pruned.counts["service"].removed == 1
    assert summarize_removals(pruned) == "  removed 1 service"
    row = await conn.fetchrow("SELECT deleted_at, status FROM services WHERE name = 'Harbor Legal Clinic'")
    assert row["deleted_at"] is not None and row["status"] == "defunct"  # as DELETE does it, restorable
    assert (
        await conn.fetchval(
            "SELECT count(*) FROM changes c JOIN services s ON s.id = c.entity_id "
            "WHERE s.name = 'Harbor Legal Clinic' AND c.op = 'delete'"
        )
        == 1
    )
    assert await conn.fetchval("SELECT count(*) FROM resource_index WHERE name = 'Harbor Legal Clinic'") == 0
    again = await run_import(conn, folder, "harbor", prune=True)
    assert again.counts["service"].removed == 0


def summarize_removals(report) -> str:
    from service.cli import summarize

    lines = summarize(report).splitlines()
    return "\n".join(line for line in lines if line.strip().startswith(("removed", "would remove")))


async def test_prune_leaves_kinds_the_package_does_not_contain(conn, tmp_path):
    folder = ohana_export(tmp_path / "ohana")
    await run_import(conn, folder, "harbor")
    only_organizations = copy_tables(folder, tmp_path / "orgs", "organizations.csv")
    report = await run_import(conn, only_organizations, "harbor", prune=True)
    assert all(counts.removed == 0 for counts in report.counts.values())
    assert await conn.fetchval("SELECT count(*) FROM services WHERE deleted_at IS NULL") == 3
    assert await conn.fetchval("SELECT count(*) FROM locations WHERE deleted_at IS NULL") == 2


async def test_a_json_document_reconciles_only_the_children_it_lists(conn, tmp_path):
    path = tmp_path / "services.json"
    path.write_text(json.dumps([hsds_service(1), hsds_service(2)]))
    await run_import(conn, path, "hsds")
    service_phones = "SELECT count(*) FROM phones WHERE service_id IS NOT NULL"
    assert await conn.fetchval(service_phones) == 2

    # No phones or schedules key: nothing to say about them, so they stay.
    bare = [
        {key: value for key, value in hsds_service(n).items() if key not in ("phones", "schedules")} for n in (1, 2)
    ]
    path.write_text(json.dumps(bare))
    report = await run_import(conn, path, "hsds")
    assert all(counts.removed == 0 for counts in report.counts.values())
    assert await conn.fetchval(service_phones) == 2 and await conn.fetchval("SELECT count(*) FROM schedules") == 4

    # An empty list is a full list: the first service has no phones any more.
    path.write_text(json.dumps([hsds_service(1, phones=[]), bare[1]]))
    report = await run_import(conn, path, "hsds")
    assert report.counts["phone"].removed == 1
    assert await conn.fetchval(service_phones) == 1 and await conn.fetchval("SELECT count(*) FROM schedules") == 4

    # A location without an addresses key keeps its stored address.
    document = hsds_service(1)
    del document["service_at_locations"][0]["location"]["addresses"]
    path.write_text(json.dumps([document]))
    await run_import(conn, path, "hsds")
    assert await conn.fetchval("SELECT address_1 FROM locations") == "1 King St"


def crafted_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


@pytest.mark.parametrize("name", ["../../evil.csv", "export/../../../evil.csv", "/ABSOLUTE/evil.csv"])
async def test_a_zip_member_pointing_outside_the_archive_is_refused(conn, tmp_path, monkeypatch, name):
    import tempfile

    await run_import(conn, ohana_export(tmp_path / "ohana"), "harbor")
    before = await counts(conn)
    unpack_here = tmp_path / "tmp" / "deeper"
    unpack_here.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(unpack_here))  # where the import unpacks the zip
    name = name.replace("/ABSOLUTE", str(tmp_path))
    path = crafted_zip(
        tmp_path / "slip.zip", {"organizations.csv": b"id,name\n1,Harbor House\n", name: b"id,name\n666,Evil\n"}
    )
    with pytest.raises(ImportFailed, match="points outside the archive"):
        await run_import(conn, path, "harbor")
    assert [p.name for p in tmp_path.rglob("evil.csv")] == []
    assert list(unpack_here.iterdir()) == []  # and its unpacking folder is gone
    assert await counts(conn) == before


async def test_a_zip_bomb_is_refused_before_it_is_unpacked(conn, tmp_path, monkeypatch):
    rows = b"id,name\n" + b"".join(b"%d,Organization\n" % n for n in range(150_000))
    assert len(rows) > 2 << 20
    bomb = crafted_zip(tmp_path / "bomb.zip", {"organizations.csv": rows})
    assert bomb.stat().st_size < 1 << 20  # small on the wire, large unpacked
    with pytest.raises(ImportFailed, match=r"'organizations\.csv': the zip unpacks to more than 1,048,576 bytes"):
        await run_import(conn, bomb, "bomb", limits=Limits(max_unpacked_bytes=1 << 20, max_ratio=10_000))
    assert await conn.fetchval("SELECT count(*) FROM organizations") == 0


async def test_a_zip_member_larger_than_it_declares_is_refused(conn, tmp_path):
    import struct

    rows = b"id,name\n" + b"".join(b"%d,Organization\n" % n for n in range(150_000))
    data = bytearray(crafted_zip(tmp_path / "liar.zip", {"organizations.csv": rows}).read_bytes())
    # Declare 100 bytes (local header and central directory) for a member that inflates to megabytes.
    struct.pack_into("<I", data, 22, 100)
    struct.pack_into("<I", data, data.find(b"PK\x01\x02") + 24, 100)
    (tmp_path / "liar.zip").write_bytes(data)
    with pytest.raises(ImportFailed, match="broken zip file"):
        await run_import(conn, tmp_path / "liar.zip", "liar")
    assert await conn.fetchval("SELECT count(*) FROM organizations") == 0
