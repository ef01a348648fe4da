"""create_app(settings): the only place the application is assembled."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import asyncpg
from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.config.cors import CORSConfig
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, Contact, License, SecurityScheme, Server

from service.config import Settings, load_settings
from service.curation.served import ServedCounter
from service.db import connect_with_retry, create_pool, pooled, provide_connection
from service.embedded import embedded_postgres
from service.errors import exception_handlers
from service.field.assets import FieldAssets
from service.http.access import configure_logging
from service.http.auth import delete_old_windows
from service.http.bodies import check_request
from service.http.contract import document_problems, document_streams
from service.http.edge import edge_middleware
from service.http.etags import etag_middleware
from service.http.metrics import Metrics
from service.http.quotas import QuotaLedger
from service.http.streams import StreamBudget
from service.imports.exports import ExportCache, delete_old_export_writes
from service.imports.formats import remove_stale_folders
from service.imports.importer import cancel_jobs
from service.imports.meetings import feed_fetcher
from service.platform.sealing import load_server_key
from service.platform.webhooks import Deliverer, seal_plain_secrets, system_resolve
from service.queries.attributes import select_attributes
from service.queries.categories import select_taxonomy
from service.queries.migrations import apply_migrations
from service.queries.resources import incremental_knn, refresh_timelines
from service.replicas import CONSISTENCY_HEADER, Replicas
from service.routes.attributes import list_attributes
from service.routes.capacity import CapacityController
from service.routes.categories import CategoryController
from service.routes.category_mappings import CategoryMappingController
from service.routes.changes import list_changes
from service.routes.duplicates import list_duplicates, merge_listings
from service.routes.events import EventController
from service.routes.exceptions import (
    list_location_exceptions,
    list_service_exceptions,
    replace_location_exceptions,
    replace_service_exceptions,
)
from service.routes.exports import export_hsds_zip, export_meetings
from service.routes.field import field_file, field_manifest, field_page, field_worker
from service.routes.health import healthz, metrics, readyz
from service.routes.history import (
    EventHistoryController,
    LocationHistoryController,
    MeetingHistoryController,
    OrganizationHistoryController,
    ServiceHistoryController,
    purge_listing,
)
from service.routes.hsds import HsdsController
from service.routes.import_flags import clear_import_flag, list_import_flags
from service.routes.imports import ImportController
from service.routes.keys import KeyController
from service.routes.locations import LocationController
from service.routes.meetings import SHORTCUT as MEETINGS
from service.routes.meetings import MeetingController, MeetingSourceController
from service.routes.organizations import OrganizationController
from service.routes.regions import find_counties
from service.routes.resources import SHORTCUT as RESOURCES
from service.routes.resources import ResourceController
from service.routes.services import ServiceController
from service.routes.shortcuts import shortcuts
from service.routes.suggestions import SuggestionController
from service.routes.verifications import list_stale, list_verifications, verify_service
from service.routes.webhooks import WebhookController
from service.search.candidates import CandidateCounts
from service.search.geo import Geocoder, warm_lookups
from service.search.taxonomy import Taxonomy
from service.search.words import Corrections
from service.state import AppState, app_state

API_VERSION = "1.0.0"
# Response headers browser apps may read.
EXPOSED_HEADERS = [
    "ETag",
    "X-Request-ID",
    "Location",
    "Retry-After",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "RateLimit-Policy",
    CONSISTENCY_HEADER,
]
log = logging.getLogger("commonground")


def openapi_config() -> OpenAPIConfig:
    """The published contract's metadata; docs are served at /docs."""
    return OpenAPIConfig(
        title="CommonGround",
        version=API_VERSION,
        description=(
            "Open resource directory for people in recovery and the peer-support specialists beside them: "
            "shelters, harm reduction, transport and court support, found by distance, category, words and hours. "
            "Every error is an RFC 9457 problem (application/problem+json)."
        ),
        contact=Contact(name="CommonGround maintainers"),
        license=License(name="Apache-2.0", identifier="Apache-2.0"),
        servers=[Server(url="/")],
        path="/docs",
        render_plugins=[SwaggerRenderPlugin(path="/"), ScalarRenderPlugin(path="/scalar")],
        use_handler_docstrings=True,
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(
                    type="http",
                    scheme="bearer",
                    description="An API key: the admin key from COMMONGROUND_ADMIN_KEY, or one made with POST /v1/keys",
                )
            }
        ),
    )


async def _housekeeping(pool: asyncpg.Pool, served: ServedCounter) -> None:
    """Every minute: forget ended quota windows and old export writers, add the showings counted, and
    keep the search rows' timelines ahead of the clock."""
    while True:
        await asyncio.sleep(60)
        try:
            await delete_old_windows(pool)
            await delete_old_export_writes(pool)
            await served.flush(pool)
            await _refresh_timelines(pool)
        except Exception:
            log.warning("housekeeping failed; trying again in a minute", exc_info=True)


async def _refresh_timelines(pool: asyncpg.Pool, batch: int = 2_000) -> None:
    """Lay out the timelines running out soon, a batch per transaction so no search waits on many rows."""
    async with pooled(pool) as conn:
        for _ in range(1_000):  # 2M rows a minute at most; the rest next minute
            if await refresh_timelines(conn, batch) < batch:
                return
            await asyncio.sleep(0.1)


async def _flush_served(served: ServedCounter, pool: asyncpg.Pool) -> None:
    """On shutdown: keep the last showings counted."""
    try:
        await served.flush(pool)
    except Exception:
        log.warning("could not save the last minute of showings", exc_info=True)


