"""The field app for everyone: axe-core finds no serious or critical violation on any screen, it works by
keyboard, tap targets are at least 44 px, and it reads at 320 px wide and at 200% text."""

import datetime as dt
from pathlib import Path

import httpx
from playwright.async_api import Browser, Page, expect

from tests.conftest import ADMIN, phone

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
READY = "body[data-ready=true]"
SEARCH = "/?near=45.5152,-122.6784&category=emergency-shelter"
# Targets a finger must hit, and how to read their size (a checkbox is hit through its label).
TARGETS = """() => [...document.querySelectorAll(
    'button, a.button, select, input:not([type=checkbox]):not([type=radio]), summary, label.chip, label.toggle,'
    + ' label.check, #recent a, .foot a, .bar h1 a')]
  .filter(node => node.offsetParent !== null || node.closest('dialog[open]'))
  .map(node => { const box = node.getBoundingClientRect(); return [node.textContent.trim().slice(0, 40) || node.id,
                                                                   Math.round(box.width), Math.round(box.height)]; })
  .filter(([, width, height]) => width > 0 && (width < 44 || height < 44))"""


async def _violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(AXE)  # evaluated by the test runner, so the page's CSP (rightly) does not apply
    found = await page.evaluate("axe.run(document, {resultTypes: ['violations']}).then(result => result.violations)")
    return [
        f"{item['id']} ({item['impact']}): {[node['target'] for node in item['nodes']][:3]}"
        for item in found
        if item["impact"] in ("serious", "critical")
    ]


async def _screens(page: Page, base: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    await page.goto(base + "/")
    await page.wait_for_selector(READY)
    found["search form"] = await _violations(page)
    await page.goto(base + SEARCH)
    await page.wait_for_selector("#list .card")
    await page.locator("#eligibility summary").click()
    found["results"] = await _violations(page)
    cards = page.locator("#list .card")
    await cards.nth(0).locator("button.save").click()
    await cards.nth(1).locator("button.save").click()
    found["results with a list"] = await _violations(page)
    await cards.nth(0).locator("button.details").click()
    await expect(page.locator("#detail .report")).to_be_visible()
    found["listing and report"] = await _violations(page)
    await page.keyboard.press("Escape")
    await page.goto(base + "/?near=45.5152,-122.6784&meetings=7d&events=30d")
    await expect(page.locator("#meetings-list .card").first).to_be_visible()
    await expect(page.locator("#events-list .card").first).to_be_visible()
    found["meetings and events"] = await _violations(page)
    return found


async def _gatherings(base: str) -> None:
    """A meeting in person, one online, and an event next week near downtown Portland: cards to check."""
    soon = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=7)
    bodies = {
        "/v1/meetings": [
            {
                "name": "Harbor Hope",
                "slug": "harbor-hope",
                "days": [1, 2, 3, 4, 5, 6, 7],
                "start_time": "19:00",
                "latitude": 45.523,
                "longitude": -122.676,
                "types": ["open", "discussion", "proof-of-attendance"],
            },
            {
                "name": "Night Owls Online",
                "slug": "night-owls",
                "days": [1, 2, 3, 4, 5, 6, 7],
                "start_time": "23:00",
                "timezone": "America/Los_Angeles",
                "conference_url": "https://meet.example/j/42",
            },
        ],
        "/v1/events": [
            {
                "title": "Expungement clinic",
                "starts_at": soon.isoformat(),
                "ends_at": (soon + dt.timedelta(hours=3)).isoformat(),
                "latitude": 45.5231,
                "longitude": -122.6765,
                "registration_url": "https://register.example/clinic",
            },
        ],
    }
    async with httpx.AsyncClient(base_url=base) as api:
        for path, items in bodies.items():
            for body in items:
                answer = await api.post(path, json=body, headers=ADMIN)
                assert answer.status_code == 201, answer.text


async def test_axe_finds_nothing_serious_on_any_screen(browser: Browser, live_url: str) -> None:
    await _gatherings(live_url)
    for scheme in ("light", "dark"):
        context = await phone(browser, color_scheme=scheme)
        page = await context.new_page()
        found = await _screens(page, live_url)
        await context.set_offline(True)
        await page.reload()
        await page.wait_for_selector("#list .card")
        found["offline"] = await _violations(page)
        await context.close()
        assert not {screen: issues for screen, issues in found.items() if issues}, scheme
    spanish = await phone(browser, locale="es-US")
    page = await spanish.new_page()
    found = await _screens(page, live_url)
    await spanish.close()
    assert not {screen: issues for screen, issues in found.items() if issues}, "es"


async def test_every_tap_target_is_at_least_44_px(page: Page, live_url: str) -> None:
    await page.goto(live_url + SEARCH)
    await page.wait_for_selector("#list .card")
    await page.locator("#eligibility summary").click()
    await page.locator("#list .card").first.get_by_role("button", name="Add to list").click()
    assert await page.evaluate(TARGETS) == []
    await page.locator("#list .card").first.get_by_role("button", name="Details").click()
    await expect(page.locator("#detail .report")).to_be_visible()
    assert await page.evaluate(TARGETS) == []


async def test_readable_at_320_px_and_at_200_percent_text(browser: Browser, live_url: str) -> None:
    context = await phone(browser, viewport={"width": 320, "height": 640})
    page = await context.new_page()
    await page.goto(live_url + SEARCH)
    await page.wait_for_selector("#list .card")
    overflow = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert await page.evaluate(overflow) <= 0
    await page.evaluate("document.documentElement.style.fontSize = '200%'")
    await page.locator("#eligibility summary").click()
    assert await page.evaluate(overflow) <= 0
    clipped = await page.evaluate(
        """() => [...document.querySelectorAll('#list .card h3, #list .card .hours, .actions > *')]
              .filter(node => node.scrollWidth > node.clientWidth + 1).map(node => node.textContent)"""
    )
    assert clipped == []
    await context.close()


async def test_a_search_by_keyboard_alone(page: Page, live_url: str) -> None:
    await page.goto(live_url)
    await page.wait_for_selector(READY)
    await page.keyboard.press("Tab")  # the skip link comes first
    assert await page.evaluate("document.activeElement.className") == "skip"
    field = page.get_by_label("ZIP code or address")
    await field.focus()
    await page.keyboard.type("97201")
    await page.keyboard.press("Enter")
    await page.wait_for_selector("#list .card")
    details = page.locator("#list .card").first.get_by_role("button", name="Details")
    for _ in range(200):  # forward through the form and the first card
        await page.keyboard.press("Tab")
        if await details.evaluate("node => node === document.activeElement"):
            break
    else:
        raise AssertionError("Details was never reached by Tab")
    await page.keyboard.press("Enter")
    dialog = page.locator("#detail")
    await expect(dialog).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
