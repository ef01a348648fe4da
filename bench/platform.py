"""`make bench-platform`: what keys and quotas cost a search, against the same server with quotas off.

Three runs of the plain nearest-20 search through `commonground serve`, same data, same points:
quotas off (no counting), quotas on for anonymous calls (one upsert per request), and with an API key
(the key lookup, the count and the day's usage in one statement).
"""

import json
import sys
import urllib.request
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

ADMIN_KEY = "bench-admin-key-0d5e"


def make_key(base: str) -> str:
    request = urllib.request.Request(
        f"{base}/v1/keys",
        data=json.dumps({"name": "bench", "scopes": ["read"]}).encode(),
        headers={"Authorization": f"Bearer {ADMIN_KEY}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["key"]


def main() -> None:
    args = server_arguments(__doc__.splitlines()[0], 10_000, 300)
    data = Path(args.data_dir)
    points = points_file(args.data_dir)
    runs = {
        "quotas off": ({"COMMONGROUND_RATE_LIMIT_ANONYMOUS": "0", "COMMONGROUND_RATE_LIMIT_KEY": "0"}, False),
        "quotas on, anonymous": ({}, False),
        "quotas on, API key": ({}, True),
    }
    results: dict[str, dict] = {}
    with bench_database(args.data_dir, args.size) as (dsn, database):
        for name, (settings, keyed) in runs.items():
            port = free_port()
            server = start_api(
                dsn,
                port,
                args.workers,
                data / "platform.log",
                settings={**settings, "COMMONGROUND_ADMIN_KEY": ADMIN_KEY},
            )
            base = f"http://127.0.0.1:{port}"
            try:
                headers = [f"Authorization: Bearer {make_key(base)}"] if keyed else []
                load("http", base, points, args.concurrency, 2.0, headers=headers)  # warm up
                unloaded = load("http", base, points, 1, 60, args.unloaded, headers=headers)
                loaded = load("http", base, points, args.concurrency, args.duration, database=database, headers=headers)
                if unloaded["errors"] or loaded["errors"]:
                    raise SystemExit(
                        f"{name}: {unloaded['errors'] + loaded['errors']} failed requests; see {data / 'platform.log'}"
                    )
                results[name] = {"unloaded": unloaded, "loaded": loaded}
            finally:
                stop_api(server)
    base_run = results["quotas off"]
    print(f"\nKeys and quotas at {args.size:,} resources, plain nearest-20 (ratios against quotas off, same run)")
    print(f"{'run':<24}{'p50 1c':>9}{'x p50':>7}{'req/s 16c':>11}{'x req/s':>9}{'db µs/req':>11}")
    for name, row in results.items():
        unloaded, loaded = row["unloaded"], row["loaded"]
        print(
            f"{name:<24}{unloaded['p50_ms']:>7.2f}ms{unloaded['p50_ms'] / base_run['unloaded']['p50_ms']:>7.2f}"
            f"{loaded['rps']:>11.0f}{loaded['rps'] / base_run['loaded']['rps']:>9.2f}"
            f"{loaded['cpu_us']['postgres']:>11.0f}"
        )
    save_results("platform.json", results)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
