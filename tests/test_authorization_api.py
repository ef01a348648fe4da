"""OWASP API5 (function level) and API1 (object level) authorization, walked over every protected route.

The routes come from the app itself, so a route added later is covered without editing this test."""

import re
import uuid

from litestar.routes import HTTPRoute

from tests.conftest import ADMIN
from tests.factories import PUBLIC_ADDRESS, StubResolver, resource_body

# Valid bodies where the body is checked before the object is looked up; anything else gets {}.
BODIES = {
    ("PUT", "capacity"): {"unit": "bed", "available": 1},
    ("PUT", "exceptions"): [],
    ("POST", "revert"): {"version": 1},
    ("POST", "verify"): {"method": "phone"},
}


def protected_routes(app) -> list[tuple[str, str]]:
    """(method, path template) of every route with a guard."""
    found = []
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                if handler.resolve_guards():
                    found += [(method, route.path) for method in sorted(handler.http_methods) if method != "OPTIONS"]
    return found


def fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: ids.get(m[1], str(uuid.uuid4())), path)


async def key(client, **body) -> dict[str, str]:
    made = await client.post("/v1/keys", json={"name": "k", **body}, headers=ADMIN)
    assert made.status_code == 201, made.text
    return {"Authorization": f"Bearer {made.json()['key']}"}


async def test_every_protected_route_refuses_a_read_key_and_anonymous_calls(client):
    routes = protected_routes(client.app)
    assert len(routes) >= 30  # keys, imports, webhooks, writes, mappings
    reader = await key(client, scopes=["read"])
    for method, template in routes:
        path = fill(template, {})
        body = BODIES.get((method, path.rsplit("/", 1)[-1]), {})
        anonymous = await client.request(method, path, json=body)
        assert anonymous.status_code == 401, (method, template, anonymous.status_code)
        if template.startswith("/v1/webhooks"):
            continue  # a read key may manage its own webhooks; other keys' are the object-level test below
        refused = await client.request(method, path, json=body, headers=reader)
        assert refused.status_code == 403, (method, template, refused.status_code, refused.text)


async def test_another_organization_s_key_can_touch_none_of_its_objects(client):
    theirs = (await client.post("/v1/resources", json=resource_body(45.5, -122.6, name="Theirs"), headers=ADMIN)).json()
    mine = (await client.post("/v1/resources", json=resource_body(45.5, -122.6, name="Mine"), headers=ADMIN)).json()
    their_key = await key(client, scopes=["write", "read"], organization_ids=[theirs["organization"]["id"]])
    my_key = await key(client, scopes=["write", "read"], organization_ids=[mine["organization"]["id"]])
    client.app.state.resolver = StubResolver(default=[PUBLIC_ADDRESS])  # registration looks the host up
    their_hook = (
        await client.post(
            "/v1/webhooks", json={"url": "https://example.org/theirs", "events": ["*"]}, headers=their_key
        )
    ).json()
    ids = {
        "organization_id": theirs["organization"]["id"],
        "service_id": theirs["service"]["id"],
        "location_id": theirs["location"]["id"],
        "webhook_id": their_hook["id"],
    }
    before = {
        kind: (await client.get(f"/v1/{kind}s/{ids[f'{kind}_id']}")).json()
        for kind in ("organization", "service", "location")
    }
    walked = 0
    for method, template in protected_routes(client.app):
        if "{" not in template:
            continue
        path = fill(template, ids)
        body = BODIES.get((method, path.rsplit("/", 1)[-1]), {})
        response = await client.request(method, path, json=body, headers={**my_key, "If-Match": "*"})
        assert response.status_code in (403, 404), (method, template, response.status_code, response.text)
        walked += 1
    assert walked >= 15
    after = {
        kind: (await client.get(f"/v1/{kind}s/{ids[f'{kind}_id']}")).json()
        for kind in ("organization", "service", "location")
    }
    assert after == before
    # The owner's own key does get through.
    own = await client.patch(
        f"/v1/services/{ids['service_id']}", json={"name": "Theirs, renamed"}, headers={**their_key, "If-Match": "*"}
    )
    assert own.status_code == 200
