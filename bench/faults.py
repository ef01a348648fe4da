"""`make bench-faults`: the embedded PostgreSQL killed under load, and reads spread over streaming replicas.

First, `commonground serve` on a fresh embedded store while readers search and writers create (each
retried with its Idempotency-Key until acknowledged): PostgreSQL is stopped as `pg_ctl stop -m
immediate` does, then killed as the OOM killer does. It prints the status codes seen, how long each
heal took and whether an acknowledged write was lost.

Then search throughput at --size synthetic resources with the primary alone, with one streaming
replica and with two (pg_basebackup from the embedded wheel's programs, on this machine), and the
reads' p99 and failures while one replica is killed and started again. On two cores every replica
competes with the primary and the API for the same CPUs: the ratios say what the routing costs or
gains here, not what separate machines would.
"""

import argparse
import asyncio
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import asyncpg

from bench.__main__ import bench_database, free_port, load, points_file, save_results, start_api, stop_api
from tests.factories import Standby, kill_under_load, start_serve, stop_serve


def outage(folder: Path) -> dict:
    """The kill test: codes, heal times, acknowledged writes lost."""
    port = free_port()
    process = start_serve(folder, port, COMMONGROUND_RATE_LIMIT_KEY="1000000000")
    try:
        seen = kill_under_load(folder, f"http://127.0.0.1:{port}", [signal.SIGQUIT, signal.SIGKILL], readers=6)
    finally:
        stop_serve(process)
    lost = sorted(set(seen.acknowledged) - seen.kept)
    return {
        "codes": {str(code): n for code, n in sorted(seen.codes.items())},
        "heal_s": [round(seconds, 2) for seconds in seen.heal_s],
        "acknowledged": len(seen.acknowledged),
        "lost": len(lost),
        "503_without_retry_after": seen.without_retry_after,
    }


def scaling(args: argparse.Namespace) -> dict:
    """Search throughput with 0, 1 and 2 replicas, then the reads while a replica is killed."""
    results: dict = {}
    with bench_database(args.data_dir, args.size) as (dsn, _postmaster):
        database = urllib.parse.urlsplit(dsn).path.lstrip("/")
        server_url = dsn.replace(f"/{database}?", "/postgres?", 1)
        asyncio.run(keep_wal(server_url))
        points = points_file(args.data_dir)
        replicas: list[Standby] = []
        try:
            for count in (0, 1, 2):
                while len(replicas) < count:
                    folder = Path(tempfile.mkdtemp(prefix="cg-bench-replica-"))
                    replicas.append(Standby(server_url, folder).create())
                urls = ",".join(standby.url(database) for standby in replicas)
                settings = {"DATABASE_REPLICA_URLS": urls} if urls else {}
                port = free_port()
                log = Path(args.data_dir) / f"api-{count}.log"
                api = start_api(dsn, port, args.workers, log, settings=settings)
                try:
                    time.sleep(2 if count else 0)  # the first replica check, once per worker
                    target = f"http://127.0.0.1:{port}"
                    load("http", target, points, args.concurrency, 1.0)  # warm the caches
                    result = load("http", target, points, args.concurrency, args.duration)
                    results[f"{count} replicas"] = result
                    print(
                        f"  {count} replica(s): {result['rps']:7.0f} req/s  p50 {result['p50_ms']:6.2f} ms  "
                        f"p99 {result['p99_ms']:7.2f} ms  errors {result['errors']}",
                        file=sys.stderr,
                    )
                    if count == 1:
                        results["1 replica killed"] = killed(target, points, args, replicas[0])
                finally:
                    stop_api(api)
        finally:
            for standby in replicas:
                standby.stop()
                shutil.rmtree(standby.data.parent, ignore_errors=True)
    return results


async def keep_wal(server_url: str) -> None:
    """Keep enough WAL on the primary for a killed replica to catch up from it."""
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute("ALTER SYSTEM SET wal_keep_size = '256MB'")
        await conn.execute("SELECT pg_reload_conf()")
    finally:
        await conn.close()


def killed(target: str, points: Path, args: argparse.Namespace, standby: Standby) -> dict:
    """Load while the replica is killed a second in and started again two seconds later."""

    def fault() -> None:
        time.sleep(1.0)
        standby.kill()
        time.sleep(2.0)
        standby.start()

    thread = threading.Thread(target=fault)
    thread.start()
    result = load("http", target, points, args.concurrency, max(args.duration, 5.0))
    thread.join()
    print(
        f"  1 replica killed and back: {result['rps']:7.0f} req/s  p99 {result['p99_ms']:7.2f} ms  "
        f"errors {result['errors']}",
        file=sys.stderr,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of load per measurement")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data-dir", default=os.path.join(tempfile.gettempdir(), "commonground-bench"))
    args = parser.parse_args()
    print("PostgreSQL killed twice under load (6 readers, 2 writers):", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="cg-bench-faults-") as folder:
        killing = outage(Path(folder))
    print(
        f"  codes {killing['codes']}, healed in {', '.join(f'{s:.1f} s' for s in killing['heal_s'])}, "
        f"{killing['acknowledged']} writes acknowledged, {killing['lost']} lost, "
        f"{killing['503_without_retry_after']} 503s without Retry-After",
        file=sys.stderr,
    )
    print(f"Reads with streaming replicas ({args.size:,} resources, {args.concurrency} connections):", file=sys.stderr)
    spread = scaling(args)
    base = spread["0 replicas"]["rps"]
    for name in ("1 replicas", "2 replicas"):
        print(f"  {name[0]} replica(s): {spread[name]['rps'] / base:.2f}x the primary alone", file=sys.stderr)
    save_results("faults.json", {"outage": killing, "replicas": spread})


if __name__ == "__main__":
    main()
