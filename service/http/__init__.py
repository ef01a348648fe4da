"""Plumbing every request goes through: callers and quotas, bodies, ETags, preconditions, idempotency, streams, logs and metrics."""
