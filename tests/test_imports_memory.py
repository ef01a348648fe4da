"""An import's memory is bounded by a chunk of rows and the ids it keeps, not by the size of its file."""

import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from tests.factories import command_env

# Each service carries this much text, so that holding rows costs far more than holding their ids.
DESCRIPTION = 1800


def services_package(folder: Path, services: int) -> Path:
    """An HSDS 1.x package of services with long descriptions under a few organizations."""
    folder.mkdir()
    (folder / "organizations.csv").write_text("id,name\n" + "".join(f"o{n},Org {n}\n" for n in range(20)))
    words = [
        "shelter",
        "meals",
        "showers",
        "laundry",
        "clothing",
        "rides",
        "counselling",
        "recovery",
        "housing",
        "legal",
    ]
    with (folder / "services.csv").open("w") as out:
        out.write("id,organization_id,name,description\n")
        for n in range(services):
            text = " ".join(words[(n * 7 + k) % len(words)] + str(k) for k in range(DESCRIPTION // 11))
            out.write(f"s{n},o{n % 20},Service {n},{text}\n")
    return folder


# The import alone in a process of its own, which then prints its peak resident size (VmHWM, kB). Not
# the rusage of the child: Linux carries the peak of the forking test process into it.
IMPORT = """
import asyncio, re, sys
from pathlib import Path
import asyncpg
import pytest
from service.imports.importer import run_import

async def main() -> None:
    conn = await asyncpg.connect(sys.argv[1])
    await run_import(conn, Path(sys.argv[2]), "memory")
    await conn.close()

asyncio.run(main())
print(re.search(r"VmHWM:\\s*(\\d+) kB", Path("/proc/self/status").read_text())[1])
"""


def import_peak_mb(path: Path, db_url: str) -> int:
    """The largest resident size of a process that runs the import of the path, in MiB."""
    done = subprocess.run(
        [sys.executable, "-c", IMPORT, db_url, str(path)],
        env=command_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout.strip()) // 1024


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak from Linux's /proc")
async def test_a_file_five_times_larger_imports_in_about_the_same_memory(tmp_path: Path, db_url: str) -> None:
    small = services_package(tmp_path / "small", 1_000)
    large = services_package(tmp_path / "large", 9_000)
    grown_mb = (sum(p.stat().st_size for p in large.iterdir()) - sum(p.stat().st_size for p in small.iterdir())) >> 20
    assert grown_mb > 12
    small_peak = import_peak_mb(small, db_url)
    large_peak = import_peak_mb(large, db_url)
    conn = await asyncpg.connect(db_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM services") == 9_000
    finally:
        await conn.close()
    # Holding the rows would grow the peak by about the size of the extra rows, several times over;
    # a chunk and the ids of 8,000 rows are a few MiB.
    assert large_peak - small_peak < grown_mb / 2, (small_peak, large_peak, grown_mb)
