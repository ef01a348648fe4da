"""An import batch: incoming records checked one by one, cross-references resolved, ids assigned.

Readers (service/imports/formats.py) turn each input format into calls on Batch; Batch keeps the rows
that pass and a Rejection for each that does not, naming file, line and reason. Nothing here
touches the database.
"""

import datetime as dt
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from schemas.imports import EntityCounts, Flag, Rejection

# UUIDv5 namespace for ids derived from (source, entity, source id); fixed forever.
ID_NAMESPACE = uuid.UUID("6f2b1c1e-2f0e-5e8e-9d0c-4c0d6a3b7e11")
ENTITIES = (
    "organization",
    "location",
    "service",
    "service_at_location",
    "phone",
    "schedule",
    "taxonomy",
    "taxonomy_term",
    "service_taxonomy_term",
)
STATUSES = {"active", "inactive", "defunct", "temporarily closed"}
PHONE_TYPES = {"text", "voice", "fax", "cell", "video", "pager", "textphone"}
LOCATION_TYPES = {"physical", "postal", "virtual"}
CATEGORY_TAXONOMY = "c0a5f3b4-6d1e-5b8a-9c3f-0e7d2a41b9c6"
ELIGIBILITY_TAXONOMY = "e1b9a0d2-4c3f-5a7e-8b6d-2f1c0e9a7b35"
OWN_TAXONOMIES = {CATEGORY_TAXONOMY: "category", ELIGIBILITY_TAXONOMY: "eligibility"}
WEEKDAYS = {
    "mo": 1,
    "mon": 1,
    "monday": 1,
    "tu": 2,
    "tue": 2,
    "tues": 2,
    "tuesday": 2,
    "we": 3,
    "wed": 3,
    "wednesday": 3,
    "th": 4,
    "thu": 4,
    "thur": 4,
    "thurs": 4,
    "thursday": 4,
    "fr": 5,
    "fri": 5,
    "friday": 5,
    "sa": 6,
    "sat": 6,
    "saturday": 6,
    "su": 7,
    "sun": 7,
    "sunday": 7,
}
# Free-text language names seen in 211 exports, to ISO 639 codes.
LANGUAGE_NAMES = {
    "english": "en",
    "spanish": "es",
    "español": "es",
    "french": "fr",
    "chinese": "zh",
    "mandarin": "zh",
    "cantonese": "yue",
    "vietnamese": "vi",
    "korean": "ko",
    "russian": "ru",
    "arabic": "ar",
    "tagalog": "tl",
    "portuguese": "pt",
    "haitian creole": "ht",
    "creole": "ht",
    "german": "de",
    "italian": "it",
    "polish": "pl",
    "hindi": "hi",
    "urdu": "ur",
    "bengali": "bn",
    "farsi": "fa",
    "persian": "fa",
    "amharic": "am",
    "somali": "so",
    "swahili": "sw",
    "japanese": "ja",
    "hmong": "hmn",
    "nepali": "ne",
    "ukrainian": "uk",
    "asl": "ase",
    "american sign language": "ase",
    "sign language": "sgn",
    "yoruba": "yo",
    "igbo": "ig",
    "greek": "el",
    "hebrew": "he",
    "turkish": "tr",
    "punjabi": "pa",
    "gujarati": "gu",
    "tigrinya": "ti",
}
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_URL = re.compile(r"^https?://[^\s/?#\[\]@]+(?:[/?#]\S*)?$")  # as schemas.fields.Url
_BARE_DOMAIN = re.compile(r"^(www\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(/\S*)?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CLOCK = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*([ap]\.?m\.?)?\s*$", re.IGNORECASE)


class RowError(ValueError):
    """This row cannot be imported; the message is the reason shown in the report."""


@dataclass(frozen=True, slots=True)
class Where:
    """A row's place in the input."""

    file: str
    line: int


