"""Meeting Guide JSON (github.com/code4recovery/spec): read a feed into meetings, write meetings as one.

A feed is a JSON array of meeting objects with `slug` and `day`/`time`. Its type codes map to ours;
language codes go to `languages`; codes we do not know are kept in `other_types` and flagged, never
dropped. Re-importing a source updates its meetings in place by slug and removes those the feed no
longer lists, all in one transaction, as the directory import does.
"""

import datetime as dt
import functools
import importlib
import re
import time
import zoneinfo
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import msgspec

from schemas.imports import EntityCounts, Flag, ImportReport, Rejection
from schemas.meetings import Meeting, MeetingFields, MeetingGuideRecord
from service.curation.anonymity import first_name_and_initial
from service.errors import InvalidInput
from service.imports.formats import JsonText, Progress, UnreadableInput, json_items
from service.queries import import_flags
from service.queries import meetings as queries

FORMAT = "meeting-guide"
# A feed is read whole (a list of meetings, parsed at once); the largest intergroup feeds are a few MB,
# so a larger file is refused before it is read rather than held in memory.
MAX_FEED_BYTES = 64 * 1_048_576
ENTITY = "meeting"

# Meeting Guide code -> ours (both ways: a code's export is its first match here).
TYPES = {
    "O": "open",
    "C": "closed",
    "SP": "speaker",
    "D": "discussion",
    "S": "spanish",
    "ASL": "asl",
    "X": "wheelchair",
    "LGBTQ": "lgbtq",
    "W": "women",
    "M": "men",
    "Y": "young-people",
    "BE": "newcomer",
    "CF": "child-friendly",
    "POA": "proof-of-attendance",
}
OUR_CODES = {ours: code for code, ours in TYPES.items()}
# Meeting Guide language codes -> ISO 639 (Spanish and ASL are types of ours too, so they are above).
LANGUAGES = {
    "AF": "af",
    "AM": "am",
    "AR": "ar",
    "BG": "bg",
    "DA": "da",
    "DE": "de",
    "EL": "el",
    "EN": "en",
    "FA": "fa",
    "FI": "fi",
    "FR": "fr",
    "HE": "he",
    "HI": "hi",
    "HR": "hr",
    "HU": "hu",
    "IS": "is",
    "ITA": "it",
    "JA": "ja",
    "KA": "ka",
    "KOR": "ko",
    "LT": "lt",
    "ML": "ml",
    "MT": "mt",
    "NE": "ne",
    "NL": "nl",
    "NO": "no",
    "POL": "pl",
    "POR": "pt",
    "PUN": "pa",
    "RUS": "ru",
    "SK": "sk",
    "SL": "sl",
    "SV": "sv",
    "TH": "th",
    "TL": "tl",
    "TUR": "tr",
    "UK": "uk",
}
LANGUAGE_CODES = {iso: code for code, iso in LANGUAGES.items()}
# Languages our types already say.
_TYPED_LANGUAGES = {"es", "ase"}
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(:\d{2})?$")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
MAX_CONTACTS = 3


class UnreadableFeed(ValueError):
    """The file is not a Meeting Guide feed at all; nothing was imported."""


# Fetching a registered feed's URL: (url) -> the feed's bytes. None (the default) means fetching is off.
Fetcher = Callable[[str], Awaitable[bytes]]
FETCH_TIMEOUT_S = 30.0


class FetchFailed(Exception):
    """A feed URL did not answer with a feed; says why."""


def feed_fetcher(choice: str | None, max_bytes: int) -> Fetcher | None:
    """The fetcher COMMONGROUND_MEETING_FEEDS names: None (off), "https", or module:attribute."""
    if choice is None:
        return None
    if choice == "https":
        return functools.partial(fetch_https, max_bytes=max_bytes)
    module, _, attribute = choice.partition(":")
    fetcher: Fetcher = getattr(importlib.import_module(module), attribute)
    return fetcher


async def fetch_https(url: str, max_bytes: int) -> bytes:
    """GET an https feed, refusing redirects elsewhere than https, errors, and bodies over max_bytes."""
    if not url.startswith("https://"):
        raise FetchFailed(f"{url}: only https:// feeds are fetched")
    try:
        async with (
            httpx.AsyncClient(timeout=FETCH_TIMEOUT_S, follow_redirects=False) as client,
            client.stream("GET", url, headers={"Accept": "application/json"}) as response,
        ):
            if response.status_code != 200:
                raise FetchFailed(f"{url} answered HTTP {response.status_code}")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise FetchFailed(f"{url}: the feed is larger than {max_bytes} bytes")
            return bytes(body)
    except httpx.HTTPError as error:
        raise FetchFailed(f"{url} could not be fetched: {type(error).__name__}: {error}") from None


