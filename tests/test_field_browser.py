"""The field app in a real Chromium on a phone-sized screen, as a specialist uses it: locate, tap, read,
hand a list over, lose the signal, switch language."""

import asyncio
import datetime as dt
import io
import re
import urllib.parse
from zoneinfo import ZoneInfo

import httpx
import numpy
import pypdf
import pytest
import zxingcpp
from playwright.async_api import Browser, Page, expect

from tests.conftest import ADMIN, _clone, make_settings, phone, serving
from tests.factories import resource_body

READY = "body[data-ready=true]"
TILES = "https://tiles.test/{z}/{x}/{y}.png"
# The smallest PNG: one transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


@pytest.fixture(scope="module")
async def tiled_url(server_url: str, templates: dict[str, str]):
    """The app over the seed data with map tiles configured."""
    async for url in _clone(server_url, templates["seeded"]):
        async with serving(make_settings(url, tile_url=TILES)) as base:
            yield base


async def _open(page: Page, url: str) -> None:
    await page.goto(url)
    await page.wait_for_selector(READY)


async def _results(page: Page) -> list[str]:
    await page.wait_for_selector("#list .card")
    return await page.locator("#list .card h3").all_inner_texts()


async def test_my_location_finds_the_nearest_with_distance_direction_and_hours(page: Page, live_url: str) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    await _open(page, live_url)
    await page.get_by_role("button", name="Use my location").click()
    names = await _results(page)
    assert len(names) == 20
    assert [url for url in requested if not url.startswith(live_url)] == []  # nothing from another origin
    await expect(page.locator("#map")).to_be_hidden()  # no tiles configured: no map
    first = page.locator("#list .card").first
    assert re.search(r"^\d+(\.\d)? mi( (N|NE|E|SE|S|SW|W|NW))?$", await first.locator(".distance").inner_text())
    status = await first.locator(".hours strong").inner_text()
    assert re.match(r"^(Open now|Closed|Hours not listed)", status)  # a word, never only a colour
    assert await first.locator(".verified").inner_text()
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)
    assert query["near"] == ["45.51520,-122.67840"]
    await expect(page.locator("#status")).to_have_text("20 places")
    # The page's state is its URL: a reload shows the same answer.
    await page.reload()
    assert await _results(page) == names


async def test_zip_category_and_filters_live_in_the_url(page: Page, live_url: str) -> None:
    await _open(page, live_url)
    await page.get_by_label("ZIP code or address").fill("97201")
    await page.locator("label.chip", has_text="Emergency shelter").click()
    await page.get_by_text("Who it is for").click()
    await page.get_by_label("No ID required").check()
    await page.get_by_role("button", name="Search").click()
    await _results(page)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)
    assert query == {"zip": ["97201"], "category": ["emergency-shelter"], "attribute": ["no-id-required"]}
    async with httpx.AsyncClient(base_url=live_url) as api:  # the server runs on this test's own event loop
        answer = await api.get(
            "/v1/resources", params={"zip": "97201", "category": "emergency-shelter", "attribute": "no-id-required"}
        )
    expected = answer.json()
    assert await page.locator("#list .card h3").all_inner_texts() == [
        item["service"]["name"] for item in expected["items"]
    ]
    for tags in await page.locator("#list .card .tags").all_inner_texts():
        assert "No ID required" in tags
    # Bookmarked and opened later: the form is filled in again.
    await _open(page, page.url)
    await _results(page)
    assert await page.get_by_label("ZIP code or address").input_value() == "97201"
    assert await page.locator("input[name=category][value=emergency-shelter]").is_checked()
    assert await page.get_by_label("No ID required").is_checked()


async def test_a_bad_zip_is_explained_next_to_the_field(page: Page, live_url: str) -> None:
    await _open(page, live_url)
    await page.get_by_label("ZIP code or address").fill("00000")
    await page.get_by_role("button", name="Search").click()
    error = page.locator("#where-error")
    await expect(error).to_be_visible()
    assert (await error.inner_text()).startswith("zip:")
    assert await page.locator("#list .card").count() == 0
    await page.get_by_label("ZIP code or address").fill("")
    await page.get_by_role("button", name="Search").click()
    await expect(error).to_have_text("Tap “Use my location” or type a ZIP code or address.")


