"""Load generator, run as its own process: `python -m bench.load sql|http TARGET ...`, prints JSON.

Both modes send the same query points at the same concurrency. The HTTP client is a bare
asyncio HTTP/1.1 keep-alive loop, so the generator spends as little of the shared CPU as the
asyncpg client does in SQL mode.
"""

import argparse
import asyncio
import json
import sys
import time
from urllib.parse import urlsplit

import asyncpg

RAW_NEAREST = """
    SELECT l.id, l.geo <-> ll_to_earth($1, $2) AS chord
      FROM locations l
     ORDER BY l.geo <-> ll_to_earth($1, $2)
     LIMIT 20
"""


def summary(latencies: list[float], elapsed: float, errors: int) -> dict:
    ordered = sorted(latencies)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else None  # noqa: E731
    return {
        "requests": len(ordered),
        "errors": errors,
        "seconds": elapsed,
        "rps": len(ordered) / elapsed if elapsed else 0,
        "p50_ms": pick(0.5),
        "p99_ms": pick(0.99),
    }


async def drive(workers: list, points: list, duration: float, count: int | None) -> dict:
    """Run each worker's request function in a loop over the shared points until time or count runs out."""
    latencies: list[float] = []
    errors = 0
    cursor = iter(range(10**12))
    stop_at = time.perf_counter() + duration

    async def loop(request) -> None:
        nonlocal errors
        while time.perf_counter() < stop_at:
            index = next(cursor)
            if count is not None and index >= count:
                return
            started = time.perf_counter()
            try:
                ok = await request(*points[index % len(points)])
            except Exception:  # noqa: BLE001 - a benchmark counts failures rather than stopping
                ok = False
            if ok:
                latencies.append(time.perf_counter() - started)
            else:
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(loop(request) for request in workers))
    return summary(latencies, time.perf_counter() - started, errors)


async def run_sql(dsn: str, points: list, concurrency: int, duration: float, count: int | None) -> dict:
    """The raw nearest-20 query, one prepared statement per connection."""
    connections = [await asyncpg.connect(dsn) for _ in range(concurrency)]
    statements = [await conn.prepare(RAW_NEAREST) for conn in connections]

    def worker(statement):
        async def request(lat: float, lon: float) -> bool:
            return len(await statement.fetch(lat, lon)) == 20

        return request

    try:
        return await drive([worker(statement) for statement in statements], points, duration, count)
    finally:
        for conn in connections:
            await conn.close()


async def run_http(
    base: str,
    points: list,
    concurrency: int,
    duration: float,
    count: int | None,
    query: str = "",
    expect: int = 20,
    headers: list[str] | None = None,
    path: str = "/v1/resources",
    bbox: float | None = None,
) -> dict:
    """GET <path>?near=...&<query> (/v1/resources unless told) over keep-alive HTTP/1.1 connections; a 200
    with fewer than `expect` results counts as an error. With bbox, a box that many degrees wide around
    each point instead of near."""
    parts = urlsplit(base)
    extra = "".join(f"{header}\r\n" for header in headers or [])
    streams = [await asyncio.open_connection(parts.hostname, parts.port) for _ in range(concurrency)]

    def worker(reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        async def request(lat: float, lon: float) -> bool:
            if bbox is None:
                where = f"near={lat},{lon}"
            else:
                where = f"bbox={lon - bbox / 2:.5f},{lat - bbox / 2:.5f},{lon + bbox / 2:.5f},{lat + bbox / 2:.5f}"
            writer.write(f"GET {path}?{where}&limit=20{query} HTTP/1.1\r\nHost: {parts.netloc}\r\n{extra}\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            body = await reader.readexactly(length)
            return head.startswith(b"HTTP/1.1 200") and body.count(b'"distance_m"') >= expect  # both APIs' shape

        return request

    try:
        return await drive([worker(*stream) for stream in streams], points, duration, count)
    finally:
        for _, writer in streams:
            writer.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["sql", "http"])
    parser.add_argument("target")
    parser.add_argument("--points", required=True, help="JSON file of [lat, lon] pairs")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--count", type=int, help="stop after this many requests")
    parser.add_argument("--query", default="", help="http: extra query string, e.g. &q=naloxone")
    parser.add_argument("--expect", type=int, default=20, help="http: fewest results a good answer has")
    parser.add_argument("--header", action="append", default=[], help="http: an extra 'Name: value' header")
    parser.add_argument("--path", default="/v1/resources", help="http: the search's path, e.g. /v1/meetings")
    parser.add_argument("--bbox", type=float, help="http: search a box this many degrees wide, not near the point")
    args = parser.parse_args()
    with open(args.points) as handle:
        points = json.load(handle)
    if args.mode == "sql":
        coroutine = run_sql(args.target, points, args.concurrency, args.duration, args.count)
    else:
        coroutine = run_http(
            args.target,
            points,
            args.concurrency,
            args.duration,
            args.count,
            args.query,
            args.expect,
            args.header,
            args.path,
            args.bbox,
        )
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(coroutine)
    else:
        result = uvloop.run(coroutine)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
