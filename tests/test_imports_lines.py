"""A CSV line longer than the import's line limit: its row is rejected with file, line and reason, or,
where the reader cannot resume after it, the file is refused and nothing is imported."""

import subprocess
from pathlib import Path

import pytest

from service.config import load_settings
from service.imports.formats import Limits
from service.imports.importer import ImportFailed, run_import
from tests.factories import COMMAND, command_env

ORGANIZATIONS = "id,name\n1,Harbor House\n"
LIMITS = Limits(max_line_length=200)


def package(folder: Path, services: str) -> Path:
    """An HSDS 1.x package of one organization and the services given."""
    folder.mkdir()
    (folder / "organizations.csv").write_text(ORGANIZATIONS)
    (folder / "services.csv").write_text(services)
    return folder


async def test_a_line_past_the_limit_rejects_its_row_and_the_rows_after_it_keep_their_lines(conn, tmp_path):
    services = (
        "id,organization_id,name,description\n"
        "100,1,Harbor shelter,Beds tonight\n"
        f"101,1,Long one,{'x' * 300}\n"
        "102,1,Harbor meals,Hot meals\n"
        "103,1,,no name here\n"
    )
    report = await run_import(conn, package(tmp_path / "p", services), "lines", limits=LIMITS)
    [long_line, no_name] = report.rejections
    assert (long_line.file, long_line.line, long_line.entity) == ("services.csv", 3, "service")
    assert long_line.reason.startswith("line_too_long: the line is longer than 200 characters")
    assert "COMMONGROUND_IMPORT_MAX_LINE_LENGTH" in long_line.reason
    assert (no_name.line, no_name.reason) == (5, "missing required name")
    assert report.counts["service"].read == 4 and report.counts["service"].rejected == 2
    names = [row["name"] for row in await conn.fetch("SELECT name FROM services ORDER BY name")]
    assert names == ["Harbor meals", "Harbor shelter"]


async def test_a_line_up_to_the_limit_is_read(conn, tmp_path):
    row = "100,1,Harbor shelter,"
    services = f"id,organization_id,name,description\n{row}{'y' * (200 - len(row) - 1)}\n"
    report = await run_import(conn, package(tmp_path / "p", services), "lines", limits=LIMITS)
    assert report.rejections == [] and report.counts["service"].accepted == 1


async def test_a_long_line_inside_a_quoted_field_refuses_the_file_and_changes_nothing(conn, tmp_path):
    services = (
        "id,organization_id,name,description\n"
        "100,1,Harbor shelter,Beds tonight\n"
        f'101,1,Long one,"starts here\n{"z" * 300}\nends here"\n'
        "102,1,Harbor meals,Hot meals\n"
    )
    with pytest.raises(ImportFailed) as refused:
        await run_import(conn, package(tmp_path / "p", services), "lines", limits=LIMITS)
    assert str(refused.value).startswith("services.csv line 4: a line longer than 200 characters inside a quoted")
    assert await conn.fetchval("SELECT count(*) FROM services") == 0
    assert await conn.fetchval("SELECT count(*) FROM organizations") == 0


async def test_a_header_past_the_limit_refuses_the_file(conn, tmp_path):
    services = "id,organization_id,name," + ",".join(f"extra_{n}" for n in range(40)) + "\n100,1,Harbor shelter\n"
    with pytest.raises(ImportFailed, match=r"^services.csv line 1: a line longer than 200 characters in the header"):
        await run_import(conn, package(tmp_path / "p", services), "lines", limits=LIMITS)


def test_the_limit_is_a_setting_with_a_default_above_the_field_cap():
    assert Limits.of(load_settings({})).max_line_length == 4 * 1_048_576
    assert Limits.of(load_settings({"COMMONGROUND_IMPORT_MAX_LINE_LENGTH": "4096"})).max_line_length == 4096


def test_the_command_reads_the_setting_and_names_the_line(db_url, tmp_path):
    services = f"id,organization_id,name,description\n100,1,Harbor shelter,Beds\n101,1,Long one,{'x' * 600}\n"
    done = subprocess.run(
        [COMMAND, "import", str(package(tmp_path / "p", services))],
        env=command_env(DATABASE_URL=db_url, COMMONGROUND_IMPORT_MAX_LINE_LENGTH="500"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "rejected services.csv:3 service : line_too_long: the line is longer than 500 characters" in done.stderr