async def test_listing_text_is_shown_as_text_and_never_runs(page: Page, live_url: str) -> None:
    hostile = '<img src=x onerror="window.__pwned=1">Shelter'
    body = {
        "organization": {"name": "<script>window.__pwned=2</script>"},
        "service": {
            "name": hostile,
            "categories": ["emergency-shelter"],
            "description": '<b>bold</b> <a href="javascript:window.__pwned=3">javascript:window.__pwned=3</a>',
            "url": "https://example.org/<script>",
        },
        "location": {"name": "Hostile", "latitude": 19.7241, "longitude": -155.0868},  # Hilo, far from the seed
        "phones": [{"number": "javascript:alert(1)"}],
    }
    async with httpx.AsyncClient(base_url=live_url) as api:
        created = await api.post("/v1/resources", json=body, headers=ADMIN)
    assert created.status_code == 201, created.text
    await _open(page, live_url + "/?near=19.7241,-155.0868")
    assert (await _results(page))[0] == hostile
    first = page.locator("#list .card").first
    assert await first.locator("img, script, b").count() == 0
    hrefs = await page.eval_on_selector_all("a[href]", "links => links.map(link => link.getAttribute('href'))")
    assert not [href for href in hrefs if not href.startswith(("/", "#", "https://", "http://", "tel:", "sms:"))]
    await first.get_by_role("button", name="Details").click()
    dialog = page.locator("#detail")
    await expect(dialog.locator("h2")).to_have_text(hostile)
    shown = await dialog.inner_text()
    assert "null" not in shown and "undefined" not in shown and "[object" not in shown
    await expect(dialog.get_by_text('<a href="javascript:window.__pwned=3">')).to_be_visible()  # shown, not linked
    assert await dialog.locator("a[href^=javascript]").count() == 0
    assert await page.evaluate("window.__pwned") is None


async def test_a_list_goes_out_by_text_message_and_on_paper(page: Page, live_url: str) -> None:
    await _open(page, live_url + "/?near=45.5152,-122.6784&category=emergency-shelter")
    names = await _results(page)
    cards = page.locator("#list .card")
    for n in (0, 1):
        await cards.nth(n).get_by_role("button", name="Add to list").click()
    await expect(cards.nth(0).get_by_role("button", name="On the list")).to_have_attribute("aria-pressed", "true")
    await expect(page.locator("#shortlist-count")).to_have_text("(2 places)")
    sms = urllib.parse.unquote(await page.get_by_role("link", name="Send by text message").get_attribute("href") or "")
    assert sms.startswith("sms:?&body=Places that can help")
    assert f"1. {names[0]}" in sms and f"2. {names[1]}" in sms
    # The printed page holds the list and nothing else of the screen.
    await page.emulate_media(media="print")
    await expect(page.locator("#handout")).to_be_visible()
    await expect(page.locator("#search")).to_be_hidden()
    handout = await page.locator("#handout").inner_text()
    assert names[0] in handout and names[1] in handout and "call ahead" in handout
    # Printed to PDF, as a phone's "Save as PDF" would: one page holding the list and nothing else.
    printed = pypdf.PdfReader(io.BytesIO(await page.pdf(format="Letter")))
    assert len(printed.pages) == 1, [page.extract_text()[:200] for page in printed.pages]
    text = " ".join(printed.pages[0].extract_text().split())
    assert names[0] in text and names[1] in text and "Places that can help" in text
    assert "Use my location" not in text and "Search" not in text
    await page.emulate_media(media="screen")
    # Kept on the phone across visits, and gone in one tap.
    await page.reload()
    await expect(page.locator("#shortlist-count")).to_have_text("(2 places)")
    await page.get_by_role("button", name="Clear list").click()
    await expect(page.locator("#shortlist")).to_be_hidden()
    assert await page.evaluate("localStorage.getItem('cg.list')") is None