def looks_like_feed(path: Path) -> bool:
    """Whether a file is a Meeting Guide feed: a JSON array whose first object has a slug and a day or time."""
    if not path.is_file():
        return False
    with path.open("rb") as handle:
        head = handle.read(65_536).lstrip(b"\xef\xbb\xbf \t\r\n")
        if not head.startswith(b"[") or b'"slug"' not in head:
            return False
        handle.seek(0)
        # The first record only: the whole feed is read once, by the import (a feed of a directory's
        # services is not parsed twice to learn that it is not a meeting feed).
        try:
            first = next(json_items(JsonText(handle, path.name, Progress())), None)
        except UnreadableInput:
            return False
    return isinstance(first, dict) and "slug" in first and ("day" in first or "time" in first)


def read_feed(raw: bytes, name: str) -> list[Any]:
    """The feed's records, or UnreadableFeed saying why not."""
    try:
        records = msgspec.json.decode(raw)
    except msgspec.DecodeError as error:
        raise UnreadableFeed(f"{name}: not JSON ({error})") from None
    except RecursionError:
        raise UnreadableFeed(f"{name}: JSON nested too deep for a feed of meetings") from None
    if not isinstance(records, list):
        raise UnreadableFeed(f"{name}: a Meeting Guide feed is a JSON array of meetings")
    return records


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def _clock(value: Any, field: str) -> str:
    text = _text(value)
    match = _CLOCK.match(text or "")
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"{field}: expected HH:MM, not {value!r}")
    return f"{int(match[1]):02d}:{match[2]}"


def _days(value: Any) -> list[int]:
    values = value if isinstance(value, list) else [value]
    days = []
    for day in values:
        if isinstance(day, str) and day.strip().isdigit():
            day = int(day)
        if not isinstance(day, int) or isinstance(day, bool) or not 0 <= day <= 6:
            raise ValueError(f"day: expected 0 (Sunday) ... 6 (Saturday) or an array of them, not {day!r}")
        days.append(7 if day == 0 else day)
    if not days:
        raise ValueError("day: an empty array")
    return days


def _number(value: Any, field: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{field}: expected a number, not {value!r}") from None


def _instant(value: str | None) -> dt.datetime | None:
    """Meeting Guide's updated: "YYYY-MM-DD HH:MM:SS" in UTC."""
    if value is None:
        return None
    try:
        return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)
    except ValueError:
        raise ValueError(f"updated: expected YYYY-MM-DD HH:MM:SS, not {value!r}") from None


