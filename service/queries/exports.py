"""Reading the whole directory as HSDS 3.0 (or its 3.1 profile, with capacity), streamed with server-side cursors."""

from collections.abc import AsyncIterator

import asyncpg

# Whether a zip built from snapshot $1 still holds every write to the exported tables: no writer that
# has committed since is outside it (see 0004_export_writes.sql). Exact whatever else is running, so a
# long import or a forgotten open transaction elsewhere never freezes the export.
SELECT_EXPORT_CURRENT = """
    SELECT NOT EXISTS (SELECT 1 FROM export_writes w WHERE NOT pg_visible_in_snapshot(w.txid, $1::text::pg_snapshot))
"""


async def select_export_current(conn: asyncpg.Connection, snapshot: str) -> bool:
    """Whether nothing the export reads changed outside this snapshot."""
    current: bool = await conn.fetchval(SELECT_EXPORT_CURRENT, snapshot)
    return current


# Run first in the export's transaction: its snapshot, and when the data it sees was last written.
SELECT_EXPORT_SNAPSHOT = "SELECT pg_current_snapshot()::text AS snapshot, (SELECT max(at) FROM export_writes) AS at"


async def select_export_snapshot(conn: asyncpg.Connection) -> asyncpg.Record:
    """The snapshot an export is read from, and its last write time."""
    row = await conn.fetchrow(SELECT_EXPORT_SNAPSHOT)
    assert row is not None, "a SELECT without FROM returns one row"
    return row


# Writers long finished are seen by every snapshot a cached zip can still have (a cache lives a day at
# most); the newest row stays, for Last-Modified.
DELETE_OLD_EXPORT_WRITES = """
    DELETE FROM export_writes
     WHERE txid < pg_snapshot_xmin(pg_current_snapshot()) AND at < now() - interval '48 hours'
       AND txid < (SELECT max(txid) FROM export_writes)
"""


async def delete_old_export_writes(conn: asyncpg.Connection) -> None:
    """Forget writers that every live cached export has seen."""
    await conn.execute(DELETE_OLD_EXPORT_WRITES)


SELECT_SERVICE_DOCUMENTS = (
    "SELECT hsds_service(s, false)::text FROM services s WHERE s.deleted_at IS NULL ORDER BY s.id"
)


# HSDS 3.1 adds the service's capacities (each with its unit) to the 3.0 document.
SELECT_SERVICE_DOCUMENTS_31 = """
    SELECT (hsds_service(s, false) || jsonb_build_object('capacities', hsds_capacities(s.id)))::text
      FROM services s WHERE s.deleted_at IS NULL ORDER BY s.id
"""


async def stream_service_documents(conn: asyncpg.Connection, profile: str = "3.0") -> AsyncIterator[str]:
    """Every service as a full HSDS document, in id order (call inside a transaction)."""
    query = SELECT_SERVICE_DOCUMENTS_31 if profile == "3.1" else SELECT_SERVICE_DOCUMENTS
    async for row in conn.cursor(query, prefetch=500):
        yield row[0]