async def test_with_no_signal_the_page_and_the_last_search_still_open(browser: Browser, live_url: str) -> None:
    context = await phone(browser)
    page = await context.new_page()

    async def late(route) -> None:
        await asyncio.sleep(0.5)  # answers arriving in any order are all kept
        await route.continue_()

    await page.route("**/v1/categories", late)
    await _open(page, live_url + "/?near=45.5152,-122.6784&category=naloxone")
    names = await _results(page)
    await page.wait_for_selector("label.chip")
    await page.unroute("**/v1/categories")
    await page.evaluate("navigator.serviceWorker.ready")
    await page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    await context.set_offline(True)
    await page.reload()
    await page.wait_for_selector(READY)
    assert await _results(page) == names
    # The choices came from kept answers too: every family's chips and every eligibility attribute.
    assert await page.locator("label.chip").count() >= 20 and await page.locator("input[name=attribute]").count() >= 10
    await expect(page.locator("#status")).to_contain_text("you are offline")
    await expect(page.locator("#offline")).to_be_visible()
    # A search never made on this phone says so instead of showing nothing.
    await page.locator("label.chip", has_text="Legal aid").click()
    await page.get_by_role("button", name="Search").click()
    await expect(page.locator("#status")).to_have_text("You are offline, and this search was not saved on this phone.")
    await context.close()


async def test_spanish_from_the_browser_and_english_by_choice(browser: Browser, live_url: str) -> None:
    context = await phone(browser, locale="es-MX")
    page = await context.new_page()
    await _open(page, live_url)
    assert await page.evaluate("document.documentElement.lang") == "es"
    await page.get_by_role("button", name="Usar mi ubicación").click()
    await _results(page)
    await expect(page.locator("#status")).to_have_text("20 lugares")
    assert await page.locator("label.chip", has_text="Albergue de emergencia").count() == 1
    await page.get_by_label("Idioma").select_option("en")
    assert await page.evaluate("document.documentElement.lang") == "en"
    await expect(page.get_by_role("button", name="Use my location")).to_be_visible()
    await page.reload()
    await page.wait_for_selector(READY)
    assert await page.evaluate("document.documentElement.lang") == "en"  # the choice is kept
    await context.close()


async def _queue(live_url: str) -> list[dict]:
    async with httpx.AsyncClient(base_url=live_url) as api:
        return (await api.get("/v1/suggestions", params={"limit": 100}, headers=ADMIN)).json()["items"]


async def test_a_problem_reported_from_the_field_reaches_the_queue(page: Page, live_url: str) -> None:
    await _open(page, live_url + "/?near=45.5152,-122.6784&category=rides")
    await _results(page)
    first = page.locator("#list .card").first
    name = await first.locator("h3").inner_text()
    await first.get_by_role("button", name="Details").click()
    dialog = page.locator("#detail")
    await dialog.get_by_label("Wrong phone number").check()
    await dialog.get_by_label("Details (optional)").fill("the number rings a fax machine")
    await dialog.get_by_role("button", name="Send report").click()
    await expect(dialog.locator(".report .status")).to_have_text("Received, thank you. A curator will check it.")
    reported = [
        item for item in await _queue(live_url) if item["note"] == "Wrong phone number: the number rings a fax machine"
    ]
    assert len(reported) == 1 and reported[0]["kind"] == "problem"
    async with httpx.AsyncClient(base_url=live_url) as api:
        service = (await api.get(f"/v1/services/{reported[0]['service_id']}")).json()
    assert service["name"] == name


