"""Verifications of services, and the ranking of those to re-check."""

import datetime as dt
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from schemas.verifications import StaleListing, Verification, VerificationCreate

# The verification and the service's assured_date in one statement; the audit log records it as 'verify'.
INSERT_VERIFICATION = """
    WITH checked AS (
        UPDATE services SET assured_date = (now() AT TIME ZONE 'UTC')::date, verified_at = now()
         WHERE id = $1
        RETURNING id
    )
    INSERT INTO verifications (service_id, method, note, actor)
    SELECT id, $2, $3, nullif(current_setting('commonground.actor', true), '') FROM checked
    RETURNING id, service_id, method, note, actor, at
"""


async def insert_verification(conn: asyncpg.Connection, service_id: UUID, new: VerificationCreate) -> Verification:
    """Record a check and move the service's assured_date to today."""
    row = await conn.fetchrow(INSERT_VERIFICATION, service_id, new.method, new.note)
    assert row is not None, "the caller checked that the service exists"
    return msgspec.convert(dict(row), Verification)


SELECT_VERIFICATIONS = """
    SELECT id, service_id, method, note, actor, at FROM verifications
     WHERE service_id = $1 ORDER BY at DESC, id DESC LIMIT $2
"""


async def select_verifications(conn: asyncpg.Connection, service_id: UUID, limit: int) -> list[Verification]:
    """A service's checks, newest first."""
    return [
        msgspec.convert(dict(row), Verification) for row in await conn.fetch(SELECT_VERIFICATIONS, service_id, limit)
    ]


# Urgency = days since verification (never verified counts as 10,000) x (1 + ln(1 + times shown in the
# last 30 days)): old and busy first. Only live services of live organizations.
SELECT_STALE = """
    SELECT * FROM (
        SELECT x.*, round((coalesce(x.days_since_verified, 10000) * (1 + ln(1 + x.served_30d)))::numeric, 3)::float8
               AS score
          FROM (
            SELECT s.id AS service_id, s.name, s.organization_id, s.assured_date, s.verified_at,
                   ($1::date - s.assured_date) AS days_since_verified,
                   coalesce((SELECT sum(v.served) FROM service_views v
                              WHERE v.service_id = s.id AND v.day > $1::date - 30), 0)::bigint AS served_30d
              FROM services s
              JOIN organizations o ON o.id = s.organization_id AND o.deleted_at IS NULL
             WHERE s.deleted_at IS NULL
               AND (s.assured_date IS NULL OR s.assured_date <= $1::date - $2::int)
          ) x
    ) ranked
     WHERE ($3::float8 IS NULL OR (ranked.score, ranked.service_id) < ($3, $4::uuid))
     ORDER BY ranked.score DESC, ranked.service_id DESC
     LIMIT $5
"""


async def select_stale(
    conn: asyncpg.Connection, today: dt.date, older_than_days: int, after: tuple[Any, UUID] | None, limit: int
) -> list[tuple[float, UUID, StaleListing]]:
    """A page of services not verified for that many days, most urgent first."""
    score, last_id = after if after else (None, None)
    rows = await conn.fetch(SELECT_STALE, today, older_than_days, score, last_id, limit)
    return [(row["score"], row["service_id"], msgspec.convert(dict(row), StaleListing)) for row in rows]
