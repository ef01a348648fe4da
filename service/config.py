"""Settings, read once from the environment and passed in."""

import os
import urllib.parse
from collections.abc import Mapping

import msgspec

# Environment variable -> Settings field. Documented in README.md.
ENVIRONMENT = {
    "DATABASE_URL": "database_url",
    "DATABASE_REPLICA_URLS": "replica_urls",
    "COMMONGROUND_REPLICA_MAX_LAG": "replica_max_lag_s",
    "COMMONGROUND_REPLICA_CHECK_S": "replica_check_s",
    "COMMONGROUND_READ_YOUR_WRITES_S": "read_your_writes_s",
    "COMMONGROUND_DATA_DIR": "data_dir",
    "COMMONGROUND_ADMIN_KEY": "admin_key",
    "COMMONGROUND_SECRET_KEY": "secret_key",
    "COMMONGROUND_GEOCODER": "geocoder",
    "COMMONGROUND_GEOCODER_USER_AGENT": "geocoder_user_agent",
    "COMMONGROUND_GEOCODER_API_KEY": "geocoder_api_key",
    "COMMONGROUND_GEOCODER_TIMEOUT": "geocoder_timeout",
    "COMMONGROUND_MEETING_FEEDS": "meeting_feeds",
    "COMMONGROUND_HOST": "host",
    "COMMONGROUND_PORT": "port",
    "COMMONGROUND_WORKERS": "workers",
    "COMMONGROUND_POOL_SIZE": "pool_size",
    "COMMONGROUND_STATEMENT_TIMEOUT_MS": "statement_timeout_ms",
    "COMMONGROUND_MAX_BODY_BYTES": "max_body_bytes",
    "COMMONGROUND_BODY_TIMEOUT_S": "body_timeout_s",
    "COMMONGROUND_MAX_IMPORT_BYTES": "max_import_bytes",
    "COMMONGROUND_IMPORT_MAX_UNPACKED_BYTES": "import_max_unpacked_bytes",
    "COMMONGROUND_IMPORT_MAX_RATIO": "import_max_ratio",
    "COMMONGROUND_IMPORT_MAX_LINE_LENGTH": "import_max_line_length",
    "COMMONGROUND_SEED": "seed_on_start",
    "COMMONGROUND_LOG_LEVEL": "log_level",
    "COMMONGROUND_CORS_ORIGINS": "cors_origins",
    "COMMONGROUND_TILE_URL": "tile_url",
    "COMMONGROUND_TILE_ATTRIBUTION": "tile_attribution",
    "COMMONGROUND_RATE_LIMIT_ANONYMOUS": "rate_limit_anonymous",
    "COMMONGROUND_RATE_LIMIT_KEY": "rate_limit_key",
    "COMMONGROUND_FORWARDED_ALLOW_IPS": "forwarded_allow_ips",
    "COMMONGROUND_SUGGESTION_LIMIT_ANONYMOUS": "suggestion_limit_anonymous",
    "COMMONGROUND_MAX_STREAMS": "max_streams",
    "COMMONGROUND_MAX_STREAMS_PER_CLIENT": "max_streams_per_client",
    "COMMONGROUND_STREAM_ACQUIRE_TIMEOUT_S": "stream_acquire_timeout_s",
    "COMMONGROUND_STREAM_DEADLINE_S": "stream_deadline_s",
    "PROMETHEUS_MULTIPROC_DIR": "metrics_dir",
    "COMMONGROUND_WEBHOOKS": "webhooks_enabled",
    "COMMONGROUND_WEBHOOK_ALLOW_INSECURE": "webhook_allow_insecure",
    "COMMONGROUND_WEBHOOK_RETRY_BASE_S": "webhook_retry_base_s",
    "COMMONGROUND_WEBHOOK_MAX_ATTEMPTS": "webhook_max_attempts",
    "COMMONGROUND_WEBHOOK_TIMEOUT_S": "webhook_timeout_s",
}


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything the service can be configured with."""

    database_url: str | None = None
    # Streaming replicas that searches, listings, the HSDS API and the change feed may read from
    # (comma-separated URLs in the environment); how far behind (seconds) one may be and still serve reads,
    # how often each worker checks them, and how long a session's reads must see its own last write.
    replica_urls: tuple[str, ...] = ()
    replica_max_lag_s: float = 5.0
    replica_check_s: float = 1.0
    read_your_writes_s: float = 10.0
    data_dir: str = ".data"
    admin_key: str | None = None
    # Seals secrets kept in the database (service/platform/sealing.py); unset: a key file made in data_dir.
    secret_key: str | None = None
    geocoder: str | None = None
    geocoder_user_agent: str = "commonground"
    geocoder_api_key: str | None = None
    geocoder_timeout: float = 5.0
    # Fetching registered Meeting Guide feed URLs: off (None), "https" (built in), or module:attribute
    # naming an async callable (url) -> bytes.
    meeting_feeds: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 2
    pool_size: int = 10
    statement_timeout_ms: int = 10_000
    max_body_bytes: int = 1_048_576
    # The longest wait for the next part of a request body: a client that stops sending gets 408.
    body_timeout_s: float = 30.0
    max_import_bytes: int = 512 * 1_048_576
    # What an import's zip may unpack to, in all and per compressed byte of a member (zip bombs stop here).
    import_max_unpacked_bytes: int = 512 * 1_048_576
    import_max_ratio: int = 250
    # Characters one line of an imported CSV file may hold; a longer line's row is rejected.
    import_max_line_length: int = 4 * 1_048_576
    seed_on_start: bool = True
    log_level: str = "info"
    # Browser origins allowed to call the API (comma-separated in the environment); none by default.
    cors_origins: tuple[str, ...] = ()
    # Map tiles for the field app's small map of results ({z}/{x}/{y} in an https URL), and the credit
    # their provider requires; no map without it (the list and its directions do the job).
    tile_url: str | None = None
    tile_attribution: str = "© OpenStreetMap contributors"
    # Requests per minute per client address without a key, and per key (a key's own rate_limit wins);
    # 0 turns the limit off.
    rate_limit_anonymous: int = 300
    rate_limit_key: int = 3000
    # Suggestions per hour per client address without a key (0: no limit).
    suggestion_limit_anonymous: int = 10
    # Streamed answers (format=ndjson, the export zip) at once per worker process, in all (never more than
    # half of pool_size, so searches keep connections) and per key or address; how long a stream waits for
    # a connection before 503, and how long it may run before it is cut off.
    max_streams: int = 4
    max_streams_per_client: int = 2
    stream_acquire_timeout_s: float = 2.0
    stream_deadline_s: float = 600.0
    # Proxies whose X-Forwarded-For names the client (comma-separated addresses, or *).
    forwarded_allow_ips: str = "127.0.0.1"
    # Where worker processes pool their metrics; `serve` sets it when it starts several workers.
    metrics_dir: str | None = None
    # Whether this process delivers webhooks (every worker may; they share the outbox safely).
    webhooks_enabled: bool = True
    # Allow http:// webhook URLs and private or loopback addresses: for local development only.
    webhook_allow_insecure: bool = False
    # Retry n waits base * 2^(n-1) seconds (capped at 6 h, with jitter); after max attempts the delivery fails.
    webhook_retry_base_s: float = 30.0
    webhook_max_attempts: int = 10
    # One attempt's whole deadline: resolving, connecting, sending and reading the answer.
    webhook_timeout_s: float = 10.0

    def __post_init__(self) -> None:
        if self.tile_url is not None:
            tile_origin(self.tile_url)


def tile_origin(url: str) -> str:
    """The origin a tile URL template loads from, or ValueError saying what is wrong with it."""
    parts = urllib.parse.urlsplit(url)
    local = parts.hostname in ("localhost", "127.0.0.1", "::1")
    if not parts.hostname or not (parts.scheme == "https" or (parts.scheme == "http" and local)):
        raise ValueError("the tile URL must be https:// (http:// only for localhost)")
    if not all(hole in url for hole in ("{z}", "{x}", "{y}")):
        raise ValueError("the tile URL must hold {z}, {x} and {y}, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    if any(character in url for character in " \"'<>;"):
        raise ValueError("the tile URL holds a character a URL cannot")
    return f"{parts.scheme}://{parts.netloc}"


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Build Settings from environment variables (empty values count as unset) and overrides."""
    environ = os.environ if environ is None else environ
    raw: dict[str, object] = {
        field: environ[name] for name, field in ENVIRONMENT.items() if environ.get(name, "").strip()
    }
    for listed in ("cors_origins", "replica_urls"):
        if isinstance(raw.get(listed), str):
            raw[listed] = [item.strip() for item in str(raw[listed]).split(",") if item.strip()]
    raw.update({key: value for key, value in overrides.items() if value is not None})
    try:
        return msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as error:
        field = str(error).rsplit("`$.", 1)[-1].rstrip("`")
        names = [name for name, known in ENVIRONMENT.items() if known == field]
        raise SystemExit(f"invalid setting {names[0] if names else field}: {error}") from None