async def test_a_report_written_with_no_signal_is_sent_once_when_it_returns(browser: Browser, live_url: str) -> None:
    context = await phone(browser)
    page = await context.new_page()
    await _open(page, live_url + "/?near=45.5152,-122.6784&category=naloxone")
    await _results(page)
    await page.locator("#list .card").first.get_by_role("button", name="Details").click()
    await context.set_offline(True)
    dialog = page.locator("#detail")
    await dialog.get_by_label("It has closed").check()
    await dialog.get_by_label("Details (optional)").fill("boarded up since Monday")
    await dialog.get_by_role("button", name="Send report").click()
    await expect(dialog.locator(".report .status")).to_contain_text("saved on this phone")
    assert not [item for item in await _queue(live_url) if item["note"] == "boarded up since Monday"]
    await context.set_offline(False)
    await expect(page.locator("#status")).to_have_text("Your saved reports were sent.")
    await page.reload()  # a later visit does not send it again
    await page.wait_for_selector(READY)
    sent = [item for item in await _queue(live_url) if item["note"] == "boarded up since Monday"]
    assert [item["kind"] for item in sent] == ["closure"]
    assert await page.evaluate("localStorage.getItem('cg.outbox')") == "[]"
    await context.close()


async def test_the_list_as_a_qr_code_reads_back_as_its_text(page: Page, live_url: str) -> None:
    await _open(page, live_url + "/?near=45.5152,-122.6784&category=emergency-shelter")
    await _results(page)
    cards = page.locator("#list .card")
    for n in range(3):
        await cards.nth(n).locator("button.save").click()
    sms = urllib.parse.unquote(await page.get_by_role("link", name="Send by text message").get_attribute("href") or "")
    await page.get_by_role("button", name="Show QR code").click()
    canvas = page.locator("#qr canvas")
    await expect(canvas).to_be_visible()
    width, height, grey = await canvas.evaluate(
        """canvas => {
            const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            return [canvas.width, canvas.height, Array.from(data.filter((_, n) => n % 4 === 0))];
        }"""
    )
    decoded = zxingcpp.read_barcodes(numpy.array(grey, dtype=numpy.uint8).reshape(height, width))
    assert [code.text for code in decoded] == [sms.removeprefix("sms:?&body=")]
    # Changing the list takes the old code away.
    await cards.nth(0).locator("button.save").click()
    await expect(page.locator("#qr")).to_be_hidden()


