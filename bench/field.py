"""`make bench-field`: the field app in headless Chromium on a slow mobile network, from the tap on
Search to the results drawn, on the seed data and on 100,000 synthetic resources.

Chromium's network is throttled to about 400 kbit/s each way with 400 ms of latency (a weak 3G
signal in a parking lot). Each run opens the page at a point (its own search, not measured), picks
a category chip and taps Search; the page marks the tap and the frame after the results entered
it, and the browser's resource timing gives when the API's answer arrived. The API's own time for
the same request is measured apart, unthrottled, from this process. Targets (issue 12): results
drawn within 1.5 s of the tap, and within 150 ms of the answer.
"""

import argparse
import asyncio
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import asyncpg
from playwright.async_api import Browser, Page, async_playwright

from bench.__main__ import bench_database, free_port, save_results, start_api, stop_api
from bench.data import query_points
from seeds.loader import load_seed
from service.queries.migrations import apply_migrations

SLOW_MOBILE = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"]
# Points among the seed data's cities (Portland, Seattle, Baltimore, Philadelphia, Chicago, Denver).
SEED_POINTS = [(45.52, -122.68), (47.61, -122.33), (39.29, -76.61), (39.95, -75.17), (41.88, -87.63), (39.74, -104.99)]
CHIPS = ["harm-reduction", "housing", "transport", "court-support"]
TIMING = """() => {
  const mark = name => performance.getEntriesByName(name)[0]?.startTime;
  const answer = performance.getEntriesByType('resource').filter(entry => entry.name.includes('/v1/resources?')).pop();
  return {tap: mark('cg-search'), drawn: mark('cg-drawn'), answered: answer?.responseEnd, url: answer?.name};
}"""


async def seed_database(server_url: str) -> str:
    """A database holding the seed dataset, made once in the benchmark server."""
    admin = await asyncpg.connect(server_url)
    if not await admin.fetchval("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'bench_seed')"):
        await admin.execute('CREATE DATABASE "bench_seed"')
    await admin.close()
    dsn = server_url.replace("/postgres?", "/bench_seed?")
    conn = await asyncpg.connect(dsn)
    try:
        await apply_migrations(conn)
        await load_seed(conn)
    finally:
        await conn.close()
    return dsn


def api_ms(url: str, repeat: int = 5) -> float:
    """The API's own time for one request, unthrottled from this process: the median of a few."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def one_search(page: Page, base: str, point: tuple[float, float], chip: str) -> dict[str, float]:
    """Open the page at a point, pick a chip and tap Search: tap, answer and drawn times in ms."""
    await page.goto(f"{base}/?near={point[0]},{point[1]}")
    await page.wait_for_selector("#list .card", timeout=60_000)
    await page.locator(f"input[name=category][value={chip}]").check()
    await page.get_by_role("button", name="Search").click()
    await page.wait_for_function("() => performance.getEntriesByName('cg-drawn').length > 0", timeout=60_000)
    timing = await page.evaluate(TIMING)
    return {
        "total_ms": timing["drawn"] - timing["tap"],
        "answer_ms": timing["answered"] - timing["tap"],
        "render_ms": timing["drawn"] - timing["answered"],
        "api_ms": await asyncio.to_thread(api_ms, timing["url"]),
    }


async def first_visit(browser: Browser, base: str) -> dict[str, float]:
    """A phone that never saw the app: from navigation to a page ready for a tap, and the bytes it took."""
    context = await browser.new_context(viewport={"width": 360, "height": 740}, locale="en-US")
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    received: list[float] = []
    cdp.on("Network.loadingFinished", lambda event: received.append(event["encodedDataLength"]))
    await cdp.send("Network.enable")
    await cdp.send("Network.emulateNetworkConditions", SLOW_MOBILE)
    await page.goto(base + "/")
    await page.wait_for_function("() => performance.getEntriesByName('cg-ready').length > 0", timeout=60_000)
    ready = await page.evaluate("performance.getEntriesByName('cg-ready')[0].startTime")
    await context.close()
    return {"first_ready_ms": ready, "first_kb": sum(received) / 1000}


async def measure(base: str, points: list[tuple[float, float]], runs: int, chromium: str) -> dict[str, float]:
    """A first visit, then medians over runs taps on a throttled phone-sized page."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        visit = await first_visit(browser, base)
        context = await browser.new_context(viewport={"width": 360, "height": 740}, locale="en-US")
        page = await context.new_page()
        cdp = await context.new_cdp_session(page)
        await cdp.send("Network.enable")
        await cdp.send("Network.emulateNetworkConditions", SLOW_MOBILE)
        await one_search(page, base, points[0], CHIPS[0])  # the first visit fills the caches
        samples = [await one_search(page, base, points[n % len(points)], CHIPS[n % len(CHIPS)]) for n in range(runs)]
        await browser.close()
    medians = {name: statistics.median(sample[name] for sample in samples) for name in samples[0]}
    medians["api_share"] = medians["api_ms"] / medians["total_ms"]
    return medians | visit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data-dir", default=os.path.join(tempfile.gettempdir(), "commonground-bench"))
    args = parser.parse_args()
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if chromium is None:
        raise SystemExit("bench-field needs Chromium: apt-get install chromium")
    results: dict[str, dict[str, float]] = {}
    with bench_database(args.data_dir, args.size) as (dsn, _):
        seed_dsn = asyncio.run(seed_database(re.sub(r"/[^/?]+\?", "/postgres?", dsn, count=1)))
        for label, database, points in (
            ("seed data", seed_dsn, SEED_POINTS),
            (f"{args.size:,} resources", dsn, query_points(args.runs)),
        ):
            port = free_port()
            server = start_api(database, port, args.workers, Path(args.data_dir) / "field-api.log")
            try:
                results[label] = asyncio.run(measure(f"http://127.0.0.1:{port}", points, args.runs, chromium))
            finally:
                stop_api(server)
    print(f"bench-field: slow mobile (400 kbit/s, 400 ms), {args.runs} taps each, medians", file=sys.stderr)
    print(f"{'':22}{'tap->drawn':>12}{'tap->answer':>13}{'answer->drawn':>15}{'API alone':>11}{'API share':>11}")
    for label, medians in results.items():
        print(
            f"{label:22}{medians['total_ms']:>10.0f}ms{medians['answer_ms']:>11.0f}ms"
            f"{medians['render_ms']:>13.0f}ms{medians['api_ms']:>9.1f}ms{medians['api_share']:>10.1%}"
        )
    for label, medians in results.items():
        print(
            f"{label:22}first visit: ready for a tap {medians['first_ready_ms']:.0f} ms after navigating, "
            f"{medians['first_kb']:.1f} KB received by the page (the service worker then caches the rest)"
        )
    for label, medians in results.items():
        for name, value, bound in (
            ("results drawn <= 1.5 s after the tap", medians["total_ms"], 1500),
            ("results drawn <= 150 ms after the answer", medians["render_ms"], 150),
        ):
            print(f"  [{'met' if value <= bound else 'MISSED'}] {label}: {name}: {value:.0f} ms")
    save_results("field", results)


if __name__ == "__main__":
    main()