@dataclass(slots=True)
class Pending:
    """An accepted row waiting for its references to be checked."""

    where: Where
    sid: str
    fields: dict[str, Any]
    refs: dict[str, tuple[str, str | None]]  # column -> (entity, source id)


# -- value cleaning: each returns the stored value or raises RowError with the reason ---------


def text(value: Any, limit: int = 20_000, what: str = "text") -> str | None:
    """Stripped text, None when blank."""
    if value.__class__ is not str:  # the hot path is str; anything else is converted first
        if value is None:
            return None
        value = str(value)
    stripped: str = value.strip()
    if not stripped:
        return None
    if len(stripped) > limit:
        raise RowError(f"{what} is longer than {limit} characters")
    return stripped


def required_name(value: Any, what: str = "name") -> str:
    found = text(value, 300, what)
    if found is None:
        raise RowError(f"missing required {what}")
    return found


def coordinate(value: Any, low: float, high: float, what: str) -> float | None:
    raw = text(value, 64, what)
    if raw is None:
        return None
    try:
        number = float(raw)
    except ValueError:
        raise RowError(f"{what} {raw!r} is not a number") from None
    if not low <= number <= high:
        raise RowError(f"{what} {raw} is outside {low:g}..{high:g}")
    return number


def date(value: Any, what: str) -> dt.date | None:
    raw = text(value, 64, what)
    if raw is None:
        return None
    try:
        return dt.date.fromisoformat(raw[:10])
    except ValueError:
        raise RowError(f"{what} {raw!r} is not a date (YYYY-MM-DD)") from None


def clock(value: Any, what: str) -> dt.time | None:
    """09:00, 9:00:00, 9am, 5:30 PM; 24:00 is the end of the day (stored as 00:00 next day wraps)."""
    raw = text(value, 32, what)
    if raw is None:
        return None
    match = _CLOCK.match(raw)
    if not match:
        raise RowError(f"unparseable hours: {what} {raw!r}")
    hour, minute, second = int(match[1]), int(match[2] or 0), int(match[3] or 0)
    if match[4]:
        if not 1 <= hour <= 12:
            raise RowError(f"unparseable hours: {what} {raw!r}")
        hour = hour % 12 + (12 if match[4].lower().startswith("p") else 0)
    if hour == 24 and minute == 0 and second == 0:
        return dt.time.max  # marker for 24:00, see Batch.schedule
    if hour > 23 or minute > 59 or second > 59:
        raise RowError(f"unparseable hours: {what} {raw!r}")
    return dt.time(hour, minute, second)


def ages(minimum: Any, maximum: Any) -> dict[str, int | None]:
    """minimum_age and maximum_age in whole years (HSDS numbers; 17.0 is 17)."""
    found: dict[str, int | None] = {}
    for name, value in (("minimum_age", minimum), ("maximum_age", maximum)):
        raw = text(value, 16, name)
        try:
            age = None if raw is None else int(float(raw))
        except ValueError:
            raise RowError(f"{name} {raw!r} is not a number") from None
        if age is not None and not 0 <= age <= 130:
            raise RowError(f"{name} {raw} is outside 0..130")
        found[name] = age
    youngest, oldest = found["minimum_age"], found["maximum_age"]
    if youngest is not None and oldest is not None and youngest > oldest:
        raise RowError("minimum_age is above maximum_age")
    return found


def position(value: Any) -> int:
    raw = text(value, 16, "position")
    try:
        return 0 if raw is None else max(0, min(int(raw), 1_000_000))
    except ValueError:
        raise RowError(f"position {raw!r} is not a whole number") from None


