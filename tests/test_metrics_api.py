"""Prometheus metrics at /metrics, summed over worker processes."""

import contextlib
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from tests.conftest import ADMIN_KEY
from tests.factories import COMMAND, call, command_env, free_port


def _value(text: str, prefix: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(prefix))


async def test_requests_are_counted_by_route_template_and_status(client):
    for _ in range(3):
        await client.get("/v1/categories")
    await client.get("/v1/services/00000000-0000-4000-8000-000000000000")
    await client.get("/v1/nowhere")
    response = await client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert _value(text, 'commonground_http_requests_total{method="GET",route="/v1/categories",status="200"}') == 3
    assert (
        _value(text, 'commonground_http_requests_total{method="GET",route="/v1/services/{service_id}",status="404"}')
        == 1
    )
    assert _value(text, 'commonground_http_requests_total{method="GET",route="unmatched",status="404"}') == 1
    assert _value(text, 'commonground_http_request_duration_seconds_count{method="GET",route="/v1/categories"}') == 3


def _per_worker(folder: Path, sample: str) -> dict[str, float]:
    """What each worker process counted, from its own file in the multiprocess folder (named by pid)."""
    counts = {}
    for file in folder.glob("counter_*.db"):
        with tempfile.TemporaryDirectory() as alone:
            shutil.copy(file, alone)
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=alone)
            counts[file.stem.removeprefix("counter_")] = _value(generate_latest(registry).decode(), sample)
    return counts


def test_a_scrape_sees_every_worker_of_a_real_server(db_url, tmp_path):
    # Two real worker processes; whichever answers the scrape reports the requests both answered.
    port = free_port()
    env = command_env(
        **{
            "DATABASE_URL": db_url,
            "COMMONGROUND_DATA_DIR": str(tmp_path),
            "COMMONGROUND_SEED": "false",
            "COMMONGROUND_ADMIN_KEY": ADMIN_KEY,
        }
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    process = subprocess.Popen(
        [COMMAND, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    sample = 'commonground_http_requests_total{method="GET",route="/v1/categories",status="200"}'
    try:
        deadline = time.monotonic() + 60
        status = None
        while status != 200:
            assert process.poll() is None, "serve exited before it was ready"
            assert time.monotonic() < deadline, f"/readyz did not answer 200 within 60 s (last answer: {status})"
            with contextlib.suppress(OSError):
                status = call(f"http://127.0.0.1:{port}/readyz")[0]
            time.sleep(0.3)
        # Fresh connections in parallel batches, until both workers have answered some (bounded).
        sent = 0
        with ThreadPoolExecutor(8) as pool:
            while sent < 400:
                assert set(pool.map(lambda _: call(f"http://127.0.0.1:{port}/v1/categories")[0], range(40))) == {200}
                sent += 40
                per_worker = _per_worker(tmp_path / "metrics", sample)
                if len(per_worker) == 2 and all(per_worker.values()):
                    break
        assert len(per_worker) == 2 and all(per_worker.values()), f"one worker served everything: {per_worker}"
        assert sum(per_worker.values()) == sent
        for _ in range(4):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
                text = response.read().decode()
            assert _value(text, sample) == sent
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


async def test_metrics_labels_carry_no_query_or_path_values(client):
    await client.get("/v1/resources?near=45.523123,-122.676543")
    await client.get("/v1/nowhere/45.523123?address=1120+SW+5th")
    await client.request("PROPFIND45", "/v1/categories")
    text = (await client.get("/metrics")).text
    assert "45.52" not in text and "1120" not in text and "nowhere" not in text and "PROPFIND" not in text
    assert _value(text, 'commonground_http_requests_total{method="GET",route="/v1/resources",status="200"}') == 1
    assert _value(text, 'commonground_http_requests_total{method="other",') == 1
