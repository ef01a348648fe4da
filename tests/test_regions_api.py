"""GET /v1/regions/counties: a county by ZIP or name, its ZIP codes and box, and the listings that belong to it."""

from tests.conftest import ADMIN
from tests.factories import resource_body


def _at(latitude: float, longitude: float, name: str, postal_code: str | None, **location: object) -> dict:
    address = {"address_1": "1 Main St", "city": "Somewhere", "state_province": "OR"}
    if postal_code is not None:
        address["postal_code"] = postal_code
    return resource_body(latitude, longitude, name, location={"address": address, **location})


async def test_a_zip_names_its_county_with_its_zip_codes_and_box(client):
    answer = await client.get("/v1/regions/counties", params={"zip": "97201-1234"})
    assert answer.status_code == 200, answer.text
    [county] = answer.json()["items"]
    assert (county["name"], county["state"], county["label"]) == ("Multnomah County", "OR", "Multnomah County, OR")
    codes = {item["zip_code"]: item for item in county["zip_codes"]}
    assert {"97201", "97209", "97030"} <= set(codes) and "98101" not in codes
    assert codes["97201"]["city"] == "Portland" and codes["97201"]["latitude"] > 45
    west, south, east, north = county["bbox"]
    for item in county["zip_codes"]:
        if item["latitude"] is not None:
            assert south + 0.2 - 1e-6 <= item["latitude"] <= north - 0.2 + 1e-6
            assert west + 0.2 - 1e-6 <= item["longitude"] <= east - 0.2 + 1e-6
    assert (county["latitude"], county["longitude"]) == (round((south + north) / 2, 5), round((west + east) / 2, 5))
    assert county["listings"] == 0


async def test_a_name_finds_counties_best_first_and_a_state_narrows_them(client):
    names = [c["label"] for c in (await client.get("/v1/regions/counties", params={"q": "cook"})).json()["items"]]
    assert names[0] == "Cook County, IL" and "Cooke County, TX" in names and names.index("Cooke County, TX") > 2
    for q in ("Cook County, IL", "cook il", "COOK  county IL"):
        found = (await client.get("/v1/regions/counties", params={"q": q})).json()["items"]
        assert [c["label"] for c in found] == ["Cook County, IL"], q
    assert (await client.get("/v1/regions/counties", params={"q": "no such county"})).json()["items"] == []


async def test_bad_input_names_the_field(client):
    for params, field in (
        ({}, "q"),
        ({"q": "cook", "zip": "60601"}, "q"),
        ({"q": "c"}, "q"),
        ({"zip": "9720"}, "zip"),
        ({"zip": "00000"}, "zip"),
    ):
        answer = await client.get("/v1/regions/counties", params=params)
        assert answer.status_code == 422, (params, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert [p["name"] for p in answer.json()["invalid_params"]] == [field], params


async def test_listings_belong_by_zip_inside_the_box_or_by_the_box_alone(client):
    made = {
        "portland, a county zip": _at(45.52, -122.68, "in by zip", "97201"),
        "gresham, zip+4": _at(45.50, -122.43, "in by zip+4", "97030-1111"),
        "no postal code, inside": _at(45.55, -122.60, "in by box", None),
        "confidential, inside": _at(45.53, -122.65, "in, confidential", "97201", confidential=True),
        "oregon city, inside the box, another county's zip": _at(45.36, -122.61, "out by zip", "97045"),
        "salem, outside the box": _at(44.94, -123.03, "out by box", None),
        "a county zip, far away": _at(44.94, -123.03, "out, zip far away", "97201"),
    }
    for body in made.values():
        created = await client.post("/v1/resources", json=body, headers=ADMIN)
        assert created.status_code == 201, created.text
    [county] = (await client.get("/v1/regions/counties", params={"zip": "97201"})).json()["items"]
    assert county["listings"] == 4
    # The rule the phone applies to a download by bbox= gives the same listings.
    box = ",".join(str(value) for value in county["bbox"])
    near = f"{county['latitude']},{county['longitude']}"
    page = (await client.get("/v1/resources", params={"bbox": box, "near": near, "limit": 100})).json()
    codes = {item["zip_code"] for item in county["zip_codes"]}

    def belongs(item: dict) -> bool:
        postal = ((item["location"].get("address") or {}).get("postal_code") or "").strip()[:5]
        return not postal or postal in codes

    kept = sorted(item["service"]["name"] for item in page["items"] if belongs(item))
    assert kept == ["in by box", "in by zip", "in by zip+4", "in, confidential"]


def test_a_box_takes_the_short_way_across_180_degrees():
    from service.counties import _arc, _point

    assert _arc([-77.1, -76.9, -77.0]) == (-77.1, -76.9)
    assert _arc([179.5, -179.5, 178.0]) == (178.0, -179.5)  # Adak to Attu, not round the world
    # The table's 0,0 (APO ZIPs, a few mainland ones) is no place: it would stretch DC's box to Africa.
    assert _point("0.0000", "0.0000") is None and _point("38.9", "0") is None and _point("", "") is None
    assert _point("38.9", "-77.0") == (38.9, -77.0)


async def test_listings_across_180_degrees_are_counted(client, conn):
    from service.queries.regions import count_county_listings
    from service.search.geo import parse_bbox

    for name, lon, postal in (("west side", 179.9, "99546"), ("east side", -179.9, None), ("far", 170.0, None)):
        created = await client.post("/v1/resources", json=_at(51.8, lon, name, postal), headers=ADMIN)
        assert created.status_code == 201, created.text
    assert await count_county_listings(conn, parse_bbox("179.0,51.0,-179.0,52.5"), ["99546"]) == 2
    assert await count_county_listings(conn, parse_bbox("169.0,51.0,-179.0,52.5"), ["99546"]) == 3
    assert await count_county_listings(conn, parse_bbox("-179.95,51.0,-179.0,52.5"), ["99546"]) == 1