# The HSDS 3.0 tabular tables we write, each with its columns and the query that fills them.
# Queries order by id so an export is byte-for-byte reproducible; deleted listings (and what hangs off
# them) are left out.
# Events, which HSDS has no model for, as an extension file of the zip.
EVENTS_FILE = "x-commonground-events.csv"
TABLES: dict[str, tuple[tuple[str, ...], str]] = {
    "organizations.csv": (
        ("id", "name", "alternate_name", "description", "email", "website"),
        """SELECT id, name, alternate_name, coalesce(description, name), email, website FROM organizations
            WHERE deleted_at IS NULL ORDER BY id""",
    ),
    "services.csv": (
        (
            "id",
            "organization_id",
            "name",
            "alternate_name",
            "description",
            "url",
            "email",
            "status",
            "application_process",
            "fees_description",
            "eligibility_description",
            "assured_date",
            "minimum_age",
            "maximum_age",
        ),
        """SELECT id, organization_id, name, alternate_name, description, url, email, status, application_process,
                  fees_description, eligibility_description, assured_date, minimum_age, maximum_age
             FROM services WHERE deleted_at IS NULL ORDER BY id""",
    ),
    "locations.csv": (
        (
            "id",
            "location_type",
            "url",
            "organization_id",
            "name",
            "alternate_name",
            "description",
            "transportation",
            "latitude",
            "longitude",
        ),
        """SELECT id, location_type, url, organization_id, name, alternate_name, description, transportation,
                  hsds_coordinate(latitude, confidential, approximate),
                  hsds_coordinate(longitude, confidential, approximate)
             FROM locations WHERE deleted_at IS NULL ORDER BY id""",
    ),
    "addresses.csv": (
        (
            "id",
            "location_id",
            "address_1",
            "address_2",
            "city",
            "region",
            "state_province",
            "postal_code",
            "country",
            "address_type",
        ),
        """SELECT hsds_address_id(id), id, coalesce(address_1, ''), address_2, coalesce(city, ''), region,
                  coalesce(state_province, ''), coalesce(postal_code, ''), coalesce(country, ''),
                  CASE WHEN location_type = 'postal' THEN 'postal' ELSE 'physical' END
             FROM locations l WHERE hsds_has_address(l) AND deleted_at IS NULL
            ORDER BY hsds_address_id(id)""",
    ),
    "service_at_location.csv": (
        ("id", "service_id", "location_id", "description"),
        """SELECT id, service_id, location_id, description FROM service_at_location
            WHERE listed(NULL, NULL, NULL, id) ORDER BY id""",
    ),
    "phones.csv": (
        (
            "id",
            "location_id",
            "service_id",
            "organization_id",
            "service_at_location_id",
            "number",
            "extension",
            "type",
            "description",
        ),
        """SELECT id, location_id, service_id, organization_id, service_at_location_id, number, extension, type,
                  description
             FROM phones
            WHERE listed(organization_id, service_id, location_id, service_at_location_id)
            ORDER BY coalesce(organization_id, service_id, location_id, service_at_location_id), position, id""",
    ),
    "schedules.csv": (
        (
            "id",
            "service_id",
            "location_id",
            "service_at_location_id",
            "valid_from",
            "valid_to",
            "freq",
            "wkst",
            "byday",
            "opens_at",
            "closes_at",
            "description",
        ),
        """SELECT id, service_id, location_id, service_at_location_id, valid_from, valid_to, 'WEEKLY', 'MO',
                  hsds_weekday(weekday), opens_at::text, closes_at::text, description
             FROM schedules
            WHERE listed(NULL, service_id, location_id, service_at_location_id)
            ORDER BY coalesce(service_id, location_id, service_at_location_id), weekday, opens_at, position, id""",
    ),
    "languages.csv": (
        ("id", "service_id", "code"),
        """SELECT (overlay(overlay(md5('commonground-language:' || s.id || ':' || code) PLACING '3' FROM 13)
                           PLACING '8' FROM 17))::uuid, s.id, code
             FROM services s, unnest(s.languages) WITH ORDINALITY AS lang(code, ord)
            WHERE s.deleted_at IS NULL
            ORDER BY s.id, ord""",
    ),
    "taxonomies.csv": (
        ("id", "name", "description", "uri", "version"),
        "SELECT id, name, description, uri, version FROM hsds_taxonomies ORDER BY id",
    ),
    "taxonomy_terms.csv": (
        ("id", "code", "name", "description", "parent_id", "taxonomy", "taxonomy_id", "language", "term_uri"),
        """SELECT id, code, name, description, parent_id, taxonomy, taxonomy_id, language, term_uri
             FROM hsds_taxonomy_terms ORDER BY id""",
    ),
    "attributes.csv": (
        ("id", "link_id", "taxonomy_term_id", "link_type", "link_entity"),
        """SELECT (overlay(overlay(md5('commonground-attribute:' || service_id || ':' || taxonomy_term_id)
                                   PLACING '3' FROM 13) PLACING '8' FROM 17))::uuid,
                  service_id, taxonomy_term_id, 'service', 'service'
             FROM hsds_service_terms WHERE listed(NULL, service_id, NULL, NULL)
            ORDER BY service_id, taxonomy_term_id""",
    ),
    # Not HSDS (it has no events yet): a file of our own, named as an extension so a plain HSDS reader
    # skips it. Times are local with their IANA zone; a confidential location's point is rounded.
    EVENTS_FILE: (
        (
            "id",
            "service_id",
            "location_id",
            "title",
            "description",
            "starts_at",
            "ends_at",
            "start_date",
            "start_time",
            "end_time",
            "timezone",
            "rrule",
            "exdates",
            "dates",
            "location_name",
            "address_1",
            "city",
            "state_province",
            "postal_code",
            "country",
            "latitude",
            "longitude",
            "online_url",
            "capacity",
            "registration_url",
            "free",
            "fee",
            "languages",
            "attributes",
            "genders",
            "minimum_age",
            "maximum_age",
        ),
        """SELECT e.id, e.service_id, e.location_id, e.title, e.description, hsds_instant(e.starts_at),
                  hsds_instant(e.ends_at), e.start_date, to_char(e.start_time, 'HH24:MI'),
                  to_char(e.start_time + make_interval(mins => e.duration_minutes), 'HH24:MI'), e.timezone,
                  e.recurrence, array_to_string(e.exdates, ','), array_to_string(e.dates, ','), e.location_name,
                  e.address_1, e.city, e.state_province, e.postal_code, e.country,
                  coalesce(hsds_coordinate(l.latitude, l.confidential, l.approximate), e.latitude),
                  coalesce(hsds_coordinate(l.longitude, l.confidential, l.approximate), e.longitude),
                  e.online_url, e.capacity, e.registration_url,
                  CASE WHEN e.free THEN 'true' WHEN NOT e.free THEN 'false' END, e.fee,
                  array_to_string(e.languages, ','), array_to_string(e.attributes, ','),
                  array_to_string(e.genders, ','), e.minimum_age, e.maximum_age
             FROM events e LEFT JOIN locations l ON l.id = e.location_id
            WHERE e.deleted_at IS NULL
              AND (e.service_id IS NULL OR listed(NULL, e.service_id, NULL, NULL))
              AND (e.location_id IS NULL OR listed(NULL, NULL, e.location_id, NULL))
            ORDER BY e.id""",
    ),
}


