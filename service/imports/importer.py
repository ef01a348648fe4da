"""Run an import: read and check an input, then load it in one transaction (or roll it back)."""

import asyncio
import logging
import shutil
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from schemas.imports import EntityCounts, ImportReport
from service.db import pooled
from service.imports import formats, meetings
from service.imports.batches import PLACEHOLDER_NAME, Batch
from service.imports.formats import DEFAULT_LIMITS, Limits, Progress
from service.queries import import_flags
from service.queries import imports as queries
from service.queries.categories import select_taxonomy

log = logging.getLogger("commonground.imports")
LOAD_ATTEMPTS = 3
LOAD_ORDER = (
    "organization",
    "taxonomy",
    "taxonomy_term",
    "location",
    "service",
    "service_at_location",
    "phone",
    "schedule",
)


class SharedId(Exception):
    """Rows of two tables given one UUID, which would be one source record (refused before anything is written)."""


def one_line(error: Exception) -> str:
    """A database error's message with its detail and hint, on one line (a job's error and the CLI print one)."""
    return " ".join(str(error).split())


class ImportFailed(Exception):
    """The import changed nothing; the report (when there is one) says why."""

    def __init__(self, message: str, report: ImportReport | None = None) -> None:
        super().__init__(message)
        self.report = report


class _RollBack(Exception):
    """Raised inside the transaction of a dry run so that nothing it wrote stays."""

    def __init__(self, unmapped: list[Any]) -> None:
        super().__init__("dry run")
        self.unmapped = unmapped


def read_batch(
    path: Path, source: str, format: str | None, progress: Progress, limits: Limits = DEFAULT_LIMITS
) -> tuple[Batch, str]:
    """The CPU-bound part: parse and check each row (run it in a thread)."""
    batch = Batch(source)
    try:
        found = formats.read(path, batch, progress, format, limits)
    except BaseException:
        batch.close()
        raise
    progress.phase = "checking"
    return batch, found


def finish_batch(
    batch: Batch, slugs: list[str], existing: dict[str, set[str]], codes: list[str], placeholders: set[str]
) -> None:
    """Resolve references and fill time zones (run it in a thread)."""
    batch.finish(slugs, existing, codes, placeholders)


