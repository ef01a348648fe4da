"""The commonground command as a user runs it: serve, stop with Ctrl-C, serve again, openapi."""

import json
import signal
import socket
import subprocess
import time

import pytest
import yaml

from tests.conftest import ADMIN_KEY
from tests.factories import COMMAND, ISSUE_BODY, call, command_env, free_port, start_serve, stop_serve


def test_serve_seeds_once_stops_cleanly_and_keeps_data(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = start_serve(tmp_path, port)
    try:
        status, page = call(f"{base}/v1/resources?near=45.52,-122.68&radius=25")
        assert status == 200 and len(page["items"]) == 20
        status, created = call(f"{base}/v1/resources", ISSUE_BODY)
        assert status == 201
    finally:
        output = stop_serve(process)
    assert process.returncode == 0, output
    assert "seed data: 320 listings loaded" in output
    assert not (tmp_path / "pgdata" / "postmaster.pid").exists(), "PostgreSQL was left running"

    process = start_serve(tmp_path, port)
    try:
        assert call(f"{base}/v1/resources/{created['id']}")[0] == 200
    finally:
        output = stop_serve(process)
    assert "seed data" not in output  # only on first start
    assert not (tmp_path / "pgdata" / "postmaster.pid").exists()


def test_openapi_command_writes_the_document(tmp_path):
    target = tmp_path / "api.yaml"
    subprocess.run([COMMAND, "openapi", "--output", str(target)], check=True, capture_output=True)
    assert yaml.safe_load(target.read_text())["info"]["title"] == "CommonGround"


def test_import_and_export_commands(db_url, tmp_path):
    from tests.factories import copy_tables, ohana_export, read_csv, write_csv

    env = command_env(DATABASE_URL=db_url)
    folder = ohana_export(tmp_path / "ohana")
    report_path = tmp_path / "report.json"
    dry = subprocess.run(
        [COMMAND, "import", str(folder), "--source", "harbor", "--dry-run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert dry.returncode == 0 and "dry run, nothing written" in dry.stderr
    strict = subprocess.run(
        [COMMAND, "import", str(folder), "--strict"], env=env, capture_output=True, text=True, timeout=120
    )
    assert strict.returncode == 1 and "import failed: --strict" in strict.stderr
    done = subprocess.run(
        [COMMAND, "import", str(folder), "--source", "harbor", "--report", str(report_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "rejected locations.csv:4 location 3: latitude 100 is outside -90..90" in done.stderr
    report = json.loads(report_path.read_text())
    assert report["committed"] and report["counts"]["service"]["created"] == 3
    partial = copy_tables(folder, tmp_path / "partial", "organizations.csv", "locations.csv", "services.csv")
    write_csv(partial, "services.csv", [row for row in read_csv(partial / "services.csv") if row["id"] != "101"])
    pruning = subprocess.run(
        [COMMAND, "import", str(partial), "--source", "harbor", "--prune", "--dry-run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert pruning.returncode == 0, pruning.stderr
    assert "  would remove 1 service\n" in pruning.stderr and "phone" not in pruning.stderr
    out = tmp_path / "export.zip"
    exported = subprocess.run(
        [COMMAND, "export", "--format", "hsds-csv", "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert exported.returncode == 0 and out.stat().st_size > 0
    ndjson = subprocess.run([COMMAND, "export", "--format", "ndjson"], env=env, capture_output=True, timeout=120)
    assert len(ndjson.stdout.splitlines()) == 3
    profiled = subprocess.run(
        [COMMAND, "export", "--format", "ndjson", "--profile", "hsds-3.1"], env=env, capture_output=True, timeout=120
    )
    assert [json.loads(line)["capacities"] for line in profiled.stdout.splitlines()] == [[], [], []]
    missing = subprocess.run(
        [COMMAND, "import", str(tmp_path / "nope.json")], env=env, capture_output=True, text=True, timeout=120
    )
    assert missing.returncode == 1 and "does not exist" in missing.stderr


def test_sigterm_finishes_the_request_in_flight_then_stops_the_database(tmp_path):
    port = free_port()
    process = start_serve(tmp_path, port)
    body = json.dumps(ISSUE_BODY).encode()
    head = (
        f"POST /v1/resources HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {ADMIN_KEY}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as slow:
            # A phone on one bar: half the body now, the rest after the server was told to stop.
            slow.sendall(head + body[:40])
            time.sleep(0.5)
            process.send_signal(signal.SIGTERM)
            time.sleep(1.0)
            with pytest.raises(OSError):  # no new connection is taken while it drains
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
            slow.sendall(body[40:])
            answer = slow.recv(65_536)
        assert answer.startswith(b"HTTP/1.1 201"), answer[:200]
        assert process.wait(timeout=30) == 0
    finally:
        output = stop_serve(process)
    assert not (tmp_path / "pgdata" / "postmaster.pid").exists(), "PostgreSQL was left running:\n" + output
    # The write that was in flight was kept.
    (location,) = [
        line.split(b":", 1)[1].strip() for line in answer.split(b"\r\n") if line.lower().startswith(b"location:")
    ]
    process = start_serve(tmp_path, port)
    try:
        assert call(f"http://127.0.0.1:{port}{location.decode()}")[0] == 200
    finally:
        stop_serve(process)