# The HSDS 3.1 profile: the 3.0 tables, then the latest count of each unit of each listed service and
# the units they count.
TABLES_31: dict[str, tuple[tuple[str, ...], str]] = {
    **TABLES,
    "units.csv": (
        ("id", "name", "scheme", "identifier", "uri"),
        """SELECT DISTINCT hsds_unit_id(unit), hsds_unit_name(unit), 'CommonGround', unit, NULL::text
             FROM hsds_latest_capacity WHERE listed(NULL, service_id, NULL, NULL)
            ORDER BY 1""",
    ),
    "service_capacity.csv": (
        ("id", "service_id", "unit_id", "available", "maximum", "description", "updated"),
        """SELECT id, service_id, hsds_unit_id(unit), available, maximum, NULL::text, hsds_instant(updated_at)
             FROM hsds_latest_capacity WHERE listed(NULL, service_id, NULL, NULL)
            ORDER BY id""",
    ),
}
PROFILE_TABLES = {"3.0": TABLES, "3.1": TABLES_31}


async def stream_table(conn: asyncpg.Connection, name: str) -> AsyncIterator[asyncpg.Record]:
    """The rows of one tabular file of either profile (call inside a transaction)."""
    async for row in conn.cursor(TABLES_31[name][1], prefetch=2000):
        yield row
