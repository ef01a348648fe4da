"""Real public datasets from ../shared/data import with a report that accounts for every row."""

import csv
import json

import pytest

from service.cli import summarize
from service.imports.importer import run_import
from tests.conftest import SHARED_DATA

BALTIMORE = SHARED_DATA / "baltimore-ohana"
SAMHSA = SHARED_DATA / "samhsa-otp-2017" / "meth-2017.csv"
EXAMPLES = SHARED_DATA / "hsds3-examples"
pytestmark = pytest.mark.skipif(
    not SHARED_DATA.exists(), reason=f"public datasets not present at {SHARED_DATA} (they are not committed)"
)


def records(path) -> int:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return sum(1 for row in csv.reader(handle) if any(cell.strip() for cell in row)) - 1


async def test_baltimore_ohana_export_accounts_for_every_row(conn):
    report = await run_import(conn, BALTIMORE, "baltimore")
    for file, entity in [
        ("organizations.csv", "organization"),
        ("locations.csv", "location"),
        ("services.csv", "service"),
        ("phones.csv", "phone"),
        ("taxonomy.csv", "taxonomy_term"),
    ]:
        counts = report.counts[entity]
        assert counts.read == records(BALTIMORE / file), file
        kept = counts.accepted - counts.placeholders  # placeholders stand in for rows the export lacks
        assert counts.read == kept + counts.rejected + counts.duplicates_collapsed, file
        assert counts.accepted == counts.created, file
    links = json.loads((BALTIMORE / "service_categories.json").read_text())
    assert report.counts["service_taxonomy_term"].read == sum(len(set(v)) for v in links.values())
    # The dataset's 133 locations without coordinates are kept and flagged; 132 of them give a ZIP code
    # and stand at its centre, marked approximate.
    flagged = [f.flag for f in report.flags]
    assert (flagged.count("no_coordinates"), flagged.count("approximate_position")) == (1, 132)
    assert await conn.fetchval("SELECT count(*) FROM locations WHERE latitude IS NULL") == 1
    assert await conn.fetchval("SELECT count(*) FROM locations WHERE approximate") == 132
    assert await conn.fetchval("SELECT count(*) FROM resource_index") == report.counts["service_at_location"].created
    assert await conn.fetchval("SELECT count(DISTINCT service_id) FROM service_categories") > 50
    again = await run_import(conn, BALTIMORE, "baltimore")
    assert sum(c.created + c.updated for c in again.counts.values()) == 0


async def test_samhsa_treatment_programs_import(conn):
    report = await run_import(conn, SAMHSA, "samhsa-2017")
    assert report.counts["service"].read == records(SAMHSA)
    assert report.counts["service"].created >= 1080
    assert all(r.reason.startswith("duplicate id") for r in report.rejections)
    assert await conn.fetchval("SELECT count(*) FROM resource_index WHERE geo IS NOT NULL") >= 1080


@pytest.mark.parametrize("name", ["csv", "service_full.json", "service_list.json"])
async def test_hsds_examples_import_and_reject_the_bad_latitude(conn, name):
    report = await run_import(conn, EXAMPLES / name, f"examples-{name}")
    assert report.counts["service"].created == 1
    if "location" in report.counts:
        assert [r.reason for r in report.rejections if r.entity == "location"] == ["latitude 100 is outside -90..90"]


async def test_baltimore_partial_reimport_keeps_every_phone_and_a_phones_file_reconciles(conn, tmp_path):
    first = (await run_import(conn, BALTIMORE, "balt")).counts["phone"]
    phones = await conn.fetchval("SELECT count(*) FROM phones")
    # Some phones are listed twice for their organization (once per contact, which are not kept).
    assert first.rejected == 0 and 0 < first.duplicates_collapsed < 30
    assert phones + first.duplicates_collapsed == records(BALTIMORE / "phones.csv")
    partial = tmp_path / "partial"
    partial.mkdir()
    for name in ("organizations.csv", "locations.csv", "addresses.csv", "services.csv"):
        (partial / name).write_bytes((BALTIMORE / name).read_bytes())
    report = await run_import(conn, partial, "balt")
    assert all(counts.removed == 0 for counts in report.counts.values())
    assert await conn.fetchval("SELECT count(*) FROM phones") == phones

    (partial / "phones.csv").write_text("id,number\n", encoding="utf-8")  # the table, with no rows
    dry = await run_import(conn, partial, "balt", dry_run=True)
    assert dry.counts["phone"].removed == phones and await conn.fetchval("SELECT count(*) FROM phones") == phones
    assert f"  would remove {phones:,} phones\n" in summarize(dry)