async def test_an_area_downloaded_once_is_searched_offline_and_follows_the_feed(
    browser: Browser, live_url: str
) -> None:
    context = await phone(browser)
    page = await context.new_page()
    where = "near=45.5152,-122.6784"
    await _open(page, f"{live_url}/?{where}")
    await _results(page)
    outside = resource_body(47.61, -122.33, name="Harbor drop-in", categories=["naloxone"])
    async with httpx.AsyncClient(base_url=live_url) as api:
        harbor = (await api.post("/v1/resources", json=outside, headers=ADMIN)).json()
        size = (await api.get(f"/v1/resources/count?{where}&radius=10&unit=mi")).json()["count"]
    await page.get_by_label("Listings within").select_option("10")
    await page.get_by_role("button", name="Check the size").click()
    await expect(page.locator("#area-state")).to_contain_text(f"About {size} places within 10 mi of My location")
    await page.get_by_role("button", name="Download").click()
    await expect(page.locator("#area-state")).to_contain_text(f"{size} places within 10 mi of My location are on")
    assert size > 20  # more than one page of the API
    # The hours the phone computes agree with the API's for every listing kept.
    disagree = await page.evaluate(
        """async () => {
            const { hoursAt } = await import(document.documentElement.dataset.base + 'js/hours.js');
            const { current } = await import(document.documentElement.dataset.base + 'js/pack.js');
            const now = new Date();
            return (await current()).items.filter(item => hoursAt(item, now).open_now !== item.open_now)
                                          .map(item => item.service.name);
        }"""
    )
    assert disagree == []
    # Changes on the server reach the phone: one listing renamed, one closed for good.
    async with httpx.AsyncClient(base_url=live_url) as api:
        kept = (await api.get(f"/v1/resources?{where}&category=harm-reduction&limit=3")).json()["items"]
        renamed, closed = kept[0], kept[1]
        headers = {**ADMIN, "If-Match": "*"}
        patched = await api.patch(
            f"/v1/services/{renamed['service']['id']}", json={"name": "Renamed van"}, headers=headers
        )
        assert patched.status_code == 200, patched.text
        assert (await api.delete(f"/v1/services/{closed['service']['id']}", headers=headers)).status_code == 204
        # A place opened inside, one moved in from Seattle, one moved away: the feed says what, not where.
        opened = resource_body(45.52, -122.67, name="New night van", categories=["naloxone"])
        assert (await api.post("/v1/resources", json=opened, headers=ADMIN)).status_code == 201
        moved_in = {"latitude": 45.51, "longitude": -122.66}
        assert (await api.patch(f"/v1/locations/{harbor['location']['id']}", json=moved_in, headers=headers)).is_success
        gone = kept[2]
        away = {"latitude": 44.05, "longitude": -123.09}
        assert (await api.patch(f"/v1/locations/{gone['location']['id']}", json=away, headers=headers)).is_success
        expected = (await api.get(f"/v1/resources?{where}&category=harm-reduction&radius=10")).json()["items"]
        now = (await api.get(f"/v1/resources/count?{where}&radius=10&unit=mi")).json()["count"]
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    await page.get_by_role("button", name="Update now").click()
    await expect(page.locator("#status")).to_have_text("The area is up to date.")
    await expect(page.locator("#area-state")).to_contain_text(f"{now} places")
    # Only what changed was asked for: no download of the area again.
    searches = [url for url in asked if "/v1/resources?" in url]
    assert searches and all("listing=" in url for url in searches), searches
    # With no signal, a search never made before is answered from the area, as the API would.
    await context.set_offline(True)
    await page.locator("label.chip", has_text="Harm reduction").click()
    await page.get_by_role("button", name="Search").click()
    await expect(page.locator("#status")).to_contain_text("from the downloaded area")
    names = await page.locator("#list .card h3").all_inner_texts()
    assert names[:10] == [item["service"]["name"] for item in expected][:10]
    assert "Renamed van" in names and closed["service"]["name"] not in names
    assert {"New night van", "Harbor drop-in"} <= set(names) and gone["service"]["name"] not in names
    await page.get_by_label("Words (optional)").fill("naloxone")
    await page.get_by_role("button", name="Search").click()
    await expect(page.locator("#status")).to_contain_text("from the downloaded area")
    matched = await page.evaluate(
        """async () => {
            const { current } = await import(document.documentElement.dataset.base + 'js/pack.js');
            const kept = new Map((await current()).items.map(item => [item.id, item]));
            return [...document.querySelectorAll('#list .card')].map(card => {
                const s = kept.get(card.dataset.id).service;
                return [s.name, s.description, ...s.categories].join(' ').toLowerCase().includes('naloxone');
            });
        }"""
    )
    assert matched and all(matched)
    await context.set_offline(False)
    await page.get_by_role("button", name="Delete the area").click()
    await expect(page.locator("#area-state")).to_have_text(
        "Download the listings around a search once, and find them with no signal."
    )
    await context.close()


async def test_with_tiles_a_small_map_numbers_the_results_and_never_blocks_them(page: Page, tiled_url: str) -> None:
    tiles: list[str] = []

    async def tile(route, request) -> None:
        tiles.append(request.url)
        await route.fulfill(status=200, content_type="image/png", body=PNG)

    await page.route("https://tiles.test/**", tile)
    response = await page.goto(tiled_url + "/?near=45.5152,-122.6784&category=harm-reduction")
    assert (
        response is not None
        and "img-src 'self' data: https://tiles.test;" in response.headers["content-security-policy"]
    )
    await page.wait_for_selector("#list .card")
    await expect(page.locator("#map")).to_be_visible()
    await expect(page.locator("#map figcaption")).to_have_text("© OpenStreetMap contributors")
    pins = await page.locator("#map .pin:not(.here)").all_inner_texts()
    physical = await page.evaluate("document.querySelectorAll('#list .card').length")
    assert pins and set(pins) <= {str(n) for n in range(1, physical + 1)} and pins[0] == "1"
    assert tiles and all(re.fullmatch(r"https://tiles\.test/\d+/\d+/\d+\.png", url) for url in tiles)
    numbered = "getComputedStyle(document.querySelector('#list .card h3'), '::before').content"
    assert "counter(card)" in await page.evaluate(numbered)  # the cards carry the pins' numbers
    # A tile source that fails takes the map away, not the list.
    await page.unroute("https://tiles.test/**")
    await page.route("https://tiles.test/**", lambda route: route.abort())
    await page.reload()
    await page.wait_for_selector("#list .card")
    await expect(page.locator("#map")).to_be_hidden()
    assert await page.locator("#list .card").count() == 20