async def _stop(task: asyncio.Task[None]) -> None:
    """Cancel a background task and wait for it, before the pool it uses closes."""
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def create_app(settings: Settings) -> Litestar:
    """Build the API; the database pool opens and closes with the app's lifespan."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        state = app_state(app)
        async with AsyncExitStack() as stack:
            dsn = settings.database_url
            if dsn is None:
                dsn = stack.enter_context(embedded_postgres(settings.data_dir))
            state.server_key = load_server_key(settings)
            conn = await connect_with_retry(dsn)
            try:
                applied = await apply_migrations(conn)
                if applied:
                    log.info("applied migrations: %s", ", ".join(applied))
                if sealed := await seal_plain_secrets(conn, state.server_key):
                    log.info("sealed %d webhook secrets kept in plain text", sealed)
                state.taxonomy = Taxonomy(await select_taxonomy(conn))
                state.attributes = Taxonomy(
                    {row["slug"]: None for row in await select_attributes(conn)}, "attribute", "/v1/attributes"
                )
                state.windowed_knn = not incremental_knn(
                    int(await conn.fetchval("SELECT current_setting('server_version_num')"))
                )
            finally:
                await conn.close()
            state.dsn = dsn
            state.pool = await create_pool(settings, dsn)
            stack.push_async_callback(state.pool.close)
            if state.replicas:
                await state.replicas.open()
                stack.push_async_callback(state.replicas.close)
                await state.replicas.check(state.pool, dsn)
                checker = asyncio.create_task(state.replicas.run(state.pool, dsn))
                stack.push_async_callback(_stop, checker)
            state.jobs = set()
            stack.push_async_callback(cancel_jobs, state.jobs)
            if stale := await asyncio.to_thread(remove_stale_folders):
                log.info("removed %d import folders left by stopped processes", len(stale))
            state.geocoder = Geocoder(settings)
            await asyncio.to_thread(warm_lookups)
            state.served = ServedCounter()
            stack.push_async_callback(_flush_served, state.served, state.pool)
            housekeeping = asyncio.create_task(_housekeeping(state.pool, state.served))
            stack.push_async_callback(_stop, housekeeping)
            if settings.webhooks_enabled:
                deliverer = asyncio.create_task(
                    Deliverer(state.pool, settings, state.metrics, state.server_key, state.resolver).run()
                )
                stack.push_async_callback(_stop, deliverer)
            yield

    measured = Metrics(settings.metrics_dir)
    app = Litestar(
        route_handlers=[
            ResourceController,
            OrganizationController,
            ServiceController,
            LocationController,
            MeetingController,
            EventController,
            MeetingSourceController,
            HsdsController,
            ImportController,
            CategoryMappingController,
            export_hsds_zip,
            export_meetings,
            list_attributes,
            find_counties,
            CapacityController,
            replace_service_exceptions,
            list_service_exceptions,
            replace_location_exceptions,
            list_location_exceptions,
            CategoryController,
            healthz,
            readyz,
            metrics,
            list_changes,
            KeyController,
            WebhookController,
            ServiceHistoryController,
            OrganizationHistoryController,
            LocationHistoryController,
            MeetingHistoryController,
            EventHistoryController,
            purge_listing,
            verify_service,
            list_verifications,
            list_import_flags,
            clear_import_flag,
            list_stale,
            SuggestionController,
            list_duplicates,
            merge_listings,
            field_page,
            field_worker,
            field_manifest,
            field_file,
        ],
        dependencies={
            "conn": Provide(provide_connection),
        },
        exception_handlers=exception_handlers(),
        before_request=check_request,
        middleware=[etag_middleware],
        # Brotli, else gzip, for clients that ask: a 40 KB page of results is ~5 KB on the wire. Low levels
        # keep the CPU cost per answer small.
        compression_config=CompressionConfig(
            backend="brotli",
            brotli_quality=4,
            brotli_gzip_fallback=True,
            gzip_compress_level=5,
            minimum_size=1024,
            exclude="/v1/exports/",
        ),  # a zip is compressed already
        cors_config=CORSConfig(allow_origins=list(settings.cors_origins), expose_headers=EXPOSED_HEADERS)
        if settings.cors_origins
        else None,
        lifespan=[lifespan],
        state=AppState(
            {
                "settings": settings,
                "metrics": measured,
                "streams": StreamBudget(settings),
                "quotas": QuotaLedger(settings.workers),
                "replicas": Replicas(settings, settings.metrics_dir, measured.registry),
                "exports": ExportCache(measured),
                "resolver": system_resolve,
                "candidates": CandidateCounts(),
                "corrections": Corrections(),
                "field": FieldAssets(tile_url=settings.tile_url, tile_attribution=settings.tile_attribution),
                "meeting_feeds": feed_fetcher(settings.meeting_feeds, settings.max_import_bytes),
            }
        ),
        openapi_config=openapi_config(),
        request_max_body_size=settings.max_body_bytes,
    )
    document_problems(app)
    document_streams(app)
    app.asgi_handler = edge_middleware(app, shortcuts({"/v1/resources": RESOURCES, "/v1/meetings": MEETINGS}))
    return app


def app_from_environment() -> Litestar:
    """Factory for uvicorn workers: settings from the environment."""
    settings = load_settings()
    app = create_app(settings)
    # After the app is built: Litestar's logging set-up puts the root logger at INFO, so at a higher
    # COMMONGROUND_LOG_LEVEL every request still wrote (and paid for) its access line.
    configure_logging(settings.log_level)
    return app
