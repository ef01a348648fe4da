"""Hostile and broken import files: each refused with one clear line or imported with its flaws
flagged, never a traceback, a dead worker, a leftover temporary folder or a half-changed store."""

import asyncio
import codecs
import io
import json
import os
import random
import subprocess
import tempfile
import zipfile
from pathlib import Path

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.imports.formats import remove_stale_folders
from service.imports.importer import ImportFailed, run_import
from tests.conftest import ADMIN, make_settings
from tests.factories import COMMAND, command_env

ORGANIZATIONS = "id,name\n1,Harbor House\n"
LOCATIONS = "id,organization_id,name,latitude,longitude\n10,1,Harbor site,45.52,-122.68\n"
SERVICES = "id,organization_id,name,description\n100,1,Harbor shelter,Beds tonight\n"
SAL = "id,service_id,location_id\n1000,100,10\n"


def package(**tables: bytes | str) -> bytes:
    """A zip of an HSDS 1.x tabular package; tables given override the small clean one."""
    files = {"organizations.csv": ORGANIZATIONS, "locations.csv": LOCATIONS, "services.csv": SERVICES}
    files["services_at_location.csv"] = SAL
    files.update({f"{name}.csv": content for name, content in tables.items()})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content.encode() if isinstance(content, str) else content)
    return buffer.getvalue()


