"""The embedded PostgreSQL looks after itself: killed under load, `commonground serve` starts it again
and every request meanwhile is a 503 with Retry-After; no acknowledged write is lost."""

import signal

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
