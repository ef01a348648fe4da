"""`make screenshots`: the field app's main screens at 360x740, light and dark, and in Spanish, for the README.

Serves the seed data from a throwaway embedded PostgreSQL, drives Debian's Chromium through them
as a specialist would, and writes PNGs to service/field/screenshots/.
"""

import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

import asyncpg
from playwright.async_api import Page, async_playwright

from seeds.loader import load_seed
from service.embedded import embedded_postgres
from service.queries.migrations import apply_migrations
from tests.conftest import CHROMIUM_ARGS, PHONE, PORTLAND, chromium_path, make_settings, serving

OUT = Path(__file__).resolve().parent.parent / "service" / "field" / "screenshots"


async def _shoot(page: Page, base: str, suffix: str) -> None:
    """The four screens, found by their ids rather than their words, so any language is shot alike."""
    await page.goto(base + "/")
    await page.wait_for_selector("body[data-ready=true]")
    await page.screenshot(path=OUT / f"search-{suffix}.png")
    await page.locator("#locate").click()
    await page.wait_for_selector("#list .card")
    await page.locator("label.chip:has(input[value=emergency-shelter])").click()
    await page.locator("#go").click()
    await page.wait_for_selector("#list .card")
    await page.evaluate("document.querySelector('#status').scrollIntoView()")
    await page.screenshot(path=OUT / f"results-{suffix}.png")
    cards = page.locator("#list .card")
    await cards.nth(0).locator("button.save").click()
    await cards.nth(1).locator("button.save").click()
    await cards.nth(0).locator("button.details").click()
    await page.wait_for_selector("#detail .report")
    await page.screenshot(path=OUT / f"listing-{suffix}.png")
    await page.locator("#detail-close").click()
    await page.evaluate("document.querySelector('#shortlist').scrollIntoView()")
    await page.screenshot(path=OUT / f"list-{suffix}.png")


async def main() -> None:
    chromium = chromium_path()
    if chromium is None:
        raise SystemExit("make screenshots needs Chromium: apt-get install chromium")
    OUT.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="commonground-screens-"))
    try:
        with embedded_postgres(folder) as url:
            conn = await asyncpg.connect(url)
            await apply_migrations(conn)
            await load_seed(conn)
            await conn.close()
            async with serving(make_settings(url)) as base, async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                for scheme, locale, suffix in (
                    ("light", "en-US", "light"),
                    ("dark", "en-US", "dark"),
                    ("light", "es-US", "es"),
                ):
                    context = await browser.new_context(
                        viewport=PHONE,  # type: ignore[arg-type]
                        color_scheme=scheme,  # type: ignore[arg-type]
                        locale=locale,
                        timezone_id="America/Los_Angeles",
                        geolocation=PORTLAND,
                        permissions=["geolocation"],
                    )
                    await _shoot(await context.new_page(), base, suffix)
                    await context.close()
                await browser.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"wrote {len(list(OUT.glob('*.png')))} screenshots to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
