"""A client generated from the checked-in openapi.yaml works: it generates without warnings, and its typed
calls parse the live API's answers into their named models, on every tag, the Problem of a 4xx included."""

import contextlib
import importlib
import importlib.util
import pkgutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import ADMIN_KEY, _clone, make_settings, serving

GENERATOR = str(Path(sys.executable).parent / "openapi-python-client")
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The package openapi-python-client makes from openapi.yaml, generated once and importable."""
    folder = tmp_path_factory.mktemp("client")
    run = subprocess.run(
        [
            GENERATOR,
            "generate",
            "--path",
            str(REPO / "openapi.yaml"),
            "--config",
            str(REPO / "examples" / "client-config.yaml"),
            "--meta",
            "none",
            "--output-path",
            str(folder / "commonground_client"),
            "--fail-on-warning",
        ],
        # The generator formats its output with ruff, found on PATH: the one this environment installed.
        env={"PATH": str(Path(sys.executable).parent), "HOME": str(folder)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "warning" not in output.lower(), output
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module("commonground_client")
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name.partition(".")[0] == "commonground_client"]:
            del sys.modules[name]


@pytest.fixture(scope="module")
async def api(server_url: str, templates: dict[str, str]) -> AsyncIterator[str]:
    """The app over a copy of the seed data, webhooks registered to a local URL but never sent."""
    async for url in _clone(server_url, templates["seeded"]):
        settings = make_settings(url, webhook_allow_insecure=True, webhooks_enabled=False)
        async with serving(settings) as base:
            yield base


def _module(generated: ModuleType, name: str) -> ModuleType:
    """A module of the generated package, a tag's package with every operation module imported."""
    module = importlib.import_module(f"{generated.__name__}.{name}")
    for operation in pkgutil.iter_modules(getattr(module, "__path__", [])):
        importlib.import_module(f"{module.__name__}.{operation.name}")
    return module


