"""What stands at a place (meetings, events): the columns of its CommonGround location, and the place as
anyone may see it, with a confidential location's street left out and its point rounded."""

from typing import Any

import asyncpg

# The location's columns beside a meeting's or an event's own, as l_<column>; `l` is the joined location.
LOCATION_COLUMNS = """
    l.name AS l_name, l.address_1 AS l_address_1, l.city AS l_city, l.state_province AS l_state_province,
    l.postal_code AS l_postal_code, l.country AS l_country, l.latitude AS l_latitude, l.longitude AS l_longitude,
    l.confidential AS l_confidential, l.approximate AS l_approximate
"""
ADDRESS = ("address_1", "city", "state_province", "postal_code", "country")


def at_location(row: asyncpg.Record, exact: bool) -> dict[str, Any]:
    """The place of a row at a CommonGround location (exact: the real place of a confidential one)."""
    hidden = bool(row["l_confidential"]) and not exact
    return {
        "location_id": row["location_id"],
        "name": row["location_name"] or row["l_name"],
        **{column: None if hidden else row[f"l_{column}"] for column in ADDRESS},
        "latitude": _public(row["l_latitude"], hidden),
        "longitude": _public(row["l_longitude"], hidden),
        "approximate": hidden or bool(row["l_approximate"]),
    }


def _public(value: float | None, hidden: bool) -> float | None:
    """A coordinate as anyone may see it: rounded to ~1 km at a confidential location (as public_coordinate)."""
    return None if value is None else round(value, 2) if hidden else value