class Cleaner:
    """Optional fields that are malformed are dropped with a flag instead of losing the row."""

    def __init__(self, batch: "Batch", entity: str, where: Where, sid: str | None) -> None:
        self.batch, self.entity, self.where, self.sid = batch, entity, where, sid

    def drop(self, name: str, value: str, reason: str) -> None:
        self.batch.flag(self.where, self.entity, self.sid, "field_dropped", f"{name} {value[:80]!r}: {reason}")

    def url(self, value: Any, name: str = "url") -> str | None:
        raw = text(value, 2_000, name)
        if raw is None:
            return None
        if not _URL.match(raw) and _BARE_DOMAIN.match(raw):
            raw = "http://" + raw
        if not _URL.match(raw):
            self.drop(name, raw, "not an http(s) URL")
            return None
        return raw

    def email(self, value: Any, name: str = "email") -> str | None:
        raw = text(value, 320, name)
        if raw is None:
            return None
        if not _EMAIL.match(raw):
            self.drop(name, raw, "not an email address")
            return None
        return raw

    def languages(self, values: Iterable[Any]) -> list[str]:
        """ISO 639 codes, or language names mapped to them; other text is dropped with a flag."""
        codes: list[str] = []
        for value in values:
            for part in re.split(r"[,;/]|\.\s| and ", str(value or "")):
                word = part.strip().strip(".").strip()
                if not word:
                    continue
                code = LANGUAGE_NAMES.get(word.lower())
                if code is None and _LANGUAGE_CODE.match(word) and len(word) <= 3:
                    code = word
                if code is None:
                    self.drop("languages", word, "not a language name or ISO 639 code")
                elif code not in codes:
                    codes.append(code)
        return codes