async def test_every_tag_answers_its_named_model(generated, api):
    m = _module(generated, "models")
    async with contextlib.AsyncExitStack() as clients:
        anonymous = await clients.enter_async_context(generated.Client(base_url=api))
        authorized = await clients.enter_async_context(generated.AuthenticatedClient(base_url=api, token=ADMIN_KEY))
        resources = _module(generated, "api.resources")
        categories = _module(generated, "api.categories")
        hsds = _module(generated, "api.hsds")
        changes = _module(generated, "api.changes")
        suggestions = _module(generated, "api.suggestions")
        keys = _module(generated, "api.keys")
        webhooks = _module(generated, "api.webhooks")
        admin = _module(generated, "api.admin")

        page = await resources.search_resources.asyncio(client=anonymous, near="45.52,-122.68", limit=2)
        assert isinstance(page, m.ResourcePage) and isinstance(page.items[0], m.Resource)
        assert page.items[0].distance_m >= 0 and isinstance(page.items[0].service, m.ServiceSummary)
        second = await resources.search_resources.asyncio(
            client=anonymous, near="45.52,-122.68", limit=2, cursor=page.next_cursor
        )
        assert isinstance(second, m.ResourcePage) and second.items[0].id != page.items[0].id
        statuses = [m.SearchResourcesStatusItem.ACTIVE, m.SearchResourcesStatusItem.TEMPORARILY_CLOSED]
        filtered = await resources.search_resources.asyncio(
            client=anonymous, zip_="98101", gender=m.SearchResourcesGender.WOMEN, status=statuses, age=30
        )
        assert isinstance(filtered, m.ResourcePage)
        one = await resources.get_resource.asyncio(client=anonymous, resource_id=page.items[0].id)
        assert isinstance(one, m.Resource) and one.id == page.items[0].id
        count = await resources.count_resources.asyncio(client=anonymous, near="45.52,-122.68", radius=10)
        assert isinstance(count, m.ResourceCount) and count.count > 0

        problem = await resources.search_resources.asyncio(client=anonymous, near="100,0")
        assert isinstance(problem, m.Problem) and problem.status == 422
        assert isinstance(problem.invalid_params[0], m.InvalidParam) and problem.invalid_params[0].name == "near"
        missing = await resources.get_resource.asyncio(client=anonymous, resource_id=uuid.uuid4())
        assert isinstance(missing, m.Problem) and missing.status == 404

        taxonomy = await categories.list_categories.asyncio(client=anonymous)
        assert isinstance(taxonomy, m.CategoryList) and isinstance(taxonomy.items[0], m.Category)
        vocabulary = await categories.list_attributes.asyncio(client=anonymous)
        assert isinstance(vocabulary, m.AttributeVocabulary)

        services = await hsds.get_paginated_list_of_services.asyncio(client=anonymous, per_page=5)
        assert isinstance(services, m.HsdsServicePage) and isinstance(services.contents[0], m.HsdsService)
        assert services.contents[0].name and services.total_items == 320
        nested = await hsds.get_fully_nested_service_by_id.asyncio(client=anonymous, id=services.contents[0].id)
        assert isinstance(nested, m.HsdsService) and isinstance(nested.organization, m.HsdsOrganization)
        places = await hsds.get_paginated_list_of_service_at_location.asyncio(
            client=anonymous, latitude=45.52, longitude=-122.68, radius=5000, full=True
        )
        assert isinstance(places, m.HsdsServiceAtLocationPage)
        place = places.contents[0]
        assert isinstance(place, m.HsdsServiceAtLocation) and isinstance(place.location, m.HsdsLocation)
        assert isinstance(place.location.latitude, float) and place.service.name
        assert all(isinstance(span, m.HsdsSchedule) for span in [*place.service.schedules, *place.location.schedules])
        assert all(isinstance(phone, m.HsdsPhone) for phone in place.service.phones)
        at = await hsds.get_service_at_location_with_nested_data_by_id.asyncio(client=anonymous, id=place.id)
        assert isinstance(at, m.HsdsServiceAtLocation) and at.location.id == place.location.id
        terms = await hsds.get_paginated_list_of_taxonomy_terms.asyncio(client=anonymous, top_only=True)
        assert isinstance(terms, m.HsdsTaxonomyTermPage) and isinstance(terms.contents[0], m.HsdsTaxonomyTerm)
        taxonomies = await hsds.get_paginated_list_of_taxonomies.asyncio(client=anonymous)
        assert isinstance(taxonomies, m.HsdsTaxonomyPage) and isinstance(taxonomies.contents[0], m.HsdsTaxonomy)
        organizations = await hsds.get_paginated_list_of_organizations.asyncio(client=anonymous, full=True)
        assert isinstance(organizations, m.HsdsOrganizationPage)
        assert isinstance(organizations.contents[0].locations[0], m.HsdsLocation)
        gone = await hsds.get_fully_nested_service_by_id.asyncio(client=anonymous, id=uuid.uuid4())
        assert isinstance(gone, m.Problem) and gone.status == 404

        feed = await changes.list_changes.asyncio(client=anonymous)
        assert isinstance(feed, m.ChangePage)

        note = m.SuggestionCreate(
            kind=m.SuggestionCreateKind.PROBLEM, service_id=page.items[0].service.id, note="Phone number is wrong"
        )
        receipt = await suggestions.create_suggestion.asyncio(client=anonymous, body=note)
        assert isinstance(receipt, m.SuggestionReceipt)
        pending = await suggestions.list_suggestions.asyncio(client=authorized, status=m.ListSuggestionsStatus.PENDING)
        assert isinstance(pending, m.SuggestionPage) and receipt.id in {s.id for s in pending.items}

        made = await keys.create_key.asyncio(
            client=authorized, body=m.KeyCreate(name="partner", scopes=[m.KeyCreateScopesItem.READ])
        )
        assert isinstance(made, m.KeyCreated) and made.key
        listed = await keys.list_keys.asyncio(client=authorized)
        assert isinstance(listed, m.KeyPage) and made.id in {k.id for k in listed.items}
        reader = await clients.enter_async_context(generated.AuthenticatedClient(base_url=api, token=made.key))
        refused = await keys.list_keys.asyncio(client=reader)
        assert isinstance(refused, m.Problem) and refused.status == 403

        hook = await webhooks.create_webhook.asyncio(
            client=authorized,
            body=m.WebhookCreate(url="http://127.0.0.1:9/hook", events=[m.WebhookCreateEventsItem.SERVICE_UPDATE]),
        )
        assert isinstance(hook, m.WebhookCreated) and hook.secret
        ping = await webhooks.ping_webhook.asyncio(client=authorized, webhook_id=hook.id)
        assert isinstance(ping, m.DeliveryQueued)
        deliveries = await webhooks.list_webhook_deliveries.asyncio(client=authorized, webhook_id=hook.id)
        assert isinstance(deliveries, m.WebhookDeliveryPage) and deliveries.items[0].id == ping.delivery_id

        stale = await admin.list_stale_services.asyncio(client=authorized)
        assert isinstance(stale, m.StalePage)
        duplicates = await admin.list_duplicates.asyncio(client=authorized)
        assert isinstance(duplicates, list) and all(isinstance(pair, m.DuplicatePair) for pair in duplicates)
        anonymous_admin = await admin.list_stale_services.asyncio(client=anonymous)
        assert isinstance(anonymous_admin, m.Problem) and anonymous_admin.status == 401


async def test_the_readme_example_runs(generated, api, capsys):
    spec = importlib.util.spec_from_file_location("partner_client", REPO / "examples" / "partner_client.py")
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    await example.main(api, ADMIN_KEY)
    printed = capsys.readouterr().out
    assert "422 Invalid input" in printed and "suggestion " in printed, printed
