"""Streams against a real server: slow readers get a bounded budget, and searches keep answering."""

import socket
import subprocess
import time
import urllib.request

import asyncpg

from tests.conftest import ADMIN_KEY
from tests.factories import COMMAND, call, command_env, free_port

STREAM = "/hsds/organizations?format=ndjson"
DEADLINE_S = 8


def _open_stream(port: int, key: str | None = None) -> tuple[socket.socket, bytes]:
    """Ask for a stream and read only the head of the answer: a client that then stops reading."""
    sock = socket.socket()
    # A small receive window, so the server's writes stall after a few megabytes at most.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(30)  # generous: a loaded CI machine may be slow to answer
    sock.connect(("127.0.0.1", port))
    auth = f"Authorization: Bearer {key}\r\n" if key else ""
    # Connection: close, so a refused stream's answer ends with the connection and can be read whole.
    sock.sendall(f"GET {STREAM} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{auth}\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head and len(head) < 8192:
        head += sock.recv(1024)
    return sock, head


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


async def test_slow_readers_are_capped_and_searches_keep_answering(seeded_db_url, tmp_path):
    conn = await asyncpg.connect(seeded_db_url)
    try:
        # ~12 MB of NDJSON: far more than the socket buffers hold, so an unread stream stays open.
        await conn.execute(
            "INSERT INTO organizations (name, description) "
            "SELECT 'Bulk ' || n, repeat('x', 4000) FROM generate_series(1, 3000) n"
        )
    finally:
        await conn.close()
    port = free_port()
    env = command_env(
        **{
            "DATABASE_URL": seeded_db_url,
            "COMMONGROUND_DATA_DIR": str(tmp_path),
            "COMMONGROUND_SEED": "false",
            "COMMONGROUND_ADMIN_KEY": ADMIN_KEY,
            "COMMONGROUND_LOG_LEVEL": "warning",
            "COMMONGROUND_RATE_LIMIT_ANONYMOUS": "0",
            "COMMONGROUND_RATE_LIMIT_KEY": "0",
            "COMMONGROUND_POOL_SIZE": "8",
            "COMMONGROUND_MAX_STREAMS": "3",
            "COMMONGROUND_MAX_STREAMS_PER_CLIENT": "2",
            "COMMONGROUND_STREAM_DEADLINE_S": str(DEADLINE_S),
        }
    )
    log = tmp_path / "server.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [COMMAND, "serve", "--port", str(port), "--workers", "1"], env=env, stdout=output, stderr=subprocess.STDOUT
        )
    held: list[socket.socket] = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if call(f"http://127.0.0.1:{port}/readyz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "serve did not start:\n" + log.read_text()
            time.sleep(0.3)

        answers = []
        for key in (None, None, None, ADMIN_KEY, ADMIN_KEY):
            sock, head = _open_stream(port, key)
            held.append(sock)
            answers.append(head if head.startswith(b"HTTP/1.1 200") else head + _read_all(sock))
        statuses = [answer.split(b" ", 2)[1] for answer in answers]
        # Two per address, three in all: the third anonymous one and the second keyed one are refused.
        assert statuses == [b"200", b"200", b"503", b"200", b"503"], answers
        for refused, reason in ((answers[2], b"per key or address"), (answers[4], b"as many streams as it can")):
            assert b"retry-after: 5" in refused.lower() and b"application/problem+json" in refused
            assert reason in refused

        # Three streams hold three connections and read nothing; searches still get theirs.
        for _ in range(20):
            started = time.monotonic()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/resources?near=39.29,-76.61", timeout=5) as r:
                assert r.status == 200
            assert time.monotonic() - started < 5

        # Past the deadline the stalled streams are cut off and their slots come back.
        until = time.monotonic() + DEADLINE_S + 10
        while True:
            sock, head = _open_stream(port)
            held.append(sock)
            if head.startswith(b"HTTP/1.1 200"):
                break
            assert time.monotonic() < until, "stalled streams were never cut off: " + repr(head)
            time.sleep(1)
    finally:
        for sock in held:
            sock.close()
        server.terminate()
        server.wait(timeout=30)
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]