class Batch:
    """Everything read from one input, checked and ready to load."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.pending: dict[str, dict[str, Pending]] = {entity: {} for entity in ENTITIES}
        self.counts: dict[str, EntityCounts] = {entity: EntityCounts() for entity in ENTITIES}
        self.rejections: list[Rejection] = []
        self.flags: list[Flag] = []
        self.ignored_files: list[str] = []
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self._auto = 0
        self._positions: dict[tuple[str, str, str | None], int] = {}
        self.nested: set[tuple[str, str | None]] = set()
        # What the package holds, so a load removes only what it could have listed (see reconcile).
        self.present: set[str] = set()
        self.reconciled: list[tuple[str, str, str | None]] = []
        self.rejected_ids: set[tuple[str, str]] = set()
        self.owner_rows: list[tuple[str, str]] = []

    def _next_position(self, entity: str, refs: dict[str, tuple[str, str | None]], given: Any) -> int:
        """An explicit position, else the row's place among its owner's rows in input order."""
        ((column, (_, owner)),) = refs.items()
        key = (entity, column, owner)
        self._positions[key] = self._positions.get(key, -1) + 1
        return position(given) if text(given) is not None else self._positions[key]

    # -- bookkeeping -----------------------------------------------------------------------

    def reject(self, where: Where, entity: str, sid: str | None, reason: str) -> None:
        self.counts[entity].rejected += 1
        if sid is not None:
            self.rejected_ids.add((entity, sid))  # listed but unreadable: what is stored stays
        self.rejections.append(Rejection(file=where.file, line=where.line, entity=entity, source_id=sid, reason=reason))

    def flag(self, where: Where, entity: str, sid: str | None, flag: str, detail: str) -> None:
        self.flags.append(
            Flag(file=where.file, line=where.line, entity=entity, source_id=sid, flag=flag, detail=detail)
        )

    def _add(self, entity: str, where: Where, sid: Any, build: Any) -> str | None:
        """Run build() -> (fields, refs); keep the row under its source id or reject it."""
        self.counts[entity].read += 1
        key = text(sid, 200, "id")
        if key is None:
            self._auto += 1
            key = f"{where.file}:{where.line}:{self._auto}"
        try:
            if key in self.pending[entity]:
                raise RowError(f"duplicate id {key!r} (first at line {self.pending[entity][key].where.line})")
            fields, refs = build()
        except RowError as error:
            self.reject(where, entity, text(sid), str(error))
            return None
        self.pending[entity][key] = Pending(where, key, fields, refs)
        return key

    def reconcile(self, child: str, owner: str, sid: Any) -> None:
        """This owner's document lists all its children of this kind (a JSON key holding a list)."""
        self.reconciled.append((child, owner, text(sid)))

    def has(self, entity: str, sid: str) -> bool:
        """Whether a row with this source id was already read."""
        return sid in self.pending[entity]

    def derived_id(self, entity: str, sid: str) -> str:
        """The source id itself when it is a UUID, else a UUIDv5 of source, entity and source id.

        Kept as text: asyncpg parses it on COPY, faster than building UUID objects here."""
        if _UUID.match(sid):
            return sid.lower() if len(sid) == 36 else str(uuid.UUID(sid))
        return str(uuid.uuid5(ID_NAMESPACE, f"{self.source}\x00{entity}\x00{sid}"))

    # -- records -----------------------------------------------------------------------------

    def organization(self, where: Where, sid: Any, raw: dict[str, Any]) -> str | None:
        def build() -> tuple[dict[str, Any], dict[str, Any]]:
            clean = Cleaner(self, "organization", where, text(sid))
            return {
                "name": required_name(raw.get("name")),
                "alternate_name": text(raw.get("alternate_name"), 300, "alternate_name"),
                "description": text(raw.get("description")),
                "email": clean.email(raw.get("email")),
                "website": clean.url(raw.get("website"), "website"),
            }, {}

        return self._add("organization", where, sid, build)

    def location(self, where: Where, sid: Any, organization: Any, raw: dict[str, Any]) -> str | None:
        def build() -> tuple[dict[str, Any], dict[str, Any]]:
            clean = Cleaner(self, "location", where, text(sid))
            latitude = coordinate(raw.get("latitude"), -90, 90, "latitude")
            longitude = coordinate(raw.get("longitude"), -180, 180, "longitude")
            if (latitude is None) != (longitude is None):
                raise RowError("latitude and longitude must be given together")
            if latitude == 0 and longitude == 0:
                # "Null Island": what a failed geocode writes in many exports, not a real place.
                self.flag(
                    where,
                    "location",
                    text(sid),
                    "null_island",
                    "latitude 0, longitude 0 is a failed geocode; kept without coordinates",
                )
                latitude = longitude = None
            location_type = (text(raw.get("location_type")) or "physical").lower()
            if location_type not in LOCATION_TYPES:
                raise RowError(f"location_type {location_type!r} is not one of {', '.join(sorted(LOCATION_TYPES))}")
            if latitude is None and location_type == "physical":
                self.flag(
                    where,
                    "location",
                    text(sid),
                    "no_coordinates",
                    "kept without coordinates: it will not appear in distance searches until geocoded",
                )
            country = text(raw.get("country"), 64, "country")
            return {
                "name": text(raw.get("name"), 300, "name"),
                "alternate_name": text(raw.get("alternate_name"), 300, "alternate_name"),
                "description": text(raw.get("description")),
                "location_type": location_type,
                "latitude": latitude,
                "longitude": longitude,
                "address_1": text(raw.get("address_1"), 300, "address_1"),
                "address_2": text(raw.get("address_2"), 300, "address_2"),
                "city": text(raw.get("city"), 300, "city"),
                "region": text(raw.get("region"), 300, "region"),
                "state_province": text(raw.get("state_province"), 300, "state_province"),
                "postal_code": text(raw.get("postal_code"), 32, "postal_code"),
                "country": country.upper() if country and len(country) == 2 else country,
                "transportation": text(raw.get("transportation")),
                "url": clean.url(raw.get("url")),
            }, {"organization_id": ("organization", text(organization))}

        return self._add("location", where, sid, build)

    def service(self, where: Where, sid: Any, organization: Any, raw: dict[str, Any]) -> str | None:
        def build() -> tuple[dict[str, Any], dict[str, Any]]:
            clean = Cleaner(self, "service", where, text(sid))
            required_name(raw.get("name"))
            if text(organization) is None:
                raise RowError("missing required organization_id")
            status = (text(raw.get("status")) or "active").lower()
            if status not in STATUSES:
                raise RowError(f"status {status!r} is not one of {', '.join(sorted(STATUSES))}")
            return {
                "name": required_name(raw.get("name")),
                "alternate_name": text(raw.get("alternate_name"), 300, "alternate_name"),
                "description": text(raw.get("description")),
                "status": status,
                "url": clean.url(raw.get("url")),
                "email": clean.email(raw.get("email")),
                "eligibility_description": text(raw.get("eligibility_description")),
                "fees_description": text(raw.get("fees_description")),
                "application_process": text(raw.get("application_process")),
                "languages": clean.languages(raw.get("languages") or []),
                "assured_date": date(raw.get("assured_date"), "assured_date"),
                **ages(raw.get("minimum_age"), raw.get("maximum_age")),
            }, {"organization_id": ("organization", text(organization))}

        return self._add("service", where, sid, build)

    def service_at_location(
        self, where: Where, sid: Any, service: Any, location: Any, description: Any = None
    ) -> str | None:
        def build() -> tuple[dict[str, Any], dict[str, Any]]:
            if text(service) is None or text(location) is None:
                raise RowError("missing required service_id or location_id")
            return {"description": text(description)}, {
                "service_id": ("service", text(service)),
                "location_id": ("location", text(location)),
            }

        return self._add("service_at_location", where, sid, build)

    def _owner(self, owners: dict[str, Any], kinds: tuple[str, ...]) -> dict[str, tuple[str, str | None]]:
        """The most specific owner given (HSDS rows often name several); contacts are not kept."""
        for kind in kinds:
            if sid := text(owners.get(kind) or owners.get(f"{kind}_id")):
                return {f"{kind}_id": (kind, sid)}
        raise RowError(f"names no owner: one of {', '.join(k + '_id' for k in kinds)} is required")

    def phone(self, where: Where, sid: Any, owners: dict[str, Any], raw: dict[str, Any]) -> str | None:
        def build() -> tuple[dict[str, Any], dict[str, Any]]:
            number = text(raw.get("number"), 100, "number")
            if number is None:
                raise RowError("missing required number")
            kind = (text(raw.get("type")) or "voice").lower()
            if kind not in PHONE_TYPES:
                Cleaner(self, "phone", where, text(sid)).drop("type", kind, "not an HSDS phone type")
                kind = "voice"
            refs = self._owner(owners, ("service_at_location", "service", "location", "organization"))
            return {
                "number": number.strip('"'),
                "extension": text(raw.get("extension"), 20, "extension"),
                "type": kind,
                "description": text(raw.get("description"), 300, "description"),
                "position": self._next_position("phone", refs, raw.get("position")),
            }, refs

        return self._add("phone", where, sid, build)

    def schedule(
        self, where: Where, sid: Any, owners: dict[str, Any], weekday: Any, opens: Any, closes: Any, raw: dict[str, Any]
    ) -> str | None:
        """One weekly opening (readers split multi-day rules into one call per day)."""

        def build() -> tuple[dict[str, Any], dict[str, Any]]:
            day = parse_weekday(weekday)
            opens_at, closes_at = clock(opens, "opens_at"), clock(closes, "closes_at")
            if opens_at is None or closes_at is None:
                raise RowError("unparseable hours: opens_at and closes_at are both required")
            if opens_at == dt.time.max:
                raise RowError("unparseable hours: opens_at cannot be 24:00")
            if opens_at == closes_at:
                raise RowError("unparseable hours: opens_at equals closes_at")
            valid_from, valid_to = date(raw.get("valid_from"), "valid_from"), date(raw.get("valid_to"), "valid_to")
            if valid_from and valid_to and valid_from > valid_to:
                raise RowError("valid_from is after valid_to")
            refs = self._owner(owners, ("service_at_location", "service", "location"))
            return {
                "weekday": day,
                "opens_at": opens_at,
                "closes_at": closes_at,
                "valid_from": valid_from,
                "valid_to": valid_to,
                "description": text(raw.get("description"), 300, "description"),
                "position": self._next_position("schedule", refs, raw.get("position")),
            }, refs

        return self._add("schedule", where, sid, build)

    def taxonomy(self, where: Where, sid: Any, raw: dict[str, Any]) -> str | None:
        def build() -> tuple[dict[str, Any], dict[str, Any]]:
            return {
                "name": required_name(raw.get("name")),
                "description": text(raw.get("description")),
                "uri": text(raw.get("uri"), 2_000, "uri"),
                "version": text(raw.get("version"), 100, "version"),
            }, {}

        return self._add("taxonomy", where, sid, build)

    def taxonomy_term(
        self, where: Where, sid: Any, raw: dict[str, Any], taxonomy: Any = None, parent: Any = None
    ) -> str | None:
        def build() -> tuple[dict[str, Any], dict[str, Any]]:
            refs: dict[str, tuple[str, str | None]] = {
                "taxonomy_id": ("taxonomy", text(taxonomy)),
                "parent_id": ("taxonomy_term", text(parent)),
            }
            return {
                "code": text(raw.get("code"), 300, "code"),
                "name": required_name(raw.get("name")),
                "description": text(raw.get("description")),
                "vocabulary": text(raw.get("taxonomy") or raw.get("vocabulary"), 300, "taxonomy"),
                "language": text(raw.get("language"), 35, "language"),
                "term_uri": text(raw.get("term_uri"), 2_000, "term_uri"),
            }, refs

        return self._add("taxonomy_term", where, sid, build)

    def service_taxonomy_term(self, where: Where, service: Any, term: Any) -> None:
        def build() -> tuple[dict[str, Any], dict[str, Any]]:
            if text(service) is None or text(term) is None:
                raise RowError("missing service or taxonomy term id")
            return {}, {"service_id": ("service", text(service)), "taxonomy_term_id": ("taxonomy_term", text(term))}

        self._add("service_taxonomy_term", where, f"{text(service)}\x00{text(term)}", build)

    # -- resolution --------------------------------------------------------------------------

    def outside_references(self) -> dict[str, set[str]]:
        """Ids of records referenced but not in this input: they may already be in the database."""
        found: dict[str, set[str]] = {}
        for rows in self.pending.values():
            for pending in rows.values():
                for target, sid in pending.refs.values():
                    if sid is not None and sid not in self.pending[target]:
                        found.setdefault(target, set()).add(self.derived_id(target, sid))
        return found

    def finish(
        self,
        category_slugs: Iterable[str],
        existing: dict[str, set[str]] | None = None,
        eligibility_codes: Iterable[str] = (),
    ) -> None:
        """Check every reference, cascading rejections to dependants, and build the rows to load.

        A reference may name a row of this input or, through `existing`, one already stored (an
        incremental feed of services for organizations imported before). A term of our own
        category taxonomy (what our exports carry) becomes the category itself.
        """
        known = {"category": set(category_slugs), "eligibility": set(eligibility_codes)}
        existing = existing or {}
        order = (
            "taxonomy",
            "taxonomy_term",
            "organization",
            "location",
            "service",
            "service_at_location",
            "phone",
            "schedule",
            "service_taxonomy_term",
        )
        kept: dict[str, dict[str, str]] = {entity: {} for entity in ENTITIES}
        self.category_links: list[tuple[str, str]] = []
        self.eligibility_links: list[tuple[str, str]] = []
        own_terms: dict[str, tuple[str, str]] = {}
        for entity in order:
            rows: list[dict[str, Any]] = []
            for key, pending in self.pending[entity].items():
                row = dict(pending.fields)
                try:
                    for column, (target, sid) in pending.refs.items():
                        if sid is None:
                            row[column] = None
                        elif target == "taxonomy_term" and entity == "taxonomy_term" and sid not in kept[target]:
                            # Parents may come after children in a file; resolved below.
                            row[column] = (target, sid)
                        elif target == "taxonomy_term" and sid in own_terms:
                            row[column] = own_terms[sid]
                        elif sid in kept[target]:
                            row[column] = kept[target][sid]
                        elif column == "taxonomy_id" and self.derived_id("taxonomy", sid) in OWN_TAXONOMIES:
                            row[column] = self.derived_id("taxonomy", sid)
                        elif self.derived_id(target, sid) in existing.get(target, ()):
                            row[column] = self.derived_id(target, sid)
                        else:
                            raise RowError(f"broken reference: {column} {sid!r} matches no accepted {target}")
                except RowError as error:
                    self.reject(pending.where, entity, None if "\x00" in key else key, str(error))
                    continue
                if entity == "taxonomy_term" and row["taxonomy_id"] in OWN_TAXONOMIES:
                    kind, code = OWN_TAXONOMIES[row["taxonomy_id"]], row["code"]
                    if code not in known[kind]:
                        self.reject(pending.where, entity, key, f"unknown CommonGround {kind} {code!r}")
                        continue
                    own_terms[key] = (kind, code)
                    self.counts[entity].accepted += 1
                    continue
                if entity == "taxonomy" and self.derived_id(entity, key) in OWN_TAXONOMIES:
                    self.counts[entity].accepted += 1  # our own vocabularies: nothing to store
                    continue
                if entity == "service_taxonomy_term" and isinstance(row["taxonomy_term_id"], tuple):
                    kind, code = row["taxonomy_term_id"]
                    links = self.category_links if kind == "category" else self.eligibility_links
                    links.append((row["service_id"], code))
                    self.counts[entity].accepted += 1
                    continue
                row["id"] = self.derived_id(entity, key)
                row["source_id"] = key
                kept[entity][key] = row["id"]
                self.counts[entity].accepted += 1
                rows.append(row)
            if entity == "taxonomy_term":
                for row in rows:
                    if isinstance(row["parent_id"], tuple):
                        parent_sid = row["parent_id"][1]
                        parent_id = kept["taxonomy_term"].get(parent_sid)
                        if parent_id is None and self.derived_id("taxonomy_term", parent_sid) in existing.get(
                            "taxonomy_term", ()
                        ):
                            parent_id = self.derived_id("taxonomy_term", parent_sid)
                        row["parent_id"] = parent_id
                        if parent_id is None:
                            self.flag(
                                Where("taxonomy_term", 0),
                                "taxonomy_term",
                                row["source_id"],
                                "field_dropped",
                                f"parent_id {parent_sid!r} matches no accepted term",
                            )
            self.rows[entity] = rows
        self.owner_rows = [(child, kept[owner][sid]) for child, owner, sid in self.reconciled if sid in kept[owner]]
        self.pending = {entity: {} for entity in ENTITIES}


def parse_weekday(value: Any) -> int:
    """ISO weekday from 1-7 (1 = Monday), a name (Monday, Mon) or an RRULE code (MO)."""
    raw = text(value, 32, "weekday")
    if raw is None:
        raise RowError("unparseable hours: missing weekday")
    if raw.isdigit() and 1 <= int(raw) <= 7:
        return int(raw)
    day = WEEKDAYS.get(raw.lower().rstrip("."))
    if day is None:
        raise RowError(f"unparseable hours: weekday {raw!r}")
    return day


def byday(value: Any) -> list[str]:
    """The days of an RRULE BYDAY list ("MO,TU"); positional forms like 1MO are not weekly."""
    days = [part.strip() for part in str(value or "").split(",") if part.strip()]
    for day in days:
        if day.lower() not in WEEKDAYS:
            raise RowError(f"unparseable hours: byday {day!r} is not a weekday")
    return days
