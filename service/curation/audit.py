"""Changes to a listing's lists (phones, hours, categories, ...) for the audit log.

Row triggers record a listing's own columns; its lists live in other tables, so writes through the
API compare the listing as it was and as it is, in the same transaction, and add the lists that changed.
"""

from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from service.queries.history import add_list_changes

# The list fields of each kind of listing, as the API shows them.
LISTS = {
    "service": ("categories", "attributes", "phones", "schedules", "service_areas"),
    "location": ("phones", "schedules"),
    "organization": ("phones",),
}


def _without_ids(value: Any) -> Any:
    """Lists are replaced whole, so their items get new ids: compare (and record) items by content."""
    if isinstance(value, dict):
        return {key: _without_ids(item) for key, item in value.items()}
    if isinstance(value, list):
        return [
            {key: _without_ids(v) for key, v in item.items() if key != "id"} if isinstance(item, dict) else item
            for item in value
        ]
    return value


async def record_lists(
    conn: asyncpg.Connection,
    kind: str,
    listing_id: UUID,
    before: Any,
    after: Any,
    fields: tuple[str, ...] | None = None,
) -> None:
    """Add [before, after] of each list that differs to this transaction's history entry."""
    old, new = _without_ids(msgspec.to_builtins(before)), _without_ids(msgspec.to_builtins(after))
    if not isinstance(old, dict):  # a bare list, such as exceptions
        if fields is None:
            raise TypeError("a bare list needs its field named in fields")
        old, new = {fields[0]: old}, {fields[0]: new}
    changed = {
        field: [old.get(field), new.get(field)] for field in fields or LISTS[kind] if old.get(field) != new.get(field)
    }
    await add_list_changes(conn, kind, listing_id, changed)