def truncated() -> bytes:
    whole = package()
    return whole[: len(whole) // 2]


def slipped() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("organizations.csv", ORGANIZATIONS)
        archive.writestr("../../evil.csv", "id,name\n1,x\n")
    return buffer.getvalue()


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


SERVICE = {"id": "s1", "name": "Harbor shelter", "organization": {"id": "o1", "name": "Harbor House"}}
RAGGED = "id,organization_id,name,description\n100,1,Harbor shelter,Beds,EXTRA\n101,1,Short row\n"


# name -> (file name, content, expected). Expected: ("refused", text of the one-line reason), or
# ("imported", a flag or rejection reason the report must hold, or None).
VARIANTS: dict[str, tuple[str, bytes, tuple[str, str | None]]] = {
    "zip bomb (ratio)": (
        "bomb.zip",
        package(services=SERVICES + "101,1,Repeated row,Same text\n" * 600_000),
        ("refused", "zip member 'services.csv' inflates more than 250 times"),
    ),
    "truncated zip": ("cut.zip", truncated(), ("refused", "broken zip file")),
    "zip slip": ("slip.zip", slipped(), ("refused", "points outside the archive")),
    "deep JSON document": ("deep.json", deep(100_000).encode(), ("refused", "JSON nested deeper than")),
    "deep JSON in a service": (
        "deep-service.json",
        json.dumps([{**SERVICE, "extension": "@@"}]).replace('"@@"', deep(50_000)).encode(),
        ("refused", "JSON nested deeper than"),
    ),
    "deep NDJSON line": (
        "deep.ndjson",
        (json.dumps(SERVICE) + "\n" + deep(50_000) + "\n").encode(),
        ("imported", "JSON nested deeper than"),
    ),
    "a bare number": ("number.json", b"42", ("refused", "expected a list of HSDS services")),
    "invalid JSON": ("broken.json", b'[{"id": "1", "name": ', ("refused", "not valid JSON")),
    "binary noise": ("noise.bin", bytes(range(256)) * 4, ("refused", "not JSON, NDJSON, CSV, a zip")),
    "NUL byte in a cell": (
        "nul.zip",
        package(services=SERVICES + "101,1,Broken\x00 shelter,Text\n"),
        ("imported", "nul_byte"),
    ),
    "UTF-16 with BOM": (
        "utf16.zip",
        package(organizations=codecs.BOM_UTF16_LE + ORGANIZATIONS.encode("utf-16-le")),
        ("imported", None),
    ),
    "duplicate header": (
        "twice.zip",
        package(services="id,organization_id,name,name\n100,1,Harbor shelter,Other\n"),
        ("refused", "the header names name more than once"),
    ),
    "no header row": (
        "headless.zip",
        package(organizations="1,Harbor House\n2,Other House\n"),
        ("refused", "does the file lack its header row?"),
    ),
    "ragged rows": ("ragged.zip", package(services=RAGGED), ("imported", "ragged_row")),
    "runaway quote": (
        "quote.zip",
        package(services=SERVICES + '101,1,"Never closed,' + random.Random(7).randbytes(1 << 20).hex() + "\n"),
        ("refused", "field larger than field limit"),
    ),
    "formula cells": (
        "formula.zip",
        package(services='id,organization_id,name,description\n100,1,\'=HYPERLINK("x"),+SUM(1;1)\n'),
        ("imported", None),
    ),
}


async def stored(conn: asyncpg.Connection) -> tuple[int, ...]:
    return tuple(
        [await conn.fetchval(f"SELECT count(*) FROM {table}") for table in ("organizations", "services", "locations")]
    )


def reasons(report) -> str:
    return " ".join([r.reason for r in report.rejections] + [f.flag for f in report.flags])


@pytest.fixture
def temporary(tmp_path, monkeypatch) -> Path:
    """Where imports unpack, to check that nothing stays behind."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


async def test_every_malformed_variant_is_refused_or_flagged_in_process(conn, tmp_path, temporary):
    outcomes = {"refused": 0, "imported": 0}
    for name, (file_name, content, (expected, detail)) in VARIANTS.items():
        path = tmp_path / file_name
        path.write_bytes(content)
        before = await stored(conn)
        try:
            report = await run_import(conn, path, name.replace(" ", "-"))
        except ImportFailed as failure:
            assert expected == "refused", f"{name}: refused: {failure}"
            assert detail in str(failure) and "\n" not in str(failure) and "Traceback" not in str(failure), name
            assert await stored(conn) == before, f"{name} changed the store"
        else:
            assert expected == "imported", f"{name}: imported, expected a refusal with {detail!r}"
            assert detail is None or detail in reasons(report), f"{name}: {reasons(report)}"
        assert list(temporary.iterdir()) == [], f"{name} left files behind"
        outcomes[expected] += 1
    assert outcomes == {"refused": 11, "imported": 5}


async def test_the_report_says_how_each_file_was_read_and_what_was_flagged(conn, tmp_path):
    path = tmp_path / "p.zip"
    path.write_bytes(package(organizations=codecs.BOM_UTF16_LE + ORGANIZATIONS.encode("utf-16-le"), services=RAGGED))
    report = await run_import(conn, path, "harbor")
    assert report.encodings["organizations.csv"] == "UTF-16" and report.encodings["services.csv"] == "UTF-8"
    assert await conn.fetchval("SELECT name FROM organizations") == "Harbor House"
    ragged = [(f.file, f.line, f.source_id) for f in report.flags if f.flag == "ragged_row"]
    assert ragged == [("services.csv", 2, "100"), ("services.csv", 3, "101")]
    path.write_bytes(package(services=SERVICES + "101,1,Broken\x00 shelter,Text\n102,1,Fine shelter,Text\n"))
    report = await run_import(conn, path, "nul")
    (rejection,) = report.rejections
    assert (rejection.file, rejection.line, rejection.source_id) == ("services.csv", 3, "101")
    assert rejection.reason.startswith("nul_byte")
    assert report.counts["service"].created == 2


async def test_an_import_of_no_rows_says_so_and_fails_under_strict(conn, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("name,address,city\n")
    report = await run_import(conn, path, "empty")
    assert all(counts.read == 0 for counts in report.counts.values())
    with pytest.raises(ImportFailed, match="no rows to import"):
        await run_import(conn, path, "empty", strict=True)


def test_folders_left_by_a_killed_import_are_removed(tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    left = tmp_path / f"cg-import-{dead.pid}-abc"
    (left / "inner").mkdir(parents=True)
    ours = tmp_path / f"cg-upload-{os.getpid()}-def"
    ours.mkdir()
    other = tmp_path / "cg-import-notapid"
    other.mkdir()
    assert remove_stale_folders(tmp_path) == [left]
    assert not left.exists() and ours.exists() and other.exists()


async def test_uploads_of_every_variant_end_cleanly_and_the_worker_keeps_serving(db_url, tmp_path, temporary):
    async with AsyncTestClient(app=create_app(make_settings(db_url))) as client:
        for name, (file_name, content, (expected, detail)) in VARIANTS.items():
            response = await client.post(
                "/v1/imports",
                content=content,
                params={"source": file_name.replace(".", "-"), "filename": file_name},
                headers=ADMIN,
            )
            assert response.status_code == 202, (name, response.text)
            location = response.headers["location"]
            for _ in range(600):
                job = (await client.get(location, headers=ADMIN)).json()
                if job["status"] in ("succeeded", "failed"):
                    break
                await asyncio.sleep(0.05)
            if expected == "refused":
                assert job["status"] == "failed" and detail in job["error"], (name, job["error"])
                assert "Traceback" not in job["error"] and "\n" not in job["error"]
            else:
                assert job["status"] == "succeeded", (name, job["error"])
            assert list(temporary.iterdir()) == [], f"{name} left files behind"
        assert (await client.get("/readyz")).status_code == 200


@pytest.mark.parametrize("name", ["deep JSON document", "zip bomb (ratio)", "truncated zip", "no header row"])
def test_the_command_refuses_in_one_line_without_a_traceback(db_url, tmp_path, name):
    file_name, content, (_, detail) = VARIANTS[name]
    path = tmp_path / file_name
    path.write_bytes(content)
    done = subprocess.run(
        [COMMAND, "import", str(path)],
        env=command_env(DATABASE_URL=db_url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert ("Traceback" not in done.stderr and f"import failed: {path.name}" in done.stderr) or detail in done.stderr
    assert detail in done.stderr, done.stderr
