"""The embedded PostgreSQL looks after itself: killed under load, `commonground serve` starts it again
and every request meanwhile is a 503 with Retry-After; no acknowledged write is lost."""

import collections
import json
import os
import signal
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from service.embedded import stopped_on_purpose
from tests.conftest import ADMIN_KEY
from tests.factories import call, free_port, start_serve, stop_serve

EXPECTED = {200, 201, 409, 503}  # 409: a retried write whose first attempt is still settling


def request(url: str, body: dict | None = None, key: str | None = None) -> tuple[int, dict[str, str]]:
    """One request: its status and headers; a connection that fails is status 0."""
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


def postmaster_pid(data_dir: Path) -> int:
    """The running server's postmaster, from postmaster.pid."""
    return int((data_dir / "pgdata" / "postmaster.pid").read_text().split()[0])


def test_serve_heals_its_postgresql_killed_twice_under_load(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # Quotas out of the way: this is about faults, and the readers share one address and key.
    process = start_serve(tmp_path, port, COMMONGROUND_RATE_LIMIT_KEY="1000000000")
    codes: collections.Counter[int] = collections.Counter()
    unanswered_503: list[str] = []
    acknowledged: list[str] = []
    done = threading.Event()
    lock = threading.Lock()

    def count(status: int, headers: dict[str, str], what: str) -> None:
        with lock:
            codes[status] += 1
            if status == 503 and "Retry-After" not in headers and "retry-after" not in headers:
                unanswered_503.append(what)

    def read() -> None:
        while not done.is_set():
            count(*request(f"{base}/v1/resources?near=45.52,-122.68&limit=5"), "search")
            time.sleep(0.01)

    def write(worker: int) -> None:
        number = 0
        while not done.is_set():
            key, name = f"w{worker}-{number}", f"Kept {worker}-{number}"
            while not done.is_set():
                status, headers = request(f"{base}/v1/organizations", {"name": name}, key)
                count(status, headers, "write")
                if status == 201:
                    with lock:
                        acknowledged.append(name)
                    break
                time.sleep(0.2)
            number += 1

    threads = [threading.Thread(target=read) for _ in range(3)] + [
        threading.Thread(target=write, args=(n,)) for n in range(2)
    ]
    heal_times = []
    try:
        for thread in threads:
            thread.start()
        time.sleep(1.5)
        # An immediate stop (pg_ctl stop -m immediate sends SIGQUIT), then a kill as the OOM killer does.
        for kill in (signal.SIGQUIT, signal.SIGKILL):
            os.kill(postmaster_pid(tmp_path), kill)
            down = time.monotonic()
            time.sleep(0.3)
            while request(f"{base}/readyz")[0] != 200:
                assert time.monotonic() - down < 60, "PostgreSQL did not come back within a minute"
                time.sleep(0.2)
            heal_times.append(time.monotonic() - down)
            time.sleep(1.5)
    finally:
        done.set()
        for thread in threads:
            thread.join(timeout=30)
        try:
            names, cursor = set(), ""
            while cursor is not None:
                status, page = call(f"{base}/v1/organizations?limit=100" + (f"&cursor={cursor}" if cursor else ""))
                assert status == 200, page
                names |= {item["name"] for item in page["items"]}
                cursor = page["next_cursor"]
        finally:
            output = stop_serve(process)
    assert set(codes) <= EXPECTED, (codes, output[-3000:])
    print(f"codes {dict(codes)}, healed in {', '.join(f'{s:.1f} s' for s in heal_times)}")
    assert codes[503] > 0 and not unanswered_503, codes
    assert codes[200] > 0 and len(acknowledged) > 0
    assert set(acknowledged) <= names, "an acknowledged write was lost"
    assert all(seconds < 30 for seconds in heal_times), heal_times
    assert output.count("embedded PostgreSQL is back after") == 2, output[-3000:]
    assert process.returncode == 0, output[-3000:]


def test_a_clean_shutdown_is_not_undone(tmp_path):
    log = tmp_path / "log"
    log.write_text("LOG:  database system is ready to accept connections\nLOG:  received fast shutdown request\n")
    assert stopped_on_purpose(log)
    log.write_text(
        "LOG:  received fast shutdown request\nLOG:  database system is ready to accept connections\n"
        "LOG:  received immediate shutdown request\n"
    )
    assert not stopped_on_purpose(log)
    assert not stopped_on_purpose(tmp_path / "missing")
