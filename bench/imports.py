"""`make bench-import`: import throughput against the raw COPY rate of the same rows, in one run.

For each input (the Baltimore Ohana export from ../shared/data when present, and a synthetic
HSDS 3.0 tabular package of N services) it measures, on fresh databases of one embedded
PostgreSQL:

- end to end: `run_import` (read, check, COPY to staging, upsert, search-table rebuild, commit);
- baseline: the rows the import accepted, already parsed, COPYed straight into the same tables
  (indexes and constraints in place, search table not built), in one transaction.

The ratio baseline/end-to-end says what the checks, upserts and search rows cost on top of COPY.
"""

import argparse
import asyncio
import csv
import json
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from service.embedded import embedded_postgres
from service.imports.batches import Batch
from service.imports.formats import Progress, read
from service.imports.importer import run_import
from service.queries.categories import select_taxonomy
from service.queries.migrations import apply_migrations

ROOT = Path(__file__).resolve().parent.parent
BALTIMORE = ROOT.parent / "shared" / "data" / "baltimore-ohana"
CATEGORY_TERMS = ["naloxone", "emergency-shelter", "legal-aid", "rides", "syringe-services", "recovery-housing"]
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def synthetic_package(folder: Path, services: int, seed: int = 7) -> Path:
    """An HSDS 3.0 tabular package: services at their own locations across the US, 10 per organization,
    one phone and two weekly openings each, and one category term."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    ids = lambda kind, n: str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench/{kind}/{n}"))  # noqa: E731

    def table(name: str, header: list[str], rows: object) -> None:
        with (folder / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)  # type: ignore[arg-type]

    organizations = max(1, services // 10)
    table(
        "organizations.csv",
        ["id", "name", "description", "email", "website"],
        (
            (
                ids("org", n),
                f"Organization {n}",
                f"Runs services in town {n % 997}",
                f"info{n}@example.org",
                f"https://org{n}.example.org",
            )
            for n in range(organizations)
        ),
    )
    table(
        "services.csv",
        [
            "id",
            "organization_id",
            "name",
            "description",
            "status",
            "url",
            "email",
            "eligibility_description",
            "fees_description",
        ],
        (
            (
                ids("svc", n),
                ids("org", n // 10),
                f"Service {n}",
                f"Help of kind {n % 31} for people in need",
                "active",
                f"https://svc{n}.example.org",
                f"svc{n}@example.org",
                "Adults",
                "Free",
            )
            for n in range(services)
        ),
    )
    points = [(rng.uniform(25.5, 48.5), rng.uniform(-123.5, -70.5)) for _ in range(services)]
    table(
        "locations.csv",
        ["id", "location_type", "organization_id", "name", "latitude", "longitude"],
        (
            (ids("loc", n), "physical", ids("org", n // 10), f"Site {n}", f"{lat:.6f}", f"{lon:.6f}")
            for n, (lat, lon) in enumerate(points)
        ),
    )
    table(
        "addresses.csv",
        ["id", "location_id", "address_1", "city", "state_province", "postal_code", "country", "address_type"],
        (
            (ids("adr", n), ids("loc", n), f"{n} Main St", "Springfield", "ST", f"{n % 99999:05d}", "US", "physical")
            for n in range(services)
        ),
    )
    table(
        "service_at_location.csv",
        ["id", "service_id", "location_id"],
        ((ids("sal", n), ids("svc", n), ids("loc", n)) for n in range(services)),
    )
    table(
        "phones.csv",
        ["id", "service_id", "number", "type"],
        ((ids("phn", n), ids("svc", n), f"555-01{n % 100:02d}", "voice") for n in range(services)),
    )
    table(
        "schedules.csv",
        ["id", "service_id", "freq", "byday", "opens_at", "closes_at"],
        (
            (ids(f"sch{k}", n), ids("svc", n), "WEEKLY", DAYS[(n + k) % 7], "09:00", "17:00")
            for n in range(services)
            for k in range(2)
        ),
    )
    table(
        "taxonomies.csv",
        ["id", "name", "description"],
        [("c0a5f3b4-6d1e-5b8a-9c3f-0e7d2a41b9c6", "CommonGround categories", "ours")],
    )
    table(
        "taxonomy_terms.csv",
        ["id", "code", "name", "description", "taxonomy_id"],
        ((ids("term", slug), slug, slug, slug, "c0a5f3b4-6d1e-5b8a-9c3f-0e7d2a41b9c6") for slug in CATEGORY_TERMS),
    )
    table(
        "attributes.csv",
        ["id", "link_id", "taxonomy_term_id", "link_type", "link_entity"],
        (
            (ids("att", n), ids("svc", n), ids("term", CATEGORY_TERMS[n % len(CATEGORY_TERMS)]), "service", "service")
            for n in range(services)
        ),
    )
    return folder


BASELINE_TABLES = [
    ("organization", "organizations", ["id", "name", "alternate_name", "description", "email", "website"]),
    (
        "location",
        "locations",
        [
            "id",
            "organization_id",
            "name",
            "alternate_name",
            "description",
            "location_type",
            "latitude",
            "longitude",
            "timezone",
            "address_1",
            "address_2",
            "city",
            "region",
            "state_province",
            "postal_code",
            "country",
            "transportation",
            "url",
        ],
    ),
    (
        "service",
        "services",
        [
            "id",
            "organization_id",
            "name",
            "alternate_name",
            "description",
            "status",
            "url",
            "email",
            "eligibility_description",
            "fees_description",
            "application_process",
            "languages",
            "assured_date",
        ],
    ),
    ("service_at_location", "service_at_location", ["id", "service_id", "location_id", "description"]),
    (
        "phone",
        "phones",
        [
            "id",
            "organization_id",
            "service_id",
            "location_id",
            "service_at_location_id",
            "number",
            "extension",
            "type",
            "description",
            "position",
        ],
    ),
]


async def baseline(conn: asyncpg.Connection, batch: Batch) -> float:
    """Seconds to COPY the batch's accepted rows straight into the tables, in one transaction."""
    started = time.perf_counter()
    async with conn.transaction():
        await conn.execute("SET LOCAL commonground.defer_index = 'on'")
        for entity, table, columns in BASELINE_TABLES:
            await conn.copy_records_to_table(
                table, columns=columns, records=[tuple(row.get(c) for c in columns) for row in batch.rows(entity)]
            )
        schedules = list(batch.rows("schedule"))
        columns = [
            "id",
            "service_id",
            "location_id",
            "service_at_location_id",
            "weekday",
            "opens_at",
            "closes_at",
            "valid_from",
            "valid_to",
            "description",
            "position",
        ]
        # 24:00 travels as 23:59:59.999999 here: the same bytes' worth of work for a baseline.
        await conn.copy_records_to_table(
            "schedules", columns=columns, records=[tuple(row.get(c) for c in columns) for row in schedules]
        )
    return time.perf_counter() - started


