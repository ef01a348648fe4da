"""A county's region pack in a real Chromium: found by ZIP or name, its size shown first, downloaded,
searched with no signal, and kept current from the change feed as listings move in and out."""

import httpx
from playwright.async_api import Browser, expect

from tests.conftest import ADMIN, phone
from tests.factories import resource_body

READY = "body[data-ready=true]"


def _at(latitude: float, longitude: float, name: str, postal_code: str) -> dict:
    address = {"address_1": "1 Main St", "city": "Portland", "state_province": "OR", "postal_code": postal_code}
    return resource_body(latitude, longitude, name, location={"address": address})


async def _county(api: httpx.AsyncClient) -> dict:
    return (await api.get("/v1/regions/counties", params={"zip": "97201"})).json()["items"][0]


async def test_a_county_downloaded_once_is_searched_offline_and_follows_the_feed(
    browser: Browser, live_url: str
) -> None:
    async with httpx.AsyncClient(base_url=live_url) as api:
        van = (
            await api.post("/v1/resources", json=_at(45.50, -122.43, "Gresham night van", "97030"), headers=ADMIN)
        ).json()
        # Inside the county's box, but Oregon City's ZIP: Clackamas County's listing, not Multnomah's.
        line = (
            await api.post("/v1/resources", json=_at(45.36, -122.61, "County line clinic", "97045"), headers=ADMIN)
        ).json()
        county = await _county(api)
    size = county["listings"]
    assert size > 20  # more than one page of the API
    context = await phone(browser)
    page = await context.new_page()
    try:
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(f"{live_url}/?near=45.5152,-122.6784")
        await page.wait_for_selector("#list .card")
        # A name matching several counties asks which one.
        await page.get_by_label("Or a whole county, by name or ZIP code").fill("cook")
        await page.get_by_role("button", name="Find the county").click()
        await expect(page.get_by_label("Which county")).to_be_visible()
        await expect(page.locator("#area-state")).to_contain_text("in Cook County, IL")
        await page.get_by_label("Which county").select_option(label="Cook County, MN")
        await expect(page.locator("#area-state")).to_contain_text("in Cook County, MN")
        await page.get_by_label("Or a whole county, by name or ZIP code").fill("97201")
        await page.get_by_role("button", name="Find the county").click()
        await expect(page.locator("#area-state")).to_contain_text(f"About {size} places in Multnomah County, OR, about")
        await expect(page.get_by_label("Which county")).to_be_hidden()
        await page.get_by_role("button", name="Download the county").click()
        await expect(page.locator("#area-state")).to_contain_text(f"{size} places in Multnomah County, OR are on")
        kept = await page.evaluate(
            """async () => {
                const { current } = await import(document.documentElement.dataset.base + 'js/pack.js');
                return (await current()).items.map(item => item.service.name);
            }"""
        )
        assert len(kept) == size and "Gresham night van" in kept and "County line clinic" not in kept
        # Changes on the server: one opened in the county and one outside it, one moved out, one whose
        # address moved it in, one closed for good. The feed says what, not where.
        async with httpx.AsyncClient(base_url=live_url) as api:
            headers = {**ADMIN, "If-Match": "*"}
            assert (
                await api.post("/v1/resources", json=_at(45.52, -122.66, "New county van", "97205"), headers=ADMIN)
            ).is_success
            assert (
                await api.post("/v1/resources", json=_at(45.40, -122.62, "Clackamas newcomer", "97045"), headers=ADMIN)
            ).is_success
            away = {"latitude": 44.94, "longitude": -123.03}
            assert (await api.patch(f"/v1/locations/{van['location']['id']}", json=away, headers=headers)).is_success
            moved_in = {
                "address": {
                    "address_1": "2 Main St",
                    "city": "Portland",
                    "state_province": "OR",
                    "postal_code": "97266",
                }
            }
            answer = await api.patch(f"/v1/locations/{line['location']['id']}", json=moved_in, headers=headers)
            assert answer.is_success, answer.text
            box = ",".join(str(value) for value in county["bbox"])
            closed = (
                await api.get("/v1/resources", params={"bbox": box, "near": "45.5152,-122.6784", "limit": 1})
            ).json()["items"][0]
            assert (await api.delete(f"/v1/services/{closed['service']['id']}", headers=headers)).status_code == 204
            now = (await _county(api))["listings"]
        assert now == size  # two in, two out
        asked: list[str] = []
        page.on("request", lambda request: asked.append(request.url))
        await page.get_by_role("button", name="Update now").click()
        await expect(page.locator("#status")).to_have_text("The area is up to date.")
        await expect(page.locator("#area-state")).to_contain_text(f"{now} places in Multnomah County, OR are on")
        searches = [url for url in asked if "/v1/resources?" in url]
        assert searches and all("listing=" in url and "bbox=" in url for url in searches), searches
        # With no signal, a search from another of the county's ZIP codes is answered from the pack.
        await context.set_offline(True)
        await page.get_by_label("ZIP code or address").fill("97209")
        await page.get_by_role("button", name="Search").click()
        await expect(page.locator("#status")).to_contain_text("from the downloaded area")
        while await page.get_by_role("button", name="More results").is_visible():
            shown = await page.locator("#list .card").count()
            await page.get_by_role("button", name="More results").click()
            await expect(page.locator("#list .card")).not_to_have_count(shown)
        names = await page.locator("#list .card h3").all_inner_texts()
        assert len(names) == now
        assert {"New county van", "County line clinic"} <= set(names)
        assert not {"Gresham night van", "Clackamas newcomer", closed["service"]["name"]} & set(names)
        first = page.locator("#list .card").first
        await expect(first.locator(".distance")).to_contain_text("mi")
        await context.set_offline(False)
        await page.get_by_role("button", name="Delete the area").click()
        await expect(page.get_by_role("button", name="Find the county")).to_be_visible()
    finally:
        await context.close()
    assert not errors, errors


async def test_a_county_in_spanish_and_one_not_found(browser: Browser, live_url: str) -> None:
    context = await phone(browser, locale="es-US")
    page = await context.new_page()
    await page.goto(live_url + "/")
    await page.wait_for_selector(READY)
    await page.get_by_label("O un condado entero, por nombre o código postal").fill("Nowhere")
    await page.get_by_role("button", name="Buscar el condado").click()
    await expect(page.locator("#area-state")).to_have_text(
        "Ningún condado se llama “Nowhere”. Pruebe con su código postal."
    )
    await page.get_by_label("O un condado entero, por nombre o código postal").fill("multnomah")
    await page.get_by_label("O un condado entero, por nombre o código postal").press("Enter")
    await expect(page.locator("#area-state")).to_contain_text("lugares en Multnomah County, OR")
    await expect(page.get_by_role("button", name="Descargar el condado")).to_be_visible()
    await context.close()