def _meeting(name: str, starts_in: dt.timedelta, **fields: object) -> dict:
    """A weekly meeting whose next start, in Portland, is starts_in from now."""
    local = (dt.datetime.now(ZoneInfo("America/Los_Angeles")) + starts_in).replace(second=0, microsecond=0)
    ends = local + dt.timedelta(hours=1)
    return {
        "name": name,
        "slug": name.lower().replace(" ", "-"),
        "days": [local.isoweekday()],
        "start_time": local.strftime("%H:%M"),
        "end_time": ends.strftime("%H:%M"),
        "timezone": "America/Los_Angeles",
        **fields,
    }


async def test_meetings_near_here_starting_soon_and_online_ones_after(browser: Browser, live_url: str) -> None:
    near = {"latitude": 45.5231, "longitude": -122.6765, "address": {"address_1": "5 Oak St", "city": "Portland"}}
    online = {"conference_url": "https://meet.example/j/42", "conference_phone": "+1 503 555 0199,,42#"}
    made = [
        _meeting(
            "Harbor Hope", dt.timedelta(minutes=40), types=["open", "proof-of-attendance"], fellowship="NA", **near
        ),
        _meeting("Night Owls Online", dt.timedelta(minutes=70), types=["discussion"], **online),
        # A little farther: results are nearest first, and a tie of distances would be in id order.
        _meeting("Later Today", dt.timedelta(hours=5), **{**near, "latitude": 45.5431}),
    ]
    async with httpx.AsyncClient(base_url=live_url) as api:
        for body in made:
            answer = await api.post("/v1/meetings", json=body, headers=ADMIN)
            assert answer.status_code == 201, answer.text
    context = await phone(browser)
    page = await context.new_page()
    await _open(page, f"{live_url}/?near=45.5152,-122.6784&meetings=3h")
    await _results(page)
    cards = page.locator("#meetings-list .card")
    await expect(cards).to_have_count(2)
    first, second = cards.nth(0), cards.nth(1)
    await expect(first.locator("h3")).to_have_text("Harbor Hope")
    assert re.search(r"Starting in (3[5-9]|40) min", await first.inner_text()), await first.inner_text()
    await expect(first.locator(".tags")).to_contain_text("Proof of attendance")
    await expect(first.locator(".distance")).to_contain_text("mi")
    await expect(second.locator("h3")).to_have_text("Night Owls Online")
    await expect(second.get_by_role("link", name="Join online")).to_have_attribute("href", "https://meet.example/j/42")
    await expect(second.get_by_role("link", name=re.compile("Dial in"))).to_have_attribute(
        "href", "tel:+15035550199,,42#"
    )
    # Only in person: the online one goes; a longer time brings the later one.
    await page.get_by_label("Attend").select_option("false")
    await page.get_by_label("Starting").select_option("12h")
    await page.get_by_role("button", name="Find meetings").click()
    # Waits for the new answer: the list before it also held two cards.
    await expect(page.locator("#meetings-list .card h3")).to_have_text(["Harbor Hope", "Later Today"])
    assert "meetings=12h" in page.url and "meetings_online=false" in page.url
    # In Spanish, from the same answer's numbers.
    await page.get_by_label("Language").select_option("es")
    await page.get_by_role("button", name="Buscar reuniones").click()
    await expect(page.locator("#meetings-list .card").first).to_contain_text("Empieza en")
    await context.close()