async def run_import(
    conn: asyncpg.Connection,
    path: Path,
    source: str,
    *,
    format: str | None = None,
    dry_run: bool = False,
    strict: bool = False,
    prune: bool = False,
    progress: Progress | None = None,
    actor: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> ImportReport:
    """Import one input. Raises ImportFailed (with the report when rows were read) and changes nothing
    when the input is unreadable, when strict and any row was rejected, or when the load fails.
    prune: the input is a full snapshot of the source, so its listings the input lacks are deleted."""
    if format == meetings.FORMAT or (format is None and await asyncio.to_thread(meetings.looks_like_feed, path)):
        return await _import_meetings(conn, path, source, dry_run, strict)
    started = time.perf_counter()
    progress = progress or Progress()
    slugs = list(await select_taxonomy(conn))
    try:
        batch, found = await asyncio.to_thread(read_batch, path, source, format, progress, limits)
    except formats.UnreadableInput as error:
        raise ImportFailed(str(error)) from None
    try:
        existing = await queries.select_existing(conn, batch.outside_references())
        placeholders = await queries.select_placeholders(conn, existing.get("organization", set()), PLACEHOLDER_NAME)
        codes = await queries.select_eligibility_codes(conn)
        await asyncio.to_thread(finish_batch, batch, slugs, existing, codes, placeholders)

        def report(committed: bool, unmapped: list[Any]) -> ImportReport:
            return ImportReport(
                source=source,
                format=found,
                dry_run=dry_run,
                prune=prune,
                committed=committed,
                counts={entity: counts for entity, counts in batch.counts.items() if counts.read or counts.removed},
                rejections=batch.rejections,
                flags=batch.flags,
                unmapped_terms=unmapped,
                ignored_files=batch.ignored_files,
                encodings=batch.encodings,
                found_by=batch.found_by,
                missing_files=batch.missing_files,
                seconds=round(time.perf_counter() - started, 3),
            )

        if not any(counts.read for counts in batch.counts.values()):
            message = f"{path.name}: no rows to import (an empty file, or only a header row)"
            if strict:
                raise ImportFailed(f"--strict: {message}, nothing was imported", report(False, []))
            log.info("import from %s: %s", source, message)
        if strict and batch.rejections:
            raise ImportFailed(
                f"--strict: {len(batch.rejections)} row(s) rejected, nothing was imported", report(False, [])
            )
        unmapped: list[Any] = []
        for attempt in range(1, LOAD_ATTEMPTS + 1):
            progress.phase = "loading"
            try:
                unmapped = await _load(conn, batch, source, dry_run, prune, progress, actor)
                break
            except _RollBack as rollback:
                unmapped = rollback.unmapped
                break
            except (asyncpg.DeadlockDetectedError, asyncpg.SerializationError):
                # Another import or edit touched the same rows in another order; all was rolled back.
                if attempt == LOAD_ATTEMPTS:
                    _nothing_written(batch)
                    raise ImportFailed(
                        f"the load collided with concurrent writes {LOAD_ATTEMPTS} times; nothing was imported, "
                        "try again",
                        report(False, []),
                    ) from None
                log.warning("import from %s collided with concurrent writes; retrying", source)
            except SharedId as error:
                _nothing_written(batch)
                raise ImportFailed(str(error), report(False, [])) from None
            except asyncpg.PostgresError as error:
                _nothing_written(batch)
                raise ImportFailed(
                    f"the database refused the import, nothing was imported: {one_line(error)}", report(False, unmapped)
                ) from error
        progress.phase = "done"
        return report(not dry_run, unmapped)
    finally:
        batch.close()  # the spooled rows go, whatever happened


async def _import_meetings(
    conn: asyncpg.Connection, path: Path, source: str, dry_run: bool, strict: bool
) -> ImportReport:
    """A Meeting Guide feed: the source's whole list of meetings (service/imports/meetings.py)."""
    try:
        if (size := (await asyncio.to_thread(path.stat)).st_size) > meetings.MAX_FEED_BYTES:
            raise meetings.UnreadableFeed(
                f"{path.name}: {size:,} bytes is larger than a Meeting Guide feed may be "
                f"({meetings.MAX_FEED_BYTES:,} bytes); nothing was imported"
            )
        raw = await asyncio.to_thread(path.read_bytes)
        report, failure = await meetings.import_feed(conn, raw, path.name, source, dry_run=dry_run, strict=strict)
    except (OSError, meetings.UnreadableFeed) as error:
        raise ImportFailed(str(error)) from None
    if failure is not None:
        raise ImportFailed(failure, report)
    return report


def _nothing_written(batch: Batch) -> None:
    """A rolled-back load's report: it created, updated and removed nothing."""
    for counts in batch.counts.values():
        counts.created = counts.updated = counts.unchanged = counts.removed = 0


async def _load(
    conn: asyncpg.Connection,
    batch: Batch,
    source: str,
    dry_run: bool,
    prune: bool,
    progress: Progress,
    actor: str | None,
) -> list[Any]:
    """Write the batch in one transaction; returns the unmapped terms (raises _RollBack for a dry run)."""
    async with conn.transaction():
        await queries.set_import_actor(conn, source, actor)
        await queries.defer_index(conn)
        await queries.stage(conn, batch)
        if (shared := await queries.select_shared_id(conn)) is not None:
            sid, entities = shared
            raise SharedId(
                f"id {sid!r} is given to a {' and a '.join(entities)}: ids must be unique across the tables; "
                "nothing was imported"
            )
        await queries.adopt_existing_links(conn)
        removed = await queries.delete_dropped_children(conn, source, batch.present)
        for entity in LOAD_ORDER:
            created, updated = await queries.upsert(conn, entity)
            counts = batch.counts[entity]
            counts.created, counts.updated = created, updated
            counts.unchanged = batch.loaded.get(entity, 0) - created - updated
        counts = batch.counts["service_capacity"]
        counts.created = await queries.insert_capacities(conn)
        counts.unchanged = batch.loaded.get("service_capacity", 0) - counts.created
        removed |= await queries.replace_terms_and_categories(conn)
        if prune:
            removed |= await queries.prune_listings(conn, source, batch.present)
        for entity, count in removed.items():
            batch.counts.setdefault(entity, EntityCounts()).removed = count
        unmapped = await queries.select_unmapped_terms(conn)
        await queries.record_sources(conn, source)
        record_ids = [batch.kept.get(flag.entity, {}).get(flag.source_id or "") for flag in batch.flags]
        await import_flags.replace_flags(conn, source, batch.flags, record_ids)
        progress.phase = "indexing"
        await queries.refresh_imported(conn)
        if dry_run:
            raise _RollBack(unmapped)
    return unmapped


async def run_job(
    dsn: str,
    pool: asyncpg.Pool,
    job_id: UUID,
    path: Path,
    source: str,
    format: str | None,
    dry_run: bool,
    strict: bool,
    prune: bool = False,
    actor: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> None:
    """Run a queued import on a connection of its own (no statement timeout), reporting progress
    through the pool every second; the uploaded file is removed at the end."""
    progress = Progress()

    async def beat() -> None:
        while True:
            try:
                async with pooled(pool) as conn:
                    await queries.update_job_progress(conn, job_id, progress.phase, progress.done, progress.total)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                log.warning("could not record the progress of import %s", job_id)
            await asyncio.sleep(1)

    heart = asyncio.create_task(beat())
    report: ImportReport | None = None
    error: str | None = None
    try:
        conn = await asyncpg.connect(dsn)
        try:
            report = await run_import(
                conn,
                path,
                source,
                format=format,
                dry_run=dry_run,
                strict=strict,
                prune=prune,
                progress=progress,
                actor=actor,
                limits=limits,
            )
        finally:
            await conn.close()
    except ImportFailed as failure:
        report, error = failure.report, str(failure)
    except Exception as failure:
        error = f"the import stopped ({type(failure).__name__}: {failure}); nothing was imported"
        log.exception("import %s failed", job_id)
    finally:
        heart.cancel()
        shutil.rmtree(path.parent, ignore_errors=True)
    encoded = msgspec.json.encode(report) if report is not None else None
    async with pooled(pool) as conn:
        await queries.finish_job(
            conn, job_id, error is None, encoded, error, report.format if report is not None else None
        )


def start_job(jobs: set[asyncio.Task[None]], *args: Any) -> None:
    """Run a job in the background, holding a reference until it ends."""
    task = asyncio.create_task(run_job(*args))
    jobs.add(task)
    task.add_done_callback(jobs.discard)


async def cancel_jobs(jobs: set[asyncio.Task[None]]) -> None:
    """On shutdown: stop running imports (their transactions roll back; they read as interrupted)."""
    for task in list(jobs):
        task.cancel()
    if jobs:
        await asyncio.gather(*jobs, return_exceptions=True)
