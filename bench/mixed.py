"""`make bench-mixed`: filtered searches against the plain nearest-20 search, same run, same points.

At 100,000 synthetic resources (with attributes, capacity counts, hours and 1% of services
serving a 30 km circle), each variant runs through `commonground serve` from a separate load
process: unloaded (one connection, sequential) and loaded (16 connections). Every nearest search
also checks service areas covering the point, the plain one included.
"""

import datetime as dt
import sys
from pathlib import Path

from bench.__main__ import (
    bench_database,
    free_port,
    load,
    points_file,
    save_results,
    server_arguments,
    start_api,
    stop_api,
)
from bench.quick import COMBINED, nothing_open, two_am

# name -> (query string, fewest results a good answer has)
VARIANTS = {
    "plain nearest-20": ("", 20),
    "category": ("&category=harm-reduction", 20),
    "2 attributes": ("&attribute=no-id-required&attribute=walk-in", 20),
    "age + cost + language": ("&age=30&language=es", 20),
    "words": ("&q=naloxone", 1),
    "words, synonym": ("&q=narcan", 1),
    "words, typo": ("&q=naloxon", 1),
    "rare word": ("&q=number%2012345", 0),
    "open now": ("&open_now=true", 0),
    "open, none open": ("&open_at=" + nothing_open(dt.datetime.now()), 0),
    "has_capacity=bed": ("&has_capacity=bed", 1),
    "combined": (COMBINED + two_am(dt.datetime.now()), 0),
    "include meetings, events": ("&include=meetings,events&starts_within=3h", 20),
}


def main() -> None:
    args = server_arguments(__doc__.splitlines()[0], 100_000, 200)
    data = Path(args.data_dir)
    points = points_file(args.data_dir)
    results: dict[str, dict] = {}
    with bench_database(args.data_dir, args.size) as (dsn, database):
        port = free_port()
        server = start_api(dsn, port, args.workers, data / "mixed.log")
        base = f"http://127.0.0.1:{port}"
        try:
            load("http", base, points, args.concurrency, 2.0)  # warm up
            for name, (query, expect) in VARIANTS.items():
                unloaded = load("http", base, points, 1, 60, args.unloaded, query=query, expect=expect)
                loaded = load(
                    "http",
                    base,
                    points,
                    args.concurrency,
                    args.duration,
                    database=database,
                    query=query,
                    expect=expect,
                )
                results[name] = {"query": query, "unloaded": unloaded, "loaded": loaded}
                if unloaded["p50_ms"] is None or loaded["p50_ms"] is None:
                    raise SystemExit(f"{name}: every request failed; see {data / 'mixed.log'}")
                print(
                    f"  {name:24s} unloaded p50 {unloaded['p50_ms']:6.2f} ms  p99 {unloaded['p99_ms']:6.2f} ms   "
                    f"loaded {loaded['rps']:6.0f} req/s  p50 {loaded['p50_ms']:6.2f} ms  p99 {loaded['p99_ms']:6.2f} ms"
                    f"  errors {unloaded['errors'] + loaded['errors']}",
                    file=sys.stderr,
                )
        finally:
            stop_api(server)
    plain = results["plain nearest-20"]
    print(f"\nMixed workload at {args.size:,} resources (ratios against the plain nearest-20 search, same run)")
    print(f"{'search':<26}{'p50 1c':>9}{'p99 1c':>9}{'x p50':>7}{'req/s':>8}{'p99 16c':>9}{'x p99':>7}")
    for name, row in results.items():
        unloaded, loaded = row["unloaded"], row["loaded"]
        print(
            f"{name:<26}{unloaded['p50_ms']:>7.2f}ms{unloaded['p99_ms']:>7.2f}ms"
            f"{unloaded['p50_ms'] / plain['unloaded']['p50_ms']:>7.2f}"
            f"{loaded['rps']:>8.0f}{loaded['p99_ms']:>7.1f}ms{loaded['p99_ms'] / plain['loaded']['p99_ms']:>7.2f}"
        )
    within = [name for name, row in results.items() if row["unloaded"]["p50_ms"] <= 2 * plain["unloaded"]["p50_ms"]]
    print(f"within 2x of plain (unloaded p50): {len(within)} of {len(results)}")
    save_results("mixed.json", results)


if __name__ == "__main__":
    main()