def _event(title: str, starts_in: dt.timedelta, where: tuple[float, float] | None, **fields: object) -> dict:
    """A one-off event of an hour and a half starting starts_in from now (to the minute)."""
    starts = (dt.datetime.now(dt.UTC) + starts_in).replace(second=0, microsecond=0)
    body: dict = {
        "title": title,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + dt.timedelta(minutes=90)).isoformat(),
    }
    if where is not None:
        body["latitude"], body["longitude"] = where
    return {**body, **fields}


EVENTS = {
    "Naloxone training": _event(
        "Naloxone training", dt.timedelta(hours=1), (45.60, -122.60), fee="$5, waived on request"
    ),
    "Expungement clinic": _event(
        "Expungement clinic",
        dt.timedelta(hours=2),
        (45.5231, -122.6765),
        free=True,
        capacity=30,
        registration_url="https://register.example/clinic",
        languages=["en", "es"],
    ),
    "Recovery workshop online": _event(
        "Recovery workshop online",
        dt.timedelta(hours=3),
        None,
        online_url="https://meet.example/w/7",
        timezone="America/Los_Angeles",
    ),
    "Denver peer summit": _event("Denver peer summit", dt.timedelta(hours=4), (39.7392, -104.9903)),
    "Mobile clinic stop": _event("Mobile clinic stop", dt.timedelta(days=12), (45.5200, -122.6800)),
}


async def _events_shown(page: Page) -> list[str]:
    """The titles of this test's events among the cards, in their order (the seed may hold others)."""
    titles = await page.locator("#events-list .card h3").all_inner_texts()
    return [title for title in titles if title in EVENTS]


