"""Prometheus metrics: requests by route and status, latency, throttling, webhook deliveries.

With several worker processes, `serve` points PROMETHEUS_MULTIPROC_DIR (Settings.metrics_dir) at a
fresh folder; every worker writes its counts there and /metrics sums them, so a scrape sees the
whole server whichever worker answers it.
"""

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

# A label value comes from this set or a route template, never from the request itself, so a client can
# neither multiply the series nor get what it sent (a query, a path) into them.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """One app's metrics and the registry /metrics renders."""

    def __init__(self, multiprocess_dir: str | None) -> None:
        self.registry = CollectorRegistry()
        if multiprocess_dir:
            MultiProcessCollector(self.registry, path=multiprocess_dir)  # type: ignore[no-untyped-call]  # prometheus_client leaves it unannotated
        # In multiprocess mode the values live in the folder's files, not in a registry.
        owner = None if multiprocess_dir else self.registry
        self.requests = Counter(
            "commonground_http_requests", "HTTP requests answered", ["method", "route", "status"], registry=owner
        )
        self.latency = Histogram(
            "commonground_http_request_duration_seconds",
            "Time to the start of the answer",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=owner,
        )
        self.throttled = Counter("commonground_rate_limited", "Requests refused with 429", ["caller"], registry=owner)
        self.export_builds = Counter(
            "commonground_export_builds",
            "Times the export zip was built (once per data version and worker)",
            registry=owner,
        )
        self.deliveries = Counter(
            "commonground_webhook_deliveries", "Webhook delivery attempts", ["outcome"], registry=owner
        )
        # The labelled series of each (method, route, status): found with one lookup per request, not two
        # labels() calls under their locks.
        self._answered: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request; route is the path template, so ids don't multiply the series."""
        method = method if method in METHODS else "other"
        series = self._answered.get((method, route, status))
        if series is None:
            series = self._answered[method, route, status] = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
            )
        series[0].inc()
        series[1].observe(seconds)

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)
