"""Forgiving words: typos, field synonyms, and a ranking that mixes relevance with distance."""

import pytest

from service.search.words import alternatives, words_to_check
from tests.conftest import ADMIN
from tests.factories import resource_body

HOME = (39.2904, -76.6122)  # Baltimore
LISTINGS = [
    ("Naloxone Kits", "Free kits and training.", 3.0),
    ("Corner Outreach", "Hands out naloxone and water.", 2.0),
    ("Far Naloxone Van", "Mobile van.", 7.0),
    ("Methadone Clinic", "Daily dosing.", 4.0),
    ("Night Shelter", "Beds tonight.", 5.0),
    ("Syringe Services Program", "Sterile supplies.", 6.0),
    ("Oxford Recovery Housing", "Peer-run homes.", 8.0),
    ("Buprenorphine Bridge Clinic", "Same-day starts.", 9.0),
    ("Transit Passes Desk", "Monthly passes for clients.", 10.0),
    ("Legal Aid Bureau", "Civil and criminal help.", 11.0),
]


async def make(client) -> None:
    for name, description, km_north in LISTINGS:
        body = resource_body(HOME[0] + km_north / 111.2, HOME[1], name=name, description=description)
        assert (await client.post("/v1/resources", json=body, headers=ADMIN)).status_code == 201


async def found(client, q: str, near: bool = True) -> list[str]:
    params = {"q": q, "limit": 50, **({"near": f"{HOME[0]},{HOME[1]}"} if near else {})}
    response = await client.get("/v1/resources", params=params)
    assert response.status_code == 200, response.text
    return [item["service"]["name"] for item in response.json()["items"]]


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("naloxon", "Naloxone Kits"),
        ("methadon", "Methadone Clinic"),
        ("shelte", "Night Shelter"),
        ("syrnge", "Syringe Services Program"),
        ("buprenorphin", "Buprenorphine Bridge Clinic"),
    ],
)
async def test_misspellings_still_find(client, typed, expected):
    await make(client)
    assert expected in await found(client, typed)


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("narcan", "Naloxone Kits"),
        ("needle exchange", "Syringe Services Program"),
        ("sober living", "Oxford Recovery Housing"),
        ("suboxone", "Buprenorphine Bridge Clinic"),
        ("bupe", "Buprenorphine Bridge Clinic"),
        ("bus pass", "Transit Passes Desk"),
        ("public defender", "Legal Aid Bureau"),
    ],
)
async def test_field_synonyms(client, typed, expected):
    await make(client)
    assert expected in await found(client, typed)


async def test_ranking_mixes_where_it_matched_with_distance(client):
    await make(client)
    # Name match at 3 km (3000 / 3 = 1000) before a description match at 2 km (2000 / 1), which comes
    # before a name match at 7 km (7000 / 3 = 2333).
    assert await found(client, "naloxone") == ["Naloxone Kits", "Corner Outreach", "Far Naloxone Van"]
    # Without a location: name matches first.
    assert (await found(client, "naloxone", near=False))[-1] == "Corner Outreach"
    page = (
        await client.get("/v1/resources", params={"q": "naloxone", "near": f"{HOME[0]},{HOME[1]}", "limit": 2})
    ).json()
    rest = (
        await client.get(
            "/v1/resources",
            params={"q": "naloxone", "near": f"{HOME[0]},{HOME[1]}", "limit": 2, "cursor": page["next_cursor"]},
        )
    ).json()
    assert [i["service"]["name"] for i in page["items"] + rest["items"]] == [
        "Naloxone Kits",
        "Corner Outreach",
        "Far Naloxone Van",
    ]
    assert rest["next_cursor"] is None
    nothing = await found(client, "zzzzqqq")
    assert nothing == []


def test_alternatives_are_built_from_corrections_and_synonyms():
    assert words_to_check("Narcan near Café") == ["cafe", "near"]
    assert alternatives("narcan kits", {})[:2] == ["narcan kits", "naloxone kits"]
    assert alternatives("shelte", {"shelte": "shelter"}) == ["shelte", "shelter"]