async def test_events_near_here_by_start_or_distance_and_offline(browser: Browser, live_url: str) -> None:
    async with httpx.AsyncClient(base_url=live_url) as api:
        for body in EVENTS.values():
            answer = await api.post("/v1/events", json=body, headers=ADMIN)
            assert answer.status_code == 201, answer.text
    context = await phone(browser)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await _open(page, f"{live_url}/?near=45.5152,-122.6784&events=7d")
    await _results(page)
    await expect(page.locator("#events-state")).to_contain_text("events")
    # Soonest first, the one twelve days away not in the week.
    assert await _events_shown(page) == [
        "Naloxone training",
        "Expungement clinic",
        "Recovery workshop online",
        "Denver peer summit",
    ]
    clinic = page.locator("#events-list .card", has_text="Expungement clinic")
    await expect(clinic.locator(".distance")).to_have_text(re.compile(r"^0\.\d mi (N|NE|E|SE|S|SW|W|NW)$"))
    await expect(clinic.locator(".facts")).to_have_text("Free · Room for 30 people")
    await expect(clinic.locator(".tags")).to_have_text("ES")
    await expect(clinic.get_by_role("link", name="Register")).to_have_attribute(
        "href", "https://register.example/clinic"
    )
    await expect(clinic.get_by_role("link", name="Directions")).to_have_attribute(
        "href", re.compile(r"^https://www\.google\.com/maps/dir/\?api=1&destination=45\.523100,-122\.676500$")
    )
    starts = dt.datetime.fromisoformat(EVENTS["Expungement clinic"]["starts_at"]).astimezone(
        ZoneInfo("America/Los_Angeles")
    )
    assert f"{starts.hour % 12 or 12}:{starts:%M}" in await clinic.locator(".hours").inner_text()
    paid = page.locator("#events-list .card", has_text="Naloxone training")
    await expect(paid.locator(".facts")).to_have_text("Cost: $5, waived on request")
    online = page.locator("#events-list .card", has_text="Recovery workshop online")
    await expect(online.locator(".serves")).to_have_text("Online")
    await expect(online.get_by_role("link", name="Join online")).to_have_attribute("href", "https://meet.example/w/7")
    # Denver's start in Denver's own time, named, on a phone in Portland.
    summit = page.locator("#events-list .card", has_text="Denver peer summit")
    local = dt.datetime.fromisoformat(EVENTS["Denver peer summit"]["starts_at"]).astimezone(ZoneInfo("America/Denver"))
    shown = await summit.locator(".hours").inner_text()
    assert f"{local.hour % 12 or 12}:{local:%M}" in shown and re.search(r"\bM[SD]T\b", shown), shown
    # Nearest first, in person only, over a month: the URL carries every choice.
    await page.get_by_label("Order").select_option("distance")
    await page.get_by_label("Taking part").select_option("false")
    await page.get_by_label("When").select_option("30d")
    await page.get_by_role("button", name="Find events").click()
    await expect(page.locator("#events-list .card", has_text="Mobile clinic stop")).to_have_count(1)
    assert await _events_shown(page) == [
        "Mobile clinic stop",
        "Expungement clinic",
        "Naloxone training",
        "Denver peer summit",
    ]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)
    assert query["events"] == ["30d"] and query["events_order"] == ["distance"] and query["events_online"] == ["false"]
    # Reloaded, the choices and the answer come back; and with no signal, the last answer with its age.
    await page.reload()
    await page.wait_for_selector(READY)
    await expect(page.locator("#events-list .card", has_text="Mobile clinic stop")).to_have_count(1)
    assert await page.get_by_label("Order").input_value() == "distance"
    await page.evaluate("navigator.serviceWorker.ready")
    await page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    await context.set_offline(True)
    await page.reload()
    await page.wait_for_selector(READY)
    await expect(page.locator("#events-state")).to_contain_text("you are offline")
    assert await _events_shown(page) == [
        "Mobile clinic stop",
        "Expungement clinic",
        "Naloxone training",
        "Denver peer summit",
    ]
    # Only online ones: never asked on this phone, so it says so.
    await page.get_by_label("Taking part").select_option("true")
    await page.get_by_role("button", name="Find events").click()
    await expect(page.locator("#events-state")).to_have_text(
        "You are offline, and this search was not saved on this phone."
    )
    await context.set_offline(False)
    await page.get_by_role("button", name="Find events").click()
    await expect(page.locator("#events-list .card", has_text="Recovery workshop online")).to_have_count(1)
    assert "Expungement clinic" not in await _events_shown(page)
    await context.close()
    assert not errors, errors


async def test_events_in_spanish_read_at_320_px(browser: Browser, live_url: str) -> None:
    async with httpx.AsyncClient(base_url=live_url) as api:
        found = (await api.get("/v1/events", params={"near": "45.5152,-122.6784"})).json()["items"]
        if not [item for item in found if item["event"]["title"] == "Expungement clinic"]:
            body = {**EVENTS["Expungement clinic"], "title": "Expungement clinic"}
            assert (await api.post("/v1/events", json=body, headers=ADMIN)).status_code == 201
    context = await phone(browser, locale="es-US", viewport={"width": 320, "height": 640})
    page = await context.new_page()
    await _open(page, f"{live_url}/?near=45.5152,-122.6784&events=30d&events_order=distance")
    clinic = page.locator("#events-list .card", has_text="Expungement clinic")
    await expect(clinic.locator(".facts")).to_have_text("Gratis · Cupo para 30 personas")
    await expect(clinic.get_by_role("link", name="Inscribirse")).to_be_visible()
    await expect(page.get_by_role("heading", name="Eventos cerca")).to_be_visible()
    await expect(page.locator("#events-state")).to_contain_text(re.compile(r"\d+ eventos?$"))
    assert await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    clipped = await page.evaluate(
        """() => [...document.querySelectorAll('#events-list .card *, #events .actions > *')]
              .filter(node => node.scrollWidth > node.clientWidth + 1).map(node => node.textContent)"""
    )
    assert clipped == []
    await context.close()
