"""The `commonground` command: serve, migrate, seed, import, export, backup, restore, openapi."""

import argparse
import asyncio
import logging
import os
import re
import shutil
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from service.config import Settings, load_settings

if TYPE_CHECKING:
    from schemas.imports import Flag, ImportReport, Rejection
    from service.imports.formats import Progress

log = logging.getLogger("commonground")


@contextmanager
def database(settings: Settings, supervise: bool = False) -> Iterator[str]:
    """DATABASE_URL when set; otherwise the embedded PostgreSQL, stopped on exit (and, supervised,
    started again whenever it stops meanwhile)."""
    if settings.database_url:
        yield settings.database_url
        return
    from service.embedded import embedded_postgres

    with embedded_postgres(settings.data_dir, supervise) as url:
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


def _interrupted(signum: int, frame: object) -> None:
    """SIGTERM ends serve as Ctrl-C does. uvicorn drains on either, then raises the signal again once it
    is done; SIGTERM's default would then kill the process before the embedded PostgreSQL is stopped."""
    raise KeyboardInterrupt


def serve(settings: Settings) -> None:
    """Migrate, seed on first start, then run the API until Ctrl-C or SIGTERM (systemd, Docker, Kubernetes):
    new connections are refused, requests in flight finish (for up to 10 s), webhook attempts cut short
    give back their leases, then PostgreSQL stops."""
    import uvicorn

    signal.signal(signal.SIGTERM, _interrupted)
    with database(settings, supervise=True) as dsn:
        asyncio.run(prepare(dsn, None if settings.seed_on_start else False))
        # Workers are separate processes: they read the database from the environment.
        os.environ["DATABASE_URL"] = dsn
        if settings.workers > 1 and not settings.metrics_dir:
            # A fresh folder each start: workers pool their metrics there (see service.http.metrics).
            folder = Path(settings.data_dir).resolve() / "metrics"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
        print(
            f"CommonGround on http://{settings.host}:{settings.port} (docs at /docs), "
            f"{settings.workers} worker(s); Ctrl-C stops",
            file=sys.stderr,
        )
        uvicorn.run(
            "service.app:app_from_environment",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            log_level=settings.log_level,
            access_log=False,
            loop="uvloop" if sys.platform != "win32" else "asyncio",
            http="httptools",
            timeout_graceful_shutdown=10,
            proxy_headers=True,
            forwarded_allow_ips=settings.forwarded_allow_ips,
        )


