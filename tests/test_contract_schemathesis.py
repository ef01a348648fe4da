"""Schemathesis against a live server: no 5xx, every answer as openapi.yaml says, protected routes refuse
anonymous calls (its ignored_auth check), deleted objects gone and created ones there (stateful checks)."""

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ADMIN_KEY
from tests.factories import COMMAND, call, command_env, free_port

SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
# Per operation; the whole run stays under a minute on 2 cores.
MAX_EXAMPLES = os.environ.get("COMMONGROUND_CONTRACT_EXAMPLES", "5")


def test_the_live_api_keeps_its_published_contract(seeded_db_url, tmp_path):
    port = free_port()
    env = command_env(
        **{
            "DATABASE_URL": seeded_db_url,
            "COMMONGROUND_DATA_DIR": str(tmp_path / "data"),
            "COMMONGROUND_SEED": "false",
            "COMMONGROUND_ADMIN_KEY": ADMIN_KEY,
            "COMMONGROUND_LOG_LEVEL": "warning",
            "COMMONGROUND_RATE_LIMIT_ANONYMOUS": "0",
            "COMMONGROUND_RATE_LIMIT_KEY": "0",
        }
    )
    hooks = {**os.environ, "SCHEMATHESIS_HOOKS": str(Path(__file__).with_name("contract_hooks.py"))}
    log = tmp_path / "server.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [COMMAND, "serve", "--port", str(port), "--workers", "1"], env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if call(f"http://127.0.0.1:{port}/readyz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "serve did not start"
            time.sleep(0.3)
        # positive_data_acceptance is left out: schema-valid requests are rightly refused when an id is unknown
        # (404), If-Match is stale (412) or a rule spans fields (422, e.g. "give organization or organization_id").
        run = subprocess.run(
            [
                SCHEMATHESIS,
                "run",
                f"http://127.0.0.1:{port}/docs/openapi.json",
                "-H",
                f"Authorization: Bearer {ADMIN_KEY}",
                "--checks",
                "all",
                "--exclude-checks",
                "positive_data_acceptance",
                "--max-examples",
                MAX_EXAMPLES,
                "--seed",
                "1",
                "--workers",
                "2",
                "--no-color",
            ],
            cwd=tmp_path,
            env=hooks,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:] + log.read_text()[-3000:]
        assert "ignored_auth" not in run.stdout  # no protected route answered an anonymous call
    finally:
        server.terminate()
        server.wait(timeout=30)
        print(log.read_text()[-5000:])