async def test_ranked_word_search_over_a_wide_window_matches_a_brute_force_ranking(conn, client):
    from geopy.distance import geodesic

    from tests.factories import add_resource

    expected = []
    for n in range(260):  # more matches than the first window holds
        latitude = HOME[0] + (n + 1) * 0.004
        name, description, weight = (
            (f"Naloxone point {n}", "Kits.", 3) if n % 37 == 0 else (f"Outreach {n}", "Hands out naloxone.", 1)
        )
        await add_resource(conn, latitude, HOME[1], name=name, description=description)
        expected.append((geodesic(HOME, (latitude, HOME[1])).meters / weight, name))
    expected.sort()
    names, cursor = [], None
    while len(names) < 60:
        params = {
            "q": "naloxone",
            "near": f"{HOME[0]},{HOME[1]}",
            "limit": 20,
            **({"cursor": cursor} if cursor else {}),
        }
        page = (await client.get("/v1/resources", params=params)).json()
        names += [item["service"]["name"] for item in page["items"]]
        cursor = page["next_cursor"]
    assert names == [name for _, name in expected[:60]]


@pytest.mark.parametrize("limit", [7, 21])
async def test_walking_outwards_ranks_as_ranking_every_match_does(conn, limit):
    from service.queries.resources import select_by_words
    from tests.factories import add_resource, filters

    for n in range(300):  # more than a first window of 12 pages holds
        name, description = (
            (f"Naloxone point {n}", "Kits.") if n % 37 == 0 else (f"Outreach {n}", "Hands out naloxone.")
        )
        await add_resource(
            conn, HOME[0] + (n % 20) * 0.003, HOME[1] + (n // 20) * 0.003, name=name, description=description
        )
    orders = []
    for many in (False, True):
        seen, after = [], None
        while True:
            hits = await select_by_words(conn, HOME, None, filters(), ["naloxone"], after, limit + 1, many)
            hits.sort(key=lambda hit: (hit.sort_key, hit.id))
            seen += [hit.item for hit in hits[:limit]]
            if len(hits) <= limit:
                break
            after = (hits[limit - 1].sort_key, hits[limit - 1].id)
        orders.append(seen)
    assert len(orders[0]) == 300
    assert orders[1] == orders[0]


async def test_weighted_queries_match_where_ts_filter_does(conn):
    texts = [
        ("Naloxone point", "Narcan", "Overdose reversal kits"),
        ("Outreach van", "", "Hands out naloxone; no kit needed"),
        ("O'Brien house", "Overdose reversal", "Shelter"),
        ("Shelter", "Kit and naloxone", "Overdose"),
    ]
    queries = ["naloxone", "overdose reversal", "naloxone -kit", '"overdose reversal"', "o'brien or shelter", "kit"]
    rows = await conn.fetch(
        """
        SELECT t.n, w.q, weights,
               ts_filter(v, string_to_array(lower(weights), NULL)::"char"[]) @@ query AS filtered,
               v @@ weighted_query(query, weights) AS weighted
          FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS t(name, alt, description, n),
               LATERAL (SELECT setweight(to_tsvector('cg_search', t.name), 'A')
                               || setweight(to_tsvector('cg_search', t.alt), 'B')
                               || setweight(to_tsvector('cg_search', t.description), 'C') AS v) AS x,
               unnest($4::text[]) AS w(q),
               LATERAL (SELECT websearch_to_tsquery('cg_search', w.q) AS query) AS y,
               unnest(ARRAY['A', 'AB']) AS weights
        """,
        [t[0] for t in texts],
        [t[1] for t in texts],
        [t[2] for t in texts],
        queries,
    )
    assert len(rows) == len(texts) * len(queries) * 2
    assert all(row["filtered"] == row["weighted"] for row in rows), [
        dict(r) for r in rows if r["filtered"] != r["weighted"]
    ]
    assert 0 < sum(row["weighted"] for row in rows) < len(rows)
