"""AppState: everything the app holds for its lifetime, typed, filled by create_app and its lifespan."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, cast

from litestar.datastructures import State

if TYPE_CHECKING:  # only for the annotations: the modules below import this one's users
    import asyncpg
    from litestar import Litestar

    from service.config import Settings
    from service.curation.served import ServedCounter
    from service.field.assets import FieldAssets
    from service.http.metrics import Metrics
    from service.http.quotas import QuotaLedger
    from service.http.streams import StreamBudget
    from service.imports.exports import ExportCache
    from service.imports.meetings import Fetcher
    from service.platform.sealing import ServerKey
    from service.platform.webhooks import Resolver
    from service.replicas import Replicas
    from service.search.candidates import CandidateCounts
    from service.search.geo import Geocoder
    from service.search.taxonomy import Taxonomy
    from service.search.words import Corrections


class AppState(State):
    """Set at creation: settings, metrics, streams, quotas, exports, resolver, meeting_feeds, candidates,
    corrections, field; the rest by the lifespan."""

    settings: Settings
    metrics: Metrics
    streams: StreamBudget
    quotas: QuotaLedger
    exports: ExportCache
    # Looks webhook hosts up, at registration and at delivery (tests put a stub here).
    resolver: Resolver
    # Fetches registered Meeting Guide feed URLs; None: fetching is off (COMMONGROUND_MEETING_FEEDS).
    meeting_feeds: Fetcher | None
    server_key: ServerKey
    taxonomy: Taxonomy
    attributes: Taxonomy
    # PostgreSQL 15 and 16 cannot sort a KNN scan incrementally: read a window instead.
    windowed_knn: bool
    # How many rows indexed filters leave, per worker: whether a search ranks them or walks the index.
    candidates: CandidateCounts
    # Misspelled words' corrections, per worker, for a minute.
    corrections: Corrections
    # The field app's page and files, read when the app is built.
    field: FieldAssets
    dsn: str
    pool: asyncpg.Pool
    # The read replicas (empty without DATABASE_REPLICA_URLS) and what their checker last found.
    replicas: Replicas
    jobs: set[asyncio.Task[None]]
    geocoder: Geocoder
    served: ServedCounter


def app_state(app: Litestar) -> AppState:
    """The app's state, typed (create_app makes it an AppState)."""
    return cast("AppState", app.state)
