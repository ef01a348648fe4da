"""If-Match on PATCH and DELETE: no change lands on a version its sender has not seen."""

import asyncio

from tests.conftest import ADMIN
from tests.factories import resource_body


async def _made(client) -> dict:
    response = await client.post("/v1/resources", json=resource_body(45.5, -122.6, name="Versioned"), headers=ADMIN)
    return response.json()


async def test_changes_need_the_current_etag(client):
    made = await _made(client)
    for path in (
        f"/v1/services/{made['service']['id']}",
        f"/v1/organizations/{made['organization']['id']}",
        f"/v1/locations/{made['location']['id']}",
    ):
        missing = await client.patch(path, json={"name": "No precondition"}, headers=ADMIN)
        assert missing.status_code == 428 and "If-Match" in missing.json()["detail"]
        for encoding in ("identity", "gzip", "br"):
            etag = (await client.get(path, headers={"Accept-Encoding": encoding})).headers["etag"]
            changed = await client.patch(
                path, json={"name": f"Renamed {encoding}"}, headers={**ADMIN, "If-Match": etag}
            )
            assert changed.status_code == 200, (path, encoding, changed.text)
            stale = await client.patch(path, json={"name": "Stale"}, headers={**ADMIN, "If-Match": etag})
            assert stale.status_code == 412 and stale.json()["type"].endswith("precondition-failed")
            assert (
                stale.headers["etag"]
                == (await client.get(path, headers={"Accept-Encoding": "identity"})).headers["etag"]
            )
        assert (await client.get(path)).json()["name"] == "Renamed br"
        assert (
            await client.patch(path, json={"name": "x"}, headers={**ADMIN, "If-Match": 'W/"abc"'})
        ).status_code == 412
    service = f"/v1/services/{made['service']['id']}"
    assert (await client.delete(service, headers=ADMIN)).status_code == 428
    etag = (await client.get(service)).headers["etag"]
    await client.patch(service, json={"description": "changed meanwhile"}, headers={**ADMIN, "If-Match": "*"})
    assert (await client.delete(service, headers={**ADMIN, "If-Match": etag})).status_code == 412
    assert (await client.get(service)).status_code == 200


async def test_two_admins_editing_at_once_never_overwrite_each_other(client):
    made = await _made(client)
    path = f"/v1/services/{made['service']['id']}"
    for _ in range(3):
        etag = (await client.get(path)).headers["etag"]
        answers = await asyncio.gather(
            *(
                client.patch(path, json={"description": f"edit {n}"}, headers={**ADMIN, "If-Match": etag})
                for n in range(4)
            )
        )
        codes = sorted(answer.status_code for answer in answers)
        assert codes == [200, 412, 412, 412], codes
        winner = next(answer for answer in answers if answer.status_code == 200).json()["description"]
        assert (await client.get(path)).json()["description"] == winner
