"""`make bench-full`'s table: each search variant at 10k, 100k and 1M listings, and how it grows.

For each size (bench.data.generate, reused when already there), `commonground serve` with its defaults
and the bare KNN endpoint (bench/bare.py) on the same store, one connection, N sequential requests per
variant from the same query points: p50 and p99. Then, all ratios within the run: each variant at the
largest size against its 100k value (target: within 1.5x) and against plain nearest-20 at that size
(within 2x), plain against the bare KNN endpoint (within 2x), and the store's size on disk.
"""

import argparse
import asyncio
import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

import asyncpg

from bench.__main__ import (
    MEETINGS_PATH,
    bench_database,
    free_port,
    load,
    meetings_query,
    points_file,
    save_results,
    start_api,
    stop_api,
)
from bench.quick import COMBINED, nothing_open, two_am

BARE = "bare KNN endpoint"


def variants(now: dt.datetime) -> dict[str, dict]:
    """name -> load() arguments: the query string, the fewest results a good answer has, and its shape."""
    return {
        "plain nearest-20": {"query": "", "expect": 20},
        "radius 10 mi": {"query": "&radius=10", "expect": 0},
        "words": {"query": "&q=naloxone", "expect": 1},
        "words, synonym": {"query": "&q=narcan", "expect": 1},
        "words, typo": {"query": "&q=naloxon", "expect": 1},
        "open_at, none open": {"query": "&open_at=" + nothing_open(now), "expect": 0},
        "category + attribute": {"query": "&category=emergency-shelter&attribute=no-id-required", "expect": 0},
        "category + attribute + open": {"query": COMBINED + two_am(now), "expect": 0},
        "bbox 0.2 deg, no near": {"query": "", "expect": 0, "bbox": 0.2},
        "meetings within 3h": {"query": meetings_query(now), "expect": 20, "path": MEETINGS_PATH},
    }


STORE_SIZES = """
    SELECT pg_database_size(current_database()) AS database,
           pg_total_relation_size('resource_index') AS search_table,
           pg_total_relation_size('audit_log') AS audit_log
"""


async def store_sizes(dsn: str) -> dict[str, int]:
    """Bytes on disk: the whole database, the search table, the audit log."""
    conn = await asyncpg.connect(dsn)
    try:
        return dict(await conn.fetchrow(STORE_SIZES))
    finally:
        await conn.close()


def measure(size: int, args: argparse.Namespace, now: dt.datetime) -> dict:
    """Every variant's unloaded latency through the API, and the bare endpoint's, at one size."""
    data, points = Path(args.data_dir), points_file(args.data_dir)
    row: dict = {}
    with bench_database(args.data_dir, size) as (dsn, _):
        row["store"] = asyncio.run(store_sizes(dsn))
        for name, bare in (("api", False), ("bare", True)):
            port = free_port()
            server = start_api(dsn, port, args.workers, data / f"scale-{name}.log", bare=bare)
            base = f"http://127.0.0.1:{port}"
            try:
                load("http", base, points, 4, 2.0)  # warm up
                for variant, options in variants(now).items() if not bare else [(BARE, {})]:
                    result = load("http", base, points, 1, 120, args.unloaded, **options)
                    if result["p50_ms"] is None or result["errors"] > args.unloaded // 10:
                        raise SystemExit(
                            f"{variant} at {size:,}: {result['errors']} failed; see {data}/scale-{name}.log"
                        )
                    row[variant] = result
                    print(
                        f"  {size:>9,} {variant:28s} p50 {result['p50_ms']:7.2f} ms  p99 {result['p99_ms']:7.2f} ms",
                        file=sys.stderr,
                    )
            finally:
                stop_api(server)
    return row


def report(results: dict[int, dict]) -> list[tuple[str, bool]]:
    """Print the table and return the checks (label, met) at the largest size."""
    sizes = sorted(results)
    largest = sizes[-1]
    names = [name for name in results[largest] if name != "store"]
    header = "".join(f"{f'{size:,} p50 / p99':>22}" for size in sizes)
    growth = f"{f'{largest:,} / 100k':>22}" if 100_000 in results and largest > 100_000 else ""
    print(f"\nSearch at scale (unloaded, one connection; ms)\n{'variant':<30}{header}{growth}{'x plain':>9}")
    plain = results[largest]["plain nearest-20"]["p50_ms"]
    checks: list[tuple[str, bool]] = []
    for name in names:
        cells = "".join(
            f"{results[size][name]['p50_ms']:>13.2f} / {results[size][name]['p99_ms']:<6.1f}" for size in sizes
        )
        p50 = results[largest][name]["p50_ms"]
        ratio = ""
        if growth:
            grown = p50 / results[100_000][name]["p50_ms"]
            ratio = f"{grown:>21.2f}x"
            if name != BARE:
                checks.append((f"{name}: p50 at {largest:,} <= 1.5x its 100,000 value ({grown:.2f}x)", grown <= 1.5))
        print(f"{name:<30}{cells}{ratio}{p50 / plain:>8.2f}x")
        if name not in (BARE, "plain nearest-20"):
            checks.append((f"{name}: p50 <= 2x plain at {largest:,} ({p50 / plain:.2f}x)", p50 <= 2 * plain))
    bare = results[largest][BARE]["p50_ms"]
    checks.append(
        (f"plain nearest-20 p50 <= 2x the bare KNN endpoint at {largest:,} ({plain / bare:.2f}x)", plain <= 2 * bare)
    )
    print(
        f"\n{'store on disk':<30}"
        + "".join(f"{results[size]['store']['database'] / 2**30:>19.2f} GB" for size in sizes)
    )
    for part in ("search_table", "audit_log"):
        print(f"{'  ' + part:<30}" + "".join(f"{results[size]['store'][part] / 2**30:>19.2f} GB" for size in sizes))
    for label, ok in checks:
        print(f"  [{'met' if ok else 'MISSED'}] {label}")
    return checks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--unloaded", type=int, default=300, help="sequential requests per variant")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data-dir", default=os.path.join(tempfile.gettempdir(), "commonground-bench"))
    args = parser.parse_args()
    now = dt.datetime.now(dt.UTC)
    results = {size: measure(size, args, now) for size in args.sizes}
    report(results)
    save_results("scale.json", {str(size): row for size, row in results.items()})


if __name__ == "__main__":
    main()