async def fresh_database(server: str, name: str) -> asyncpg.Connection:
    admin = await asyncpg.connect(server)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    conn = await asyncpg.connect(urlunsplit(urlsplit(server)._replace(path=f"/{name}")))
    await apply_migrations(conn)
    return conn


async def measure(server: str, label: str, path: Path) -> dict:
    """End-to-end import and the raw COPY baseline of the same accepted rows, each on a fresh database."""
    conn = await fresh_database(server, "bench_import")
    try:
        started = time.perf_counter()
        report = await run_import(conn, path, label)
        end_to_end = time.perf_counter() - started
    finally:
        await conn.close()
    conn = await fresh_database(server, "bench_copy")
    try:
        slugs = list(await select_taxonomy(conn))
        batch = Batch(label)
        read(path, batch, Progress())
        batch.finish(slugs)  # time zones too, as the import does: the baseline is the load alone
        try:
            copy_seconds = await baseline(conn, batch)
        finally:
            batch.close()
    finally:
        await conn.close()
    services = report.counts["service"].accepted
    rows = sum(counts.accepted for counts in report.counts.values())
    return {
        "input": label,
        "services": services,
        "rows": rows,
        "import_s": round(end_to_end, 2),
        "services_per_s": round(services / end_to_end),
        "rows_per_s": round(rows / end_to_end),
        "copy_s": round(copy_seconds, 2),
        "copy_rows_per_s": round(rows / copy_seconds),
        "import_vs_copy": round(end_to_end / copy_seconds, 2),
    }


async def run(services: int, data_dir: Path) -> list[dict]:
    results = []
    with embedded_postgres(data_dir / "pg") as server:
        if BALTIMORE.exists():
            results.append(await measure(server, "baltimore-ohana", BALTIMORE))
        else:
            print(f"skipping Baltimore: {BALTIMORE} not present", file=sys.stderr)
        package = synthetic_package(data_dir / f"synthetic-{services}", services)
        results.append(await measure(server, f"synthetic-hsds-{services}", package))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "commonground-bench-import")
    args = parser.parse_args()
    results = asyncio.run(run(args.services, args.data_dir))
    print(
        f"{'input':<26}{'services':>9}{'rows':>9}{'import s':>10}{'services/s':>12}{'rows/s':>9}"
        f"{'COPY s':>8}{'COPY rows/s':>12}{'import/COPY':>12}"
    )
    for r in results:
        print(
            f"{r['input']:<26}{r['services']:>9}{r['rows']:>9}{r['import_s']:>10}{r['services_per_s']:>12}"
            f"{r['rows_per_s']:>9}{r['copy_s']:>8}{r['copy_rows_per_s']:>12}{r['import_vs_copy']:>11}x"
        )
    out = ROOT / "bench" / "results" / "imports.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
