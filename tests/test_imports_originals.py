"""What an import normalises is stored normalised, and the value as the input gave it stays, whole, in
the row's source record (source_records.original), until an import gives the value as stored."""

import json
from pathlib import Path

from service.imports.importer import run_import

DESCRIPTION = (
    "<p>Beds&nbsp;tonight for adults and families.</p><ul><li>Check in from 6pm</li><li>Bring ID if you "
    "have it</li></ul>\\nNo one is turned away.###MON###"
)


def package(folder: Path, website: str, description: str, email: str, number: str, opens: str) -> Path:
    """An HSDS 1.x package of one organization, service, phone and opening."""
    folder.mkdir()
    tables = {
        "organizations": [["id", "name", "website"], ["1", "Harbor House", website]],
        "services": [
            ["id", "organization_id", "name", "description", "email", "languages"],
            ["100", "1", "Harbor shelter", description, email, "English, Spanish"],
            ["101", "1", "Harbor meals", "Hot meals", "meals@harbor.example.org", "en"],
        ],
        "phones": [["id", "service_id", "number"], ["p1", "100", number]],
        "regular_schedules": [["id", "service_id", "weekday", "opens_at", "closes_at"], ["h1", "100", "1", opens, ""]],
    }
    for name, rows in tables.items():
        lines = ['"' + '","'.join(cell.replace('"', '""') for cell in row) + '"' for row in rows]
        (folder / f"{name}.csv").write_text("\n".join(lines) + "\n")
    return folder


async def originals(conn) -> dict[tuple[str, str], dict | None]:
    rows = await conn.fetch("SELECT entity, source_id, original FROM source_records WHERE source = 'originals'")
    return {(row["entity"], row["source_id"]): json.loads(row["original"]) if row["original"] else None for row in rows}


async def test_each_value_the_import_changed_is_kept_whole_as_given(conn, tmp_path):
    messy = package(
        tmp_path / "messy", "harbor.example.org", DESCRIPTION, "mailto:help @harbor.example.org",
        "503-555-0100 ext. 12", "9am-5pm",
    )  # fmt: skip
    await run_import(conn, messy, "originals")
    kept = await originals(conn)
    assert kept[("organization", "1")] == {"website": "harbor.example.org"}
    assert kept[("service", "100")] == {
        "description": DESCRIPTION,
        "email": "mailto:help @harbor.example.org",
        "languages": ["English, Spanish"],
    }
    assert len(DESCRIPTION) > 80  # longer than a flag's excerpt of it
    assert kept[("phone", "p1")] == {"number": "503-555-0100 ext. 12"}
    assert kept[("schedule", "h1")] == {"opens_at": "9am-5pm"}
    assert kept[("service", "101")] is None  # nothing changed, nothing kept
    stored = await conn.fetchrow(
        "SELECT o.website, s.email, s.languages, p.number, p.extension, h.opens_at::text, h.closes_at::text "
        "FROM organizations o JOIN services s ON s.organization_id = o.id JOIN phones p ON p.service_id = s.id "
        "JOIN schedules h ON h.service_id = s.id WHERE s.name = 'Harbor shelter'"
    )
    assert tuple(stored) == (
        "http://harbor.example.org", "help@harbor.example.org", ["en", "es"], "503-555-0100", "12",
        "09:00:00", "17:00:00",
    )  # fmt: skip


async def test_a_later_import_of_the_values_as_stored_forgets_the_originals(conn, tmp_path):
    messy = package(tmp_path / "messy", "harbor.example.org", DESCRIPTION, "", "503-555-0100 ext. 12", "9am-5pm")
    await run_import(conn, messy, "originals")
    clean = package(tmp_path / "clean", "http://harbor.example.org", "Beds tonight", "", "503-555-0100", "09:00")
    (clean / "phones.csv").write_text("id,service_id,number,extension\np1,100,503-555-0100,12\n")
    (clean / "regular_schedules.csv").write_text("id,service_id,weekday,opens_at,closes_at\nh1,100,1,09:00,17:00\n")
    (clean / "services.csv").write_text(
        "id,organization_id,name,description,languages\n100,1,Harbor shelter,Beds tonight,en\n101,1,Harbor meals,,en\n"
    )
    await run_import(conn, clean, "originals")
    assert set((await originals(conn)).values()) == {None}