def write_openapi(settings: Settings, output: Path) -> None:
    """Write the app's OpenAPI document as YAML."""
    import yaml

    from service.app import create_app

    schema = create_app(settings).openapi_schema.to_schema()
    output.write_text(yaml.safe_dump(schema, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8")
    print(f"wrote {output}", file=sys.stderr)


async def _show_progress(progress: "Progress") -> None:
    """A one-line progress bar on a terminal; phase changes only when stderr is not one."""
    tty = sys.stderr.isatty()
    phase = None
    while True:
        if tty:
            total = progress.total or 0
            share = min(progress.done / total, 1.0) if total else 0.0
            bar = "#" * int(share * 30)
            print(f"\r{progress.phase:<9} [{bar:<30}] {share:6.1%}", end="", file=sys.stderr, flush=True)
        elif progress.phase != phase:
            print(f"{progress.phase}...", file=sys.stderr, flush=True)
        phase = progress.phase
        await asyncio.sleep(0.2)


async def import_command(dsn: str, args: argparse.Namespace, settings: Settings) -> int:
    """Run one import and print its summary; the exit code says whether it was applied."""
    from service.db import connect_with_retry
    from service.imports.formats import Limits, Progress, remove_stale_folders
    from service.imports.importer import ImportFailed, run_import
    from service.queries.migrations import apply_migrations

    remove_stale_folders()
    conn = await connect_with_retry(dsn)
    progress = Progress()
    bar = asyncio.create_task(_show_progress(progress))
    report: ImportReport | None
    failure: str | None
    try:
        await apply_migrations(conn)
        source = args.source or args.path.stem
        report = await run_import(
            conn,
            args.path,
            source,
            format=args.format,
            dry_run=args.dry_run,
            strict=args.strict,
            prune=args.prune,
            progress=progress,
            limits=Limits.of(settings),
        )
        failure = None
    except ImportFailed as error:
        report, failure = error.report, str(error)
    except Exception as error:  # a defect of ours: one line for the admin, the traceback in the debug log
        logging.getLogger("commonground.imports").debug("import failed", exc_info=True)
        report, failure = None, f"the import stopped ({type(error).__name__}: {error}); nothing was imported"
    finally:
        bar.cancel()
        await conn.close()
        if sys.stderr.isatty():
            print(file=sys.stderr)
    if report is not None:
        if args.report:
            args.report.write_bytes(msgspec.json.format(msgspec.json.encode(report)))
        print(summarize(report), file=sys.stderr)
    if failure:
        print(f"import failed: {failure}", file=sys.stderr)
        return 1
    return 0


# What the summary calls each kind of row it removed: one, many.
REMOVED_NAMES = {
    "organization": ("organization", "organizations"),
    "location": ("location", "locations"),
    "service": ("service", "services"),
    "service_at_location": ("service location link", "service location links"),
    "phone": ("phone", "phones"),
    "schedule": ("opening", "openings"),
    "service_taxonomy_term": ("taxonomy link", "taxonomy links"),
    "service_category": ("category link", "category links"),
    "service_attribute": ("attribute link", "attribute links"),
    "meeting": ("meeting", "meetings"),
}


# Values inside a rejection's reason, so that rejections of one kind group together.
_REASON_VALUES = re.compile(r"'[^']*'|-?\d+(?:\.\d+)?")


def summarize(report: "ImportReport") -> str:
    """A short human summary of an import report."""
    lines = [
        f"{report.format} from source {report.source!r}: "
        + ("dry run, nothing written" if report.dry_run else "applied" if report.committed else "not applied")
        + (" (full snapshot: --prune)" if report.prune else "")
    ]
    lines.append(
        f"  {'entity':<22}{'read':>8}{'rejected':>10}{'created':>9}{'updated':>9}{'unchanged':>11}{'removed':>9}"
    )
    for entity, counts in report.counts.items():
        lines.append(
            f"  {entity:<22}{counts.read:>8}{counts.rejected:>10}{counts.created:>9}{counts.updated:>9}"
            f"{counts.unchanged:>11}{counts.removed:>9}"
        )
    verb = "would remove" if report.dry_run else "removed"
    for entity, counts in report.counts.items():
        if counts.removed:
            one, many = REMOVED_NAMES.get(entity, (entity, entity))
            lines.append(f"  {verb} {counts.removed:,} {one if counts.removed == 1 else many}")
    lost = len(report.rejections)
    lines.append(f"  lost: {lost:,} row{'' if lost == 1 else 's'} rejected" + (", the reasons follow" if lost else ""))
    reasons: dict[str, list[Rejection]] = {}
    for rejection in report.rejections:
        reasons.setdefault(_REASON_VALUES.sub("_", rejection.reason), []).append(rejection)
    ranked = sorted(reasons.values(), key=len, reverse=True)
    for group in ranked[:10]:
        first = group[0]
        lines.append(
            f"  {len(group):>6,} x rejected {first.file}:{first.line} {first.entity} "
            f"{first.source_id or ''}: {first.reason}"
        )
    if len(ranked) > 10:
        lines.append(f"  ... {sum(len(group) for group in ranked[10:]):,} more rejections (see --report)")
    flagged: dict[str, list[Flag]] = {}
    for flag in report.flags:
        flagged.setdefault(flag.flag, []).append(flag)
    for name, flags in flagged.items():
        example = flags[0]
        lines.append(
            f"  flagged {len(flags)} {name}, e.g. {example.file}:{example.line} {example.entity} "
            f"{example.source_id or ''}: {example.detail}"
        )
    if report.unmapped_terms:
        lines.append(f"  {len(report.unmapped_terms)} taxonomy terms map to no category (see --report)")
    if report.ignored_files:
        lines.append(f"  ignored files: {', '.join(report.ignored_files)}")
    lines.append(f"  {report.seconds:.2f} s")
    return "\n".join(lines)


async def export_command(dsn: str, args: argparse.Namespace) -> None:
    """Write the directory as HSDS to a file or stdout."""
    from service.db import connect_with_retry
    from service.imports.exports import write_export

    conn = await connect_with_retry(dsn)
    try:
        if args.format == "meeting-guide":
            from service.imports.meetings import write_feed

            feed = await write_feed(conn)
            if args.out is None or str(args.out) == "-":
                sys.stdout.buffer.write(feed)
                sys.stdout.buffer.flush()
            else:
                args.out.write_bytes(feed)
                print(f"wrote {args.out}", file=sys.stderr)
        elif args.out is None or str(args.out) == "-":
            await write_export(conn, args.format, sys.stdout.buffer, args.profile.removeprefix("hsds-"))
            sys.stdout.buffer.flush()
        else:
            with args.out.open("wb") as handle:
                await write_export(conn, args.format, handle, args.profile.removeprefix("hsds-"))
            print(f"wrote {args.out}", file=sys.stderr)
    finally:
        await conn.close()


def backup_command(settings: Settings, args: argparse.Namespace) -> int:
    """Back the store up, or restore it, saying in one line what happened: the exit status."""
    from service.backups import BackupError, backup, restore

    try:
        with database(settings) as dsn:
            if args.command == "backup":
                digest = backup(dsn, args.path)
                print(f"backup written to {args.path} (sha256 {digest})", file=sys.stderr)
            else:
                restore(dsn, args.path)
                print(f"restored from {args.path}", file=sys.stderr)
    except BackupError as error:
        print(f"commonground {args.command}: {error}", file=sys.stderr)
        return 1
    return 0


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
    import_cmd = commands.add_parser(
        "import", help="import an HSDS or Ohana directory, or a Meeting Guide feed of meetings (one transaction)"
    )
    import_cmd.add_argument("path", type=Path, help="JSON, NDJSON, CSV, a zip, or a folder of CSV files")
    import_cmd.add_argument(
        "--source", help="publisher name; re-importing the same source updates in place (default: the file name)"
    )
    import_cmd.add_argument(
        "--format", choices=("hsds-json", "ndjson", "tabular", "flat-csv", "meeting-guide"), help="skip detection"
    )
    import_cmd.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    import_cmd.add_argument("--strict", action="store_true", help="fail (write nothing) if any row is rejected")
    import_cmd.add_argument(
        "--prune",
        action="store_true",
        help="the input is a full snapshot of the source: delete its listings the input lacks",
    )
    import_cmd.add_argument("--report", type=Path, help="write the full JSON report here")
    export_cmd = commands.add_parser("export", help="export the directory as HSDS 3.0")
    export_cmd.add_argument(
        "--format", choices=("hsds-json", "hsds-csv", "ndjson", "meeting-guide"), default="hsds-json"
    )
    export_cmd.add_argument("--out", type=Path, help="file to write (default: stdout)")
    export_cmd.add_argument(
        "--profile",
        choices=("hsds-3.0", "hsds-3.1"),
        default="hsds-3.0",
        help="hsds-3.1 adds live capacity (service_capacity and units); default hsds-3.0",
    )
    backup_cmd = commands.add_parser("backup", help="write a consistent backup of the store (while it serves)")
    backup_cmd.add_argument("path", type=Path, help="the backup file; its checksum goes to PATH.sha256")
    restore_cmd = commands.add_parser("restore", help="load a checked backup into an empty store")
    restore_cmd.add_argument("path", type=Path, help="a file `commonground backup` wrote (with its PATH.sha256)")
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
            asyncio.run(prepare(dsn, args.command == "seed"))
    elif args.command == "import":
        with database(settings) as dsn:
            code = asyncio.run(import_command(dsn, args, settings))
        sys.exit(code)
    elif args.command == "export":
        with database(settings) as dsn:
            asyncio.run(export_command(dsn, args))
    elif args.command in ("backup", "restore"):
        sys.exit(backup_command(settings, args))
    elif args.command == "openapi":
        write_openapi(msgspec.structs.replace(settings, admin_key=None), args.output)


if __name__ == "__main__":
    main()
