"""The `commonground` command: serve, migrate, seed, openapi."""

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import msgspec

from service.config import Settings, load_settings

log = logging.getLogger("commonground")


@contextmanager
def database(settings: Settings) -> Iterator[str]:
    """DATABASE_URL when set; otherwise the embedded PostgreSQL, stopped on exit."""
    if settings.database_url:
        yield settings.database_url
        return
    from service.embedded import embedded_postgres

    with embedded_postgres(settings.data_dir) as url:
        yield url


async def prepare(dsn: str, seed: bool | None) -> None:
    """Apply migrations; load seeds always (seed=True), on first start only (None), or never (False)."""
    from seeds.loader import load_seed, seed_loaded
    from service.db import connect_with_retry
    from service.queries.migrations import apply_migrations

    conn = await connect_with_retry(dsn)
    try:
        applied = await apply_migrations(conn)
        print(f"migrations: {', '.join(applied) if applied else 'up to date'}", file=sys.stderr)
        if seed or (seed is None and not await seed_loaded(conn)):
            count = await load_seed(conn)
            print(f"seed data: {count} listings loaded", file=sys.stderr)
    finally:
        await conn.close()


def serve(settings: Settings) -> None:
    """Migrate, seed on first start, then run the API until Ctrl-C."""
    import uvicorn

    with database(settings) as dsn:
        asyncio.run(prepare(dsn, None if settings.seed_on_start else False))
        # Workers are separate processes: they read the database from the environment.
        os.environ["DATABASE_URL"] = dsn
        print(f"CommonGround on http://{settings.host}:{settings.port} (docs at /docs), "
              f"{settings.workers} worker(s); Ctrl-C stops", file=sys.stderr)
        uvicorn.run(
            "service.app:app_from_environment", factory=True, host=settings.host, port=settings.port,
            workers=settings.workers, log_level=settings.log_level, access_log=False,
            loop="uvloop" if sys.platform != "win32" else "asyncio", http="httptools",
            timeout_graceful_shutdown=10,
        )


def write_openapi(settings: Settings, output: Path) -> None:
    """Write the app's OpenAPI document as YAML."""
    import yaml

    from service.app import create_app

    schema = create_app(settings).openapi_schema.to_schema()
    output.write_text(yaml.safe_dump(schema, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8")
    print(f"wrote {output}", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    parser = argparse.ArgumentParser(prog="commonground", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="run the API (embedded PostgreSQL unless DATABASE_URL is set)")
    serve_cmd.add_argument("--host")
    serve_cmd.add_argument("--port", type=int)
    serve_cmd.add_argument("--workers", type=int)
    commands.add_parser("migrate", help="apply pending migrations")
    commands.add_parser("seed", help="load the seed dataset (idempotent)")
    openapi_cmd = commands.add_parser("openapi", help="write the OpenAPI document")
    openapi_cmd.add_argument("--output", type=Path, default=Path("openapi.yaml"))
    args = parser.parse_args(argv)

    overrides = {key: getattr(args, key, None) for key in ("host", "port", "workers")}
    settings = load_settings(**overrides)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if args.command == "serve":
        serve(settings)
    elif args.command in ("migrate", "seed"):
        with database(settings) as dsn:
            asyncio.run(prepare(dsn, True if args.command == "seed" else False))
    elif args.command == "openapi":
        write_openapi(msgspec.structs.replace(settings, admin_key=None), args.output)


if __name__ == "__main__":
    main()
