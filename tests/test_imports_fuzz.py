"""Seeded mutations of good import files, made at test time: cut short, bytes flipped, lines dropped,
doubled or swapped, NUL bytes, stray quotes, formulas, deep nesting, other encodings, broken zips.
Each one, through run_import, is either imported or refused in one line with the store left as it
was; nothing else (no other exception, no traceback) may come out."""

import io
import json
import random
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import asyncpg
import pytest

from service.imports.importer import ImportFailed, run_import
from tests.factories import ohana_export
from tests.test_imports import hsds_service

FEED = Path(__file__).parent / "fixtures" / "meeting-guide" / "feed.json"
FLAT = (
    "Name1,Name2,Name3,Address1,Address2,Address3,City,State,ZIP_Code,Contact,Note,Keys,ID,Longitude,Latitude\n"
    "APT Foundation,Access,,1 Long Wharf Dr,,,New Haven,CT,6511,(203)555-0100,,SA/NXN/METH,11CT06511,-72.92,41.29\n"
    "Harbor House,Women,,2 Water St,,,New Haven,CT,06510,(203)555-0101,,SA/METH,12CT06510,-72.93,41.30\n"
)
SEEDS = range(3)


def package(folder: Path) -> bytes:
    """The small Ohana export as a zip with one top folder, as 211 exports come."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(ohana_export(folder).iterdir()):
            archive.writestr(f"export/{path.name}", path.read_bytes())
    return buffer.getvalue()


def carriers(folder: Path) -> dict[str, bytes]:
    services = [hsds_service(n) for n in range(1, 4)]
    return {
        "services.json": json.dumps(services, indent=1).encode(),
        "services.ndjson": "".join(json.dumps(s) + "\n" for s in services).encode(),
        "flat.csv": FLAT.encode(),
        "feed.json": FEED.read_bytes(),
        "export.zip": package(folder),
    }


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [data]


def cut(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data))]


def flip(data: bytes, rng: random.Random) -> bytes:
    raw = bytearray(data)
    for _ in range(8):
        raw[rng.randrange(len(raw))] = rng.randrange(256)
    return bytes(raw)


def nul(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data))
    return data[:at] + b"\x00" + data[at:]


def drop_line(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    del lines[rng.randrange(len(lines))]
    return b"".join(lines)


def double_line(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    at = rng.randrange(len(lines))
    return b"".join(lines[: at + 1] + lines[at:])


def swap_lines(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[a], lines[b] = lines[b], lines[a]
    return b"".join(lines)


def quote(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data))
    return data[:at] + b'"' + data[at:]


def formula(data: bytes, rng: random.Random) -> bytes:
    marks = [i + 1 for i, byte in enumerate(data) if byte in b',:"'] or [0]
    at = rng.choice(marks)
    return data[:at] + rng.choice([b"=cmd|' /C calc'!A0", b"+SUM(1,1)", b"@x", b"-2+3"]) + data[at:]


def deep(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data))
    levels = rng.choice([2_000, 100_000])
    return data[:at] + b"[" * levels + b"]" * levels + data[at:]


def utf16(data: bytes, rng: random.Random) -> bytes:
    text = data.decode("utf-8", errors="replace")
    return text.encode(rng.choice(["utf-16", "utf-16-le", "utf-32", "cp1252"]), errors="replace")


def inside(mutation: Callable[[bytes, random.Random], bytes]) -> Callable[[bytes, random.Random], bytes]:
    """The mutation applied to one member of a zip (the others as they were), the archive itself intact."""

    def mutated(data: bytes, rng: random.Random) -> bytes:
        source = zipfile.ZipFile(io.BytesIO(data))
        names = source.namelist()
        chosen = rng.choice(names)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in names:
                member = source.read(name)
                archive.writestr(name, mutation(member, rng) if name == chosen and member else member)
        return buffer.getvalue()

    return mutated


TEXT_MUTATIONS = [cut, flip, nul, drop_line, double_line, swap_lines, quote, formula, deep, utf16]
ZIP_MUTATIONS = [cut, flip, *(inside(m) for m in (cut, flip, nul, drop_line, double_line, quote, formula, utf16))]

TABLES = ("organizations", "services", "locations", "phones", "schedules", "meetings", "resource_index")


async def store(conn: asyncpg.Connection) -> dict[str, int]:
    return {table: await conn.fetchval(f"SELECT count(*) FROM {table}") for table in TABLES}


@pytest.mark.parametrize("seed", SEEDS)
async def test_every_mutation_is_imported_or_refused_in_one_line(conn, tmp_path, seed):
    outcomes: Counter[str] = Counter()
    for carrier, data in carriers(tmp_path / f"ohana-{seed}").items():
        mutations = ZIP_MUTATIONS if carrier.endswith(".zip") else TEXT_MUTATIONS
        for number, mutation in enumerate(mutations):
            rng = random.Random(f"{seed}-{carrier}-{number}")
            name = f"{carrier} / {getattr(mutation, '__name__', 'inside')} #{number} seed {seed}"
            path = tmp_path / f"{seed}-{number}-{carrier}"
            path.write_bytes(mutation(data, rng))
            before = await store(conn)
            try:
                await run_import(conn, path, f"fuzz-{seed}-{number}-{carrier.replace('.', '-')}")
            except ImportFailed as failure:
                reason = str(failure)
                assert reason and "\n" not in reason and "Traceback" not in reason, (name, reason)
                assert await store(conn) == before, f"{name}: a refused import changed the store"
                outcomes["refused"] += 1
            except Exception as error:  # the point of the test: nothing else may escape
                raise AssertionError(f"{name}: {type(error).__name__}: {error}") from error
            else:
                outcomes["imported"] += 1
    assert sum(outcomes.values()) == 4 * len(TEXT_MUTATIONS) + len(ZIP_MUTATIONS)
    # Both outcomes happen: a fuzz that only ever refuses (or only imports) tests nothing.
    assert outcomes["refused"] and outcomes["imported"], outcomes