def to_fields(record: Any) -> tuple[MeetingFields, list[tuple[str, str]]]:
    """One feed record as a meeting, and the flags (flag, detail) it raised; ValueError when it is unusable."""
    if not isinstance(record, dict):
        raise ValueError("a meeting must be a JSON object")
    flags: list[tuple[str, str]] = []
    slug = _text(record.get("slug"))
    if slug is None:
        raise ValueError("slug: required")
    if record.get("day") is None or record.get("time") in (None, ""):
        raise ValueError("day and time: required (meetings by appointment are not imported)")
    types: list[str] = []
    other_types: list[str] = []
    languages: list[str] = []
    raw_types = record.get("types") or []
    for code in raw_types if isinstance(raw_types, list) else [raw_types]:
        code = str(code).strip()
        if code in TYPES:
            types.append(TYPES[code])
        elif code in LANGUAGES:
            languages.append(LANGUAGES[code])
        elif code:
            other_types.append(code)
            flags.append(("unknown-type", f"type code {code!r} has no CommonGround meaning; kept in other_types"))
    address = {
        "address_1": _text(record.get("address")),
        "city": _text(record.get("city")),
        "state_province": _text(record.get("state")),
        "postal_code": _text(record.get("postal_code")),
        "country": _text(record.get("country")),
    }
    if address["country"] is not None:
        if _COUNTRY.match(address["country"]):
            address["country"] = address["country"].upper()
        else:
            flags.append(("country-dropped", f"country {address['country']!r} is not an ISO 3166 two-letter code"))
            address["country"] = None
    regions = record.get("regions")
    if not isinstance(regions, list):
        regions = [r for r in (_text(record.get("region")), _text(record.get("sub_region"))) if r]
    contacts = []
    for n in range(1, MAX_CONTACTS + 1):
        contact = {part: _text(record.get(f"contact_{n}_{part}")) for part in ("name", "email", "phone")}
        if any(contact.values()):
            cut = first_name_and_initial(contact["name"])
            if cut != contact["name"]:
                flags.append(("contact-name-cut", f"contact_{n}_name kept as {cut!r}: no last names are stored"))
            contacts.append({**contact, "name": cut})
    updated = _text(record.get("updated"))
    zone = _text(record.get("timezone"))
    latitude, longitude = _number(record.get("latitude"), "latitude"), _number(record.get("longitude"), "longitude")
    if zone is not None and zone not in zoneinfo.available_timezones():
        raise ValueError(f"timezone: unknown IANA time zone {zone!r}")
    if zone is None and (latitude is None or longitude is None):
        raise ValueError("timezone: needed for a meeting without latitude and longitude")
    approximate = _text(record.get("approximate")) == "yes"
    if approximate and latitude is None and not _text(record.get("formatted_address")) and not address["city"]:
        # "Approximate" says how exact a place is; with no place at all there is nothing it describes.
        flags.append(("approximate-dropped", "approximate: yes, but the meeting gives no point, address or city"))
        approximate = False
    fields = {
        "name": _text(record.get("name")) or slug,
        "slug": slug,
        "days": _days(record["day"]),
        "start_time": _clock(record["time"], "time"),
        "end_time": _clock(record["end_time"], "end_time") if _text(record.get("end_time")) else None,
        "timezone": zone,
        "location_name": _text(record.get("location")),
        "location_notes": _text(record.get("location_notes")),
        "address": address if address["address_1"] or address["city"] else None,
        "formatted_address": _text(record.get("formatted_address")),
        "latitude": latitude,
        "longitude": longitude,
        "approximate": approximate,
        "conference_url": _text(record.get("conference_url")),
        "conference_url_notes": _text(record.get("conference_url_notes")),
        "conference_phone": _text(record.get("conference_phone")),
        "conference_phone_notes": _text(record.get("conference_phone_notes")),
        "types": types,
        "other_types": other_types,
        "languages": languages,
        "group": _text(record.get("group")),
        "notes": _text(record.get("notes")),
        "regions": [str(region) for region in regions if _text(region)],
        "contacts": contacts,
        "url": _text(record.get("url")),
        "updated": _instant(updated),
    }
    try:
        return msgspec.convert({k: v for k, v in fields.items() if v is not None}, MeetingFields), flags
    except msgspec.ValidationError as error:
        raise ValueError(str(error).replace(" - at `$.", " (field ").replace("`", ")")) from None


def to_record(meeting: Meeting) -> MeetingGuideRecord:
    """A meeting as a Meeting Guide record: its fields in the spec's names, empty ones left out."""
    days = [0 if day == 7 else day for day in meeting.days]
    place, online = meeting.place, meeting.online
    codes = [OUR_CODES[t] for t in meeting.types if t in OUR_CODES] + meeting.other_types
    codes += [LANGUAGE_CODES[lang] for lang in meeting.languages if lang in LANGUAGE_CODES]
    record: dict[str, Any] = {
        "name": meeting.name,
        "slug": meeting.slug,
        "day": days[0] if len(days) == 1 else sorted(days),
        "time": meeting.start_time,
        "end_time": meeting.end_time,
        "timezone": meeting.timezone,
    }
    if place is not None:
        record.update(
            location=place.name,
            location_notes=place.notes,
            address=place.address_1,
            city=place.city,
            state=place.state_province,
            postal_code=place.postal_code,
            country=place.country,
            formatted_address=place.formatted_address,
            latitude=place.latitude,
            longitude=place.longitude,
            approximate="yes" if place.approximate else "no",
        )
    if online is not None:
        record.update(msgspec.to_builtins(online))
    record.update(types=sorted(codes), notes=meeting.notes, group=meeting.group, regions=meeting.regions)
    for n, contact in enumerate(meeting.contacts, 1):
        record.update({f"contact_{n}_{part}": getattr(contact, part) for part in ("name", "email", "phone")})
    record.update(
        url=meeting.url,
        updated=meeting.updated.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S") if meeting.updated else None,
    )
    return MeetingGuideRecord(**{key: value for key, value in record.items() if value not in (None, [], "")})


