"""Request plumbing: callers and quotas, bodies, ETags, preconditions, idempotency, streams, logs and metrics."""
