"""The per-request fields finished in Python answer what the SQL functions they replace answer."""

import datetime as dt
import json

import asyncpg

from service.search.moments import Moment, capacity_field

# Reports as the resource index stores them (refresh_resource_index()): current, stale, one from the
# future (a clock ahead), without a maximum, exactly at the bound.
STORED = """
    SELECT jsonb_agg(jsonb_build_object('unit', unit, 'available', available, 'maximum', maximum,
                                        'updated_at', updated_at) ORDER BY unit)
      FROM (VALUES ('beds', 12, 40, $1::timestamptz - interval '20 minutes'),
                   ('cots', 3, NULL, $1::timestamptz - interval '2 days'),
                   ('family rooms', 1, 2, $1::timestamptz + interval '90 seconds'),
                   ('pods', 0, 8, $1::timestamptz - interval '6 hours')) AS c(unit, available, maximum, updated_at)
"""


async def test_capacity_is_what_capacity_json_says(conn: asyncpg.Connection):
    for at in (dt.datetime(2027, 3, 14, 7, 19, 30, 250_000, tzinfo=dt.UTC), dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC)):
        await compare_capacity(conn, at)


async def compare_capacity(conn: asyncpg.Connection, at: dt.datetime) -> None:
    stored = await conn.fetchval(STORED, at)
    for max_age in (dt.timedelta(hours=24), dt.timedelta(hours=6), dt.timedelta(minutes=5)):
        expected = await conn.fetchval("SELECT capacity_json($1::jsonb, $2, $3)", stored, at, max_age)
        assert json.loads(capacity_field(stored, at, max_age)) == json.loads(expected), max_age


async def test_a_row_without_capacity_or_timeline_keeps_what_sql_made():
    at = dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.UTC)
    row = {"capacity": None, "hours": '"closes_at":null,"opens_next_at":null,"hours_today":[]'}
    assert Moment(at, dt.timedelta(hours=24)).fields(row) == ("[]", row["hours"])