async def write_feed(conn: asyncpg.Connection) -> bytes:
    """Every live meeting as one Meeting Guide feed; slugs stay unique across sources."""
    records, seen = [], set()
    for meeting in await queries.select_all_meetings(conn):
        record = to_record(meeting)
        if record.slug in seen:
            record.slug = f"{meeting.slug}-{str(meeting.id)[:8]}"
        seen.add(record.slug)
        records.append(record)
    return msgspec.json.format(msgspec.json.encode(records), indent=2) + b"\n"


class _RollBack(Exception):
    """Leaves a dry run's transaction without keeping what it wrote."""


async def import_feed(
    conn: asyncpg.Connection,
    raw: bytes,
    name: str,
    source: str,
    *,
    dry_run: bool = False,
    strict: bool = False,
) -> tuple[ImportReport, str | None]:
    """Import a feed as the source's whole list of meetings, in one transaction: the report, and why it
    failed (None when it was applied or was a dry run). A failed import changed nothing."""
    started = time.perf_counter()
    counts = EntityCounts()
    rejections: list[Rejection] = []
    flags: list[Flag] = []
    accepted: dict[str, tuple[int, MeetingFields]] = {}
    records = read_feed(raw, name)
    for line, record in enumerate(records, 1):
        counts.read += 1
        sid = _text(record.get("slug")) if isinstance(record, dict) else None
        try:
            fields, raised = to_fields(record)
        except ValueError as error:
            rejections.append(Rejection(file=name, line=line, entity=ENTITY, source_id=sid, reason=str(error)))
            continue
        if fields.slug in accepted:
            reason = f"slug {fields.slug!r} repeats the meeting at position {accepted[fields.slug][0]}"
            rejections.append(Rejection(file=name, line=line, entity=ENTITY, source_id=sid, reason=reason))
            continue
        accepted[fields.slug] = (line, fields)
        flags += [Flag(file=name, line=line, entity=ENTITY, source_id=sid, flag=f, detail=d) for f, d in raised]
    counts.accepted, counts.rejected = len(accepted), len(rejections)

    def report(committed: bool) -> ImportReport:
        return ImportReport(
            source=source,
            format=FORMAT,
            dry_run=dry_run,
            committed=committed,
            counts={ENTITY: counts},
            rejections=rejections,
            flags=flags,
            unmapped_terms=[],
            ignored_files=[],
            seconds=round(time.perf_counter() - started, 3),
            prune=True,
        )

    if strict and rejections:
        return report(False), f"--strict: {len(rejections)} meeting(s) rejected, nothing was imported"
    try:
        async with conn.transaction():
            ids = await _load(conn, source, accepted, counts)
            await import_flags.replace_flags(conn, source, flags, [ids.get(flag.source_id or "") for flag in flags])
            if dry_run:
                raise _RollBack
    except _RollBack:
        pass
    except (asyncpg.PostgresError, ValueError) as error:
        counts.created = counts.updated = counts.unchanged = counts.removed = 0
        return report(False), f"the database refused the import, nothing was imported: {' '.join(str(error).split())}"
    return report(not dry_run), None


async def _load(
    conn: asyncpg.Connection, source: str, accepted: dict[str, tuple[int, MeetingFields]], counts: EntityCounts
) -> dict[str, str]:
    """Write the accepted meetings over the source's stored ones; the stored id of each slug."""
    stored = await queries.select_source_meetings(conn, source)
    ids: dict[str, str] = {}
    for slug, (line, fields) in accepted.items():
        try:
            if slug in stored:
                changed = await queries.update_meeting(conn, stored[slug].id, fields, source)
                counts.updated += changed
                counts.unchanged += not changed
                ids[slug] = str(stored[slug].id)
            else:
                ids[slug] = str(await queries.insert_meeting(conn, fields, source))
                counts.created += 1
        except (InvalidInput, asyncpg.PostgresError) as error:  # the error names the field, this the meeting
            raise ValueError(f"the meeting at position {line} ({slug}): {error}") from error
    counts.removed = await queries.delete_dropped_meetings(conn, source, list(accepted))
    await queries.record_source(conn, source)
    return ids
