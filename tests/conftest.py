"""Real PostgreSQL for every test: one embedded server per session, a fresh database per test."""

import asyncio
import contextlib
import itertools
import os
import shutil
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import uvicorn
from litestar.testing import AsyncTestClient
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from seeds.loader import load_seed
from service.app import create_app
from service.config import Settings
from service.embedded import embedded_postgres
from service.queries.migrations import apply_migrations

# Real public datasets beside the checkout (../shared/data); tests that use them skip without them.
SHARED_DATA = Path(
    os.environ.get("COMMONGROUND_SHARED_DATA", Path(__file__).resolve().parent.parent.parent / "shared" / "data")
)
HSDS_SCHEMA = SHARED_DATA / "hsds3-schema"
ADMIN_KEY = "test-admin-key-7c1f"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
# For writes whose test is not about concurrent edits: "apply to whatever version is current".
ANY_VERSION = {**ADMIN, "If-Match": "*"}
_numbers = itertools.count()


def database_url(server_url: str, name: str) -> str:
    """The same server, another database."""
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """DATABASE_URL when the caller sets TEST_DATABASE_URL, else an embedded PostgreSQL for this session."""
    if external := os.environ.get("TEST_DATABASE_URL"):
        yield external
        return
    with embedded_postgres(tmp_path_factory.mktemp("pg")) as url:
        yield url


@pytest.fixture(scope="session")
async def templates(server_url: str) -> AsyncIterator[dict[str, str]]:
    """Two template databases: migrated, and migrated plus the seed dataset."""
    admin = await asyncpg.connect(server_url)
    # Tests never need crash safety; skipping fsync makes CREATE DATABASE and commits cheap.
    await admin.execute("ALTER SYSTEM SET fsync = off")
    await admin.execute("ALTER SYSTEM SET synchronous_commit = off")
    await admin.execute("SELECT pg_reload_conf()")
    names = {"empty": f"cg_tmpl_empty_{os.getpid()}", "seeded": f"cg_tmpl_seeded_{os.getpid()}"}
    for name in names.values():
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.execute(f'CREATE DATABASE "{name}"')
        conn = await asyncpg.connect(database_url(server_url, name))
        try:
            await apply_migrations(conn)
            if name == names["seeded"]:
                await load_seed(conn)
        finally:
            await conn.close()
    yield names
    for name in names.values():
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


async def _clone(server_url: str, template: str | None) -> AsyncIterator[str]:
    """A database for one test, copied from a template, or with nothing in it."""
    name = f"cg_test_{os.getpid()}_{next(_numbers)}"
    admin = await asyncpg.connect(server_url)
    try:
        copied = "" if template is None else f' TEMPLATE "{template}" STRATEGY FILE_COPY'
        await admin.execute(f'CREATE DATABASE "{name}"{copied}')
        yield database_url(server_url, name)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def db_url(server_url: str, templates: dict[str, str]) -> AsyncIterator[str]:
    """A fresh, migrated, empty database for one test."""
    async for url in _clone(server_url, templates["empty"]):
        yield url


@pytest.fixture
async def other_db_url(server_url: str, templates: dict[str, str]) -> AsyncIterator[str]:
    """A second empty database, for round trips."""
    async for url in _clone(server_url, templates["empty"]):
        yield url


@pytest.fixture
async def bare_db_url(server_url: str) -> AsyncIterator[str]:
    """A database with nothing in it, not even migrations, as a fresh data folder has."""
    async for url in _clone(server_url, None):
        yield url


@pytest.fixture
async def seeded_db_url(server_url: str, templates: dict[str, str]) -> AsyncIterator[str]:
    """A fresh database holding the seed dataset, for one test."""
    async for url in _clone(server_url, templates["seeded"]):
        yield url


@pytest.fixture
async def conn(db_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection to this test's empty database."""
    connection = await asyncpg.connect(db_url)
    yield connection
    await connection.close()


@pytest.fixture
async def seeded_conn(seeded_db_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection to this test's copy of the seed dataset."""
    connection = await asyncpg.connect(seeded_db_url)
    yield connection
    await connection.close()


def make_settings(url: str, **overrides: object) -> Settings:
    """Settings for a test app: this test's database and a known admin key."""
    # Quotas stay on (every request is counted) but high enough for tests that make many calls.
    values: dict[str, object] = {
        "database_url": url,
        "admin_key": ADMIN_KEY,
        "pool_size": 4,
        "rate_limit_anonymous": 100_000,
        "rate_limit_key": 100_000,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def client(db_url: str) -> AsyncIterator[AsyncTestClient]:
    """The HTTP API over this test's empty database."""
    async with AsyncTestClient(app=create_app(make_settings(db_url))) as test_client:
        yield test_client


@pytest.fixture
async def seeded_client(seeded_db_url: str) -> AsyncIterator[AsyncTestClient]:
    """The HTTP API over this test's copy of the seed dataset."""
    async with AsyncTestClient(app=create_app(make_settings(seeded_db_url))) as test_client:
        yield test_client


@pytest.fixture
def repo_root() -> Path:
    """The repository checkout."""
    return Path(__file__).resolve().parent.parent


# The field app in a real browser.
# Flags a closed network needs: without them Chromium keeps calling Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A phone: the size every screen is designed for.
PHONE = {"width": 360, "height": 740}
# Downtown Portland, where the seed data has shelters, harm reduction and rides.
PORTLAND = {"latitude": 45.5152, "longitude": -122.6784}


def chromium_path() -> str | None:
    """Debian's chromium, or CHROMIUM if set."""
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """One headless Chromium per test session; CI (COMMONGROUND_BROWSER_TESTS=required) fails without one."""
    path = chromium_path()
    if path is None:
        if os.environ.get("COMMONGROUND_BROWSER_TESTS") == "required":
            pytest.fail("chromium is not installed (apt-get install chromium); .ci/run installs it")
        pytest.skip("chromium is not installed (apt-get install chromium); .ci/run installs it")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@contextlib.asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[str]:
    """The app as `commonground serve` runs it (uvicorn, its lifespan) on a loopback port, on this
    event loop: its base URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="module")
async def live_url(server_url: str, templates: dict[str, str]) -> AsyncIterator[str]:
    """The app served over this module's own copy of the seed data."""
    async for url in _clone(server_url, templates["seeded"]):
        async with serving(make_settings(url, suggestion_limit_anonymous=1000)) as base:
            yield base


async def phone(
    browser: Browser, locale: str = "en-US", viewport: dict[str, int] = PHONE, **options: object
) -> BrowserContext:
    """A fresh phone-sized context (its own storage) whose location is downtown Portland."""
    context = await browser.new_context(
        viewport=viewport,  # type: ignore[arg-type]
        locale=locale,
        geolocation=PORTLAND,
        permissions=["geolocation"],
        timezone_id="America/Los_Angeles",
        **options,  # type: ignore[arg-type]
    )
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A page in a fresh phone context; any script error on it fails the test."""
    context = await phone(browser)
    opened = await context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    await context.close()
    assert not errors, errors
