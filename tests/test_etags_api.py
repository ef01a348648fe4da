"""Strong ETags and conditional GETs: a partner re-polling an unchanged answer gets 304."""

import re

from tests.conftest import ADMIN


async def test_unchanged_answers_are_304_and_changes_give_a_new_etag(seeded_client):
    for path, params in [
        ("/v1/categories", {}),
        ("/v1/resources", {"zip": "97201"}),
        ("/hsds/services", {}),
        ("/v1/attributes", {}),
    ]:
        first = await seeded_client.get(path, params=params)
        etag = first.headers["etag"]
        assert re.fullmatch(r'"[0-9a-f]{32}(-br|-gzip)?"', etag), etag
        again = await seeded_client.get(path, params=params, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
        assert (
            await seeded_client.get(path, params=params, headers={"If-None-Match": '"other", ' + etag})
        ).status_code == 304
        assert (await seeded_client.get(path, params=params, headers={"If-None-Match": '"other"'})).status_code == 200
    organizations = (await seeded_client.get("/v1/organizations", params={"limit": 1})).json()["items"]
    path = f"/v1/organizations/{organizations[0]['id']}"
    before = (await seeded_client.get(path)).headers["etag"]
    assert (
        await seeded_client.patch(path, json={"name": "Renamed"}, headers={**ADMIN, "If-Match": before})
    ).status_code == 200
    after = await seeded_client.get(path, headers={"If-None-Match": before})
    assert after.status_code == 200 and after.headers["etag"] != before
    missing = await seeded_client.get("/v1/organizations/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404 and "etag" not in missing.headers
    streamed = await seeded_client.get("/hsds/services", params={"format": "ndjson"})
    assert streamed.status_code == 200 and "etag" not in streamed.headers


async def test_compressed_answers_keep_their_validators(seeded_client):
    plain = await seeded_client.get("/v1/resources", params={"zip": "97201"}, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    for encoding in ("br", "gzip"):
        response = await seeded_client.get(
            "/v1/resources", params={"zip": "97201"}, headers={"Accept-Encoding": encoding}
        )
        assert response.headers["content-encoding"] == encoding and response.headers["vary"] == "Accept-Encoding"
        assert response.json() == plain.json()  # httpx decodes
        # A strong validator names the exact bytes, so each coding has its own.
        assert response.headers["etag"] != plain.headers["etag"]
        again = await seeded_client.get(
            "/v1/resources",
            params={"zip": "97201"},
            headers={"Accept-Encoding": encoding, "If-None-Match": response.headers["etag"]},
        )
        assert again.status_code == 304 and again.content == b""
    small = await seeded_client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers
