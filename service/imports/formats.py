"""Input formats an import accepts, each read into a Batch.

- HSDS 3.0 JSON: a list of full services, an HSDS API page ({"contents": [...]}), one service,
  or NDJSON (one full service per line).
- Tabular packages, as a folder or a zip: HSDS 3.0 (datapackage.json + CSV), HSDS 1.x/2.x, and
  Ohana API CSV exports (services carry location_id; categories in service_categories.json).
- A flat CSV with one listing per row (SAMHSA treatment locator style: Name1, Address1, City,
  State, ZIP_Code, Contact, Keys, Latitude, Longitude).
"""

import codecs
import csv
import io
import json
import os
import re
import shutil
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schemas.imports import EntityCounts
from service.config import Settings
from service.imports.batches import Batch, RowError, Where, byday, text
from service.imports.cells import unguard
from service.imports.spools import temporary_prefix

FORMATS = ("hsds-json", "ndjson", "tabular", "flat-csv")
# No value we keep is longer than 20,000 characters (batches.text): a field past this is a broken quote.
MAX_FIELD = 1 << 20
csv.field_size_limit(MAX_FIELD)
# Temporary folders of imports and uploads carry the process id, so a later start can remove the
# ones a killed process left behind (remove_stale_folders).
FOLDER_PREFIXES = ("cg-import-", "cg-upload-")
# Below this many bytes a member's compression ratio is not judged: tiny files of one repeated
# character compress thousands to one and harm nobody.
RATIO_FLOOR = 1 << 20


@dataclass(frozen=True)
class Limits:
    """What unpacking a zip may produce: bytes in all (COMMONGROUND_IMPORT_MAX_UNPACKED_BYTES) and
    bytes per compressed byte of one member (COMMONGROUND_IMPORT_MAX_RATIO), counted while it
    inflates, never taken from the sizes the zip declares; and the characters one line of a CSV
    file may hold (COMMONGROUND_IMPORT_MAX_LINE_LENGTH), so no row is larger than that in memory."""

    max_unpacked_bytes: int = 512 << 20
    max_ratio: int = 250
    max_line_length: int = 4 << 20

    @classmethod
    def of(cls, settings: Settings) -> "Limits":
        """The limits the settings give."""
        return cls(settings.import_max_unpacked_bytes, settings.import_max_ratio, settings.import_max_line_length)


DEFAULT_LIMITS = Limits()


class UnreadableInput(ValueError):
    """The input is not a format we read; the message says what was expected."""


@dataclass
class Progress:
    """How far an import has got, for the CLI bar and GET /v1/imports/{id}."""

    phase: str = "reading"
    done: int = 0
    total: int | None = None


def detect(path: Path) -> str:
    """The format of a file or folder, from its name and first bytes."""
    if path.is_dir():
        return "tabular"
    if not path.is_file():
        raise UnreadableInput(f"{path} does not exist")
    if zipfile.is_zipfile(path):
        return "tabular"
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head.startswith(b"PK\x03\x04"):
        return "tabular"  # a zip whose end is missing: unpacking says it is broken
    wide = next((name for bom, name in _BOMS if head.startswith(bom) and name != "utf-8-sig"), None)
    if wide is not None:
        head = head.decode(wide, errors="ignore").encode()
    elif sum(byte < 9 or 13 < byte < 32 for byte in head) > len(head) / 20:
        raise UnreadableInput(f"{path.name}: a binary file, not JSON, NDJSON, CSV, a zip or a folder of CSV files")
    head = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    suffix = path.suffix.lower()
    if suffix in (".ndjson", ".jsonl"):
        return "ndjson"
    if head.startswith((b"[", b"{")) or suffix == ".json":
        if head.startswith(b"{"):
            first_line = head.split(b"\n", 1)[0].strip()
            try:
                json.loads(first_line)
                if b"\n" in head.strip():
                    return "ndjson"
            except ValueError:
                pass
        return "hsds-json"
    first = head.split(b"\n", 1)[0]
    if suffix in (".csv", ".tsv", ".txt") or any(delimiter in first for delimiter in (b",", b";", b"\t", b"|")):
        return "flat-csv"
    raise UnreadableInput(f"{path.name}: not JSON, NDJSON, CSV, a zip or a folder of CSV files")


def read(
    path: Path, batch: Batch, progress: Progress, format: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> str:
    """Read an input into the batch; returns the format it was read as."""
    format = format or detect(path)
    if format not in FORMATS:
        raise UnreadableInput(f"unknown format {format!r}; one of {', '.join(FORMATS)}")
    progress.total = _size(path)
    with ExitStack() as stack:
        if format == "tabular" and path.is_file():
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=temporary_prefix("cg-import-"))))
            _unzip(path, folder, limits)
            path = folder
        if format == "tabular":
            read_tabular(path, batch, progress, limits)
        elif format == "flat-csv":
            read_flat_csv(path, batch, progress, limits)
        else:
            read_json(path, batch, progress, ndjson=format == "ndjson")
    progress.done = progress.total or progress.done
    return format


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(entry.stat().st_size for entry in path.iterdir() if entry.is_file())
    return path.stat().st_size


def remove_stale_folders(root: Path | None = None) -> list[Path]:
    """Remove the temporary folders of imports whose process is gone (killed mid-import); returns them."""
    removed = []
    for entry in Path(root or tempfile.gettempdir()).iterdir():
        kind = next((prefix for prefix in FOLDER_PREFIXES if entry.name.startswith(prefix)), None)
        if kind is None or not entry.is_dir():
            continue
        pid = entry.name[len(kind) :].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _unzip(path: Path, folder: Path, limits: Limits) -> None:
    """Unpack member by member, counting what each inflates to as it streams."""
    root = folder.resolve()
    unpacked = 0
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.infolist():
                target = (root / member.filename).resolve()
                if not target.is_relative_to(root):
                    raise UnreadableInput(f"zip member {member.filename!r} points outside the archive")
                if member.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                written = 0
                with archive.open(member) as source, target.open("wb") as out:
                    while chunk := source.read(1 << 20):
                        written += len(chunk)
                        unpacked += len(chunk)
                        if unpacked > limits.max_unpacked_bytes:
                            raise UnreadableInput(
                                f"zip member {member.filename!r}: the zip unpacks to more than "
                                f"{limits.max_unpacked_bytes:,} bytes (COMMONGROUND_IMPORT_MAX_UNPACKED_BYTES)"
                            )
                        if written > RATIO_FLOOR and written > max(member.compress_size, 1) * limits.max_ratio:
                            raise UnreadableInput(
                                f"zip member {member.filename!r} inflates more than {limits.max_ratio} times its "
                                "compressed size, as a zip bomb does (COMMONGROUND_IMPORT_MAX_RATIO)"
                            )
                        out.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
        raise UnreadableInput(f"{path.name}: broken zip file ({error})") from None


def _package_root(folder: Path) -> Path:
    """The folder inside an archive that holds the tables (zips often wrap them in one folder)."""
    for candidate in [folder, *sorted(p for p in folder.rglob("*") if p.is_dir())]:
        if (candidate / "datapackage.json").exists() or any(candidate.glob("*.csv")):
            return candidate
    raise UnreadableInput("the package holds no datapackage.json and no CSV files")


# -- JSON --------------------------------------------------------------------------------------

# Python's JSON reader gives up (RecursionError) about this deep; HSDS documents nest fewer than ten.
_DEPTH = sys.getrecursionlimit()


def read_json(path: Path, batch: Batch, progress: Progress, ndjson: bool) -> None:
    name = path.name
    with path.open("rb") as handle:
        if ndjson:
            for number, line in enumerate(handle, start=1):
                progress.done = handle.tell()
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except RecursionError:
                    batch.reject(Where(name, number), "service", None, f"JSON nested deeper than {_DEPTH} levels")
                    batch.counts["service"].read += 1
                    continue
                except ValueError as error:
                    batch.reject(Where(name, number), "service", None, f"not valid JSON: {error}")
                    batch.counts["service"].read += 1
                    continue
                _guarded_service(batch, Where(name, number), record)
            return
        for number, record in enumerate(_json_records(JsonText(handle, name, progress)), start=1):
            # "line" is the record's position in the list for JSON documents.
            _guarded_service(batch, Where(name, number), record)


# How much of a JSON document is read at a time: its services are parsed one by one as the text
# arrives, so a document of any size is held a service at a time, not whole (a 500 MB export would
# take gigabytes as Python objects).
_JSON_CHUNK = 1 << 20
_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_JSON_DECODER = json.JSONDecoder()


class JsonText:
    """A JSON document's text, decoded as it is read, with a position in it; what is behind the
    position is dropped as the next part arrives."""

    def __init__(self, handle: Any, name: str, progress: Progress) -> None:
        self.handle, self.name, self.progress = handle, name, progress
        head = handle.read(4)
        self.decoder = codecs.getincrementaldecoder(json.detect_encoding(head))()
        self.text, self.pos, self.eof = "", 0, False
        # Where the text kept starts in the document, for messages: lines before it, and its column.
        self.line, self.column = 1, 1
        self._append(head, final=not head)
        self.text = self.text.removeprefix("\ufeff")

    def _append(self, raw: bytes, final: bool) -> None:
        try:
            self.text += self.decoder.decode(raw, final=final)
        except UnicodeDecodeError as error:
            raise UnreadableInput(f"{self.name}: not valid JSON (not {error.encoding} text)") from None

    def more(self, size: int | None = None) -> bool:
        """Read the next part (dropping what is behind the position); False at the end."""
        if self.eof:
            return False
        dropped = self.text[: self.pos]
        breaks = dropped.count("\n")
        self.line += breaks
        self.column = len(dropped) - dropped.rfind("\n") if breaks else self.column + len(dropped)
        self.text, self.pos = self.text[self.pos :], 0
        raw = self.handle.read(size or _JSON_CHUNK)
        self.eof = not raw
        self._append(raw, final=self.eof)
        self.progress.done = self.handle.tell()
        return True

    def peek(self) -> str:
        """The next character that is not white space ("" at the end), without taking it."""
        while True:
            self.pos = _JSON_SPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]  # always matches
            if self.pos < len(self.text) or not self.more():
                return self.text[self.pos : self.pos + 1]

    def take(self, char: str) -> bool:
        """Take char if it comes next."""
        if self.peek() == char:
            self.pos += 1
            return True
        return False

    def value(self) -> Any:
        """The next JSON value, read further until the text holds all of it."""
        self.peek()
        size = _JSON_CHUNK
        while True:
            try:
                value, end = _JSON_DECODER.raw_decode(self.text, self.pos)
            except RecursionError:
                raise UnreadableInput(f"{self.name}: JSON nested deeper than {_DEPTH} levels") from None
            except json.JSONDecodeError as error:
                # Perhaps only cut off by the end of the part read so far: read on (twice as much each time,
                # so a long value costs linear time), and name the error only once the document has ended.
                if self.more(size):
                    size *= 2
                    continue
                raise self.invalid(error.msg, error.pos) from None
            # A number at the end of the text read so far may go on in the next part.
            if end == len(self.text) and isinstance(value, int | float) and self.more(size):
                continue
            self.pos = end
            return value

    def invalid(self, reason: str, pos: int | None = None) -> UnreadableInput:
        """The refusal of a document that is not JSON, with the line and column where it goes wrong."""
        pos = self.pos if pos is None else pos
        before = self.text[:pos]
        breaks = before.count("\n")
        line = self.line + breaks
        column = pos - before.rfind("\n") if breaks else self.column + pos
        return UnreadableInput(f"{self.name}: not valid JSON ({reason}: line {line} column {column})")


def json_items(text: JsonText) -> Iterator[Any]:
    """The values of the array that comes next, one at a time."""
    if not text.take("["):
        raise text.invalid("expected [")
    if text.take("]"):
        return
    while True:
        yield text.value()
        if text.take(","):
            continue
        if text.take("]"):
            return
        raise text.invalid("expected , or ] after a value")


def _json_records(text: JsonText) -> Iterator[Any]:
    """The services of a document: a list of them, a page with its contents list, or one service."""
    first = text.peek()
    if first == "[":
        yield from json_items(text)
    elif first == "{":
        text.take("{")
        fields: dict[str, Any] = {}
        paged = False
        if not text.take("}"):
            while True:
                key = text.value()
                if not isinstance(key, str):
                    raise text.invalid("expected a name in double quotes")
                if not text.take(":"):
                    raise text.invalid("expected : after a name")
                if key == "contents" and not paged and text.peek() == "[":
                    paged = True
                    yield from json_items(text)
                else:
                    fields[key] = text.value()
                if text.take(","):
                    continue
                if text.take("}"):
                    break
                raise text.invalid("expected , or } after a value")
        if not paged:
            yield fields
    elif first:
        value = text.value()
        raise UnreadableInput(
            f"{text.name}: expected a list of HSDS services, a page with contents, or one service, "
            f"not {type(value).__name__ if value is not None else 'null'}"
        )
    else:
        raise text.invalid("the document is empty")
    if text.peek():
        raise text.invalid("more after the document's end")


def _key(value: Any) -> str | None:
    """An id as text to look rows up by; where it cannot be one (a NUL byte, too long) the text as given,
    which matches no other row and which the row's own checks reject."""
    try:
        return text(value)
    except RowError:
        return str(value)


def _unreadable(batch: Batch, where: Where, counted: int, error: RowError) -> None:
    """A value no check of its record caught (a NUL byte or an overlong text where the reader keys the
    record): the record is rejected when its service was not yet read, else the value is flagged on it."""
    if batch.counts["service"].read == counted:
        batch.counts["service"].read += 1
        batch.reject(where, "service", None, str(error))
    else:
        batch.flag(where, "service", None, "unreadable_value", str(error))


def _guarded_service(batch: Batch, where: Where, record: Any) -> None:
    counted = batch.counts["service"].read
    try:
        _json_service(batch, where, record)
    except RowError as error:
        _unreadable(batch, where, counted, error)


def _json_service(batch: Batch, where: Where, record: Any) -> None:
    if not isinstance(record, dict):
        batch.counts["service"].read += 1
        batch.reject(where, "service", None, "not a JSON object")
        return
    batch.present.add("service")
    organization = record.get("organization")
    organization_id = record.get("organization_id")
    if isinstance(organization, dict):
        batch.present.add("organization")
        organization_id = organization.get("id") or organization_id
        if text(organization_id) not in batch.pending["organization"]:
            batch.organization(where, organization_id, organization)
            _listed(batch, organization, "organization", organization_id)
            for phone in _new(batch, "phone", organization.get("phones")):
                batch.phone(where, phone.get("id"), {"organization": organization_id}, phone)
    languages = [item.get("code") or item.get("name") for item in _objects(record.get("languages"))]
    service_id = batch.service(where, record.get("id"), organization_id, {**record, "languages": languages})
    if service_id is None:
        return  # the record's rejection covers everything nested in it
    _listed(batch, record, "service", service_id)
    for phone in _new(batch, "phone", record.get("phones")):
        batch.phone(where, phone.get("id"), {"service": service_id}, phone)
    for schedule in _new(batch, "schedule", record.get("schedules")):
        _hsds3_schedule(batch, where, schedule, {"service": service_id})
    for attribute in _objects(record.get("attributes")):
        _hsds3_attribute(batch, where, attribute, service_id)
    # HSDS 3.1: live counts, each with its unit.
    for capacity in _objects(record.get("capacities")):
        batch.capacity(where, capacity.get("id"), service_id, capacity.get("unit"), capacity)
    for sal in _objects(record.get("service_at_locations")):
        location = sal.get("location")
        location_id = sal.get("location_id")
        if isinstance(location, dict):
            batch.present.add("location")
            location_id = location.get("id") or location_id
            if text(location_id) not in batch.pending["location"]:
                address = _first_address(_objects(location.get("addresses")))
                batch.location(where, location_id, location.get("organization_id"), {**address, **location})
                _listed(batch, location, "location", location_id)
                for phone in _new(batch, "phone", location.get("phones")):
                    batch.phone(where, phone.get("id"), {"location": location_id}, phone)
                for schedule in _new(batch, "schedule", location.get("schedules")):
                    _hsds3_schedule(batch, where, schedule, {"location": location_id})
        sal_id = batch.service_at_location(where, sal.get("id"), service_id, location_id, sal.get("description"))
        _listed(batch, sal, "service_at_location", sal_id)
        for phone in _new(batch, "phone", sal.get("phones")):
            batch.phone(where, phone.get("id"), {"service_at_location": sal_id}, phone)
        for schedule in _new(batch, "schedule", sal.get("schedules")):
            _hsds3_schedule(batch, where, schedule, {"service_at_location": sal_id})


# A document's key for each kind of child it may list in full.
CHILD_KEYS = {
    "phones": "phone",
    "schedules": "schedule",
    "service_at_locations": "service_at_location",
    "addresses": "address",
}


def _listed(batch: Batch, document: dict[str, Any], owner: str, sid: Any) -> None:
    """Mark the children a document lists in full: a key holding a list, even empty (missing or null: unsaid)."""
    for key, child in CHILD_KEYS.items():
        if isinstance(document.get(key), list):
            batch.reconcile(child, owner, sid)


def _objects(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _new(batch: Batch, entity: str, value: Any) -> list[dict[str, Any]]:
    """Nested objects not read yet: HSDS documents repeat one phone or schedule under each owner."""
    fresh = []
    for item in _objects(value):
        sid = _key(item.get("id"))
        if sid is None or (entity, sid) not in batch.nested:
            fresh.append(item)
            batch.nested.add((entity, sid))
    return fresh


def _first_address(addresses: list[dict[str, Any]]) -> dict[str, Any]:
    """The physical address when there is one, else the first; its id is not kept (one per location)."""
    ranked = sorted(addresses, key=lambda a: 0 if a.get("address_type", "physical") == "physical" else 1)
    return {key: value for key, value in ranked[0].items() if key not in ("id", "location_id")} if ranked else {}


def _hsds3_schedule(batch: Batch, where: Where, raw: dict[str, Any], owners: dict[str, Any]) -> None:
    """An HSDS 3.0 (RFC 5545 style) schedule; only weekly rules with days and times are hours we can use."""
    sid = _key(raw.get("id"))
    freq = (text(raw.get("freq")) or "WEEKLY").upper()
    try:
        if freq != "WEEKLY":
            raise RowError(
                f"unparseable hours: freq {freq} (only WEEKLY rules with byday, opens_at and "
                "closes_at become opening hours)"
            )
        days = byday(raw.get("byday"))
        if not days:
            raise RowError("unparseable hours: a weekly rule needs byday")
    except RowError as error:
        batch.counts["schedule"].read += 1
        batch.reject(where, "schedule", sid, str(error))
        return
    for day in days:
        key = sid if sid is None or len(days) == 1 else f"{sid}#{day.upper()}"
        batch.schedule(where, key, owners, day, raw.get("opens_at"), raw.get("closes_at"), raw)


def _hsds3_attribute(batch: Batch, where: Where, raw: dict[str, Any], service_id: Any) -> None:
    term = raw.get("taxonomy_term")
    term_id = raw.get("taxonomy_term_id")
    if isinstance(term, dict):
        term_id = term.get("id") or term_id
        if text(term_id) not in batch.pending["taxonomy_term"]:
            detail = term.get("taxonomy_detail")
            taxonomy_id = term.get("taxonomy_id")
            if isinstance(detail, dict):
                taxonomy_id = detail.get("id") or taxonomy_id
                if text(taxonomy_id) not in batch.pending["taxonomy"]:
                    batch.taxonomy(where, taxonomy_id, detail)
            # Our exports list a term's parents, the root first (hsds_term_ancestors()).
            for parent in _objects(term.get("ancestors")):
                if text(parent.get("id")) not in batch.pending["taxonomy_term"]:
                    batch.taxonomy_term(
                        where, parent.get("id"), parent, parent.get("taxonomy_id"), parent.get("parent_id")
                    )
            batch.taxonomy_term(where, term_id, term, taxonomy_id, term.get("parent_id"))
    batch.service_taxonomy_term(where, service_id, term_id)


# -- tabular packages --------------------------------------------------------------------------

TABLES = {
    "organization": "organization",
    "organizations": "organization",
    "location": "location",
    "locations": "location",
    "service": "service",
    "services": "service",
    "service_at_location": "service_at_location",
    "service_at_locations": "service_at_location",
    "services_at_location": "service_at_location",
    "services_at_locations": "service_at_location",
    "address": "address",
    "addresses": "address",
    "physical_address": "address",
    "physical_addresses": "address",
    "postal_address": "postal_address",
    "postal_addresses": "postal_address",
    "mail_addresses": "postal_address",
    "phone": "phone",
    "phones": "phone",
    "schedule": "schedule",
    "schedules": "schedule",
    "regular_schedule": "regular_schedule",
    "regular_schedules": "regular_schedule",
    "taxonomies": "taxonomy",
    "taxonomy": "taxonomy",
    "taxonomy_term": "taxonomy_term",
    "taxonomy_terms": "taxonomy_term",
    "attribute": "attribute",
    "attributes": "attribute",
    "service_taxonomy": "service_taxonomy",
    "services_taxonomy": "service_taxonomy",
    "service_taxonomies": "service_taxonomy",
    "language": "language",
    "languages": "language",
    "service_capacity": "service_capacity",
    "service_capacities": "service_capacity",
    "unit": "unit",
    "units": "unit",
}


# Tables whose rows a load may reconcile: only a table the package holds can say a row is gone.
PRESENT = {
    "organization": "organization",
    "location": "location",
    "service": "service",
    "service_at_location": "service_at_location",
    "phone": "phone",
    "schedule": "schedule",
    "regular_schedule": "schedule",
    "address": "address",
    "postal_address": "address",
}


# Byte-order marks, the longer first (UTF-32 LE starts as UTF-16 LE does).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# What the report calls each encoding a file was read as.
ENCODING_NAMES = {"utf-8-sig": "UTF-8", "utf-32": "UTF-32", "utf-16": "UTF-16", "cp1252": "Windows-1252"}
# Columns some reader takes; a first row naming none of them is data, not a header.
KNOWN_COLUMNS = {
    "id",
    "name",
    "organization_id",
    "service_id",
    "location_id",
    "service_at_location_id",
    "taxonomy_id",
    "taxonomy_term_id",
    "parent_id",
    "link_id",
    "number",
    "weekday",
    "byday",
    "opens_at",
    "closes_at",
    "address_1",
    "city",
    "postal_code",
    "latitude",
    "longitude",
    "code",
    "language",
    "unit_id",
    "available",
    "identifier",
}


def _dialect(path: Path, max_line: int = DEFAULT_LIMITS.max_line_length) -> tuple[str, str]:
    """The encoding of a CSV file (a byte-order mark's, else UTF-8 when every byte reads as it, else
    Windows-1252, which legacy exports use) and its delimiter."""
    with path.open("rb") as raw:
        head = raw.read(4)
        encoding = next((name for bom, name in _BOMS if head.startswith(bom)), None)
        if encoding is None:
            encoding = "utf-8-sig"
            raw.seek(0)
            decoder = codecs.getincrementaldecoder("utf-8")()
            try:
                while chunk := raw.read(1 << 20):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                encoding = "cp1252"
    with path.open(encoding=encoding, errors="replace", newline="") as handle:
        header = handle.readline(max_line)
    counts = {delimiter: header.count(delimiter) for delimiter in (",", ";", "\t", "|")}
    return encoding, max(counts, key=lambda d: (counts[d], d == ","))


def _header(names: list[str]) -> list[str]:
    """Column names as HSDS spells them: "Organization ID" -> organization_id."""
    return [re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_") for name in names]


def _checked_header(path: Path, names: list[str]) -> list[str]:
    """The normalised header, or the reason it cannot be one: a name given twice, or no known name."""
    header = _header(names)
    twice = sorted({name for name in header if name and header.count(name) > 1})
    if twice:
        raise UnreadableInput(
            f"{path.name}: the header names {', '.join(twice)} more than once; rename or remove the copy "
            "(which one holds the values cannot be guessed)"
        )
    if not set(header) & (KNOWN_COLUMNS | FLAT_NAMES):
        shown = ", ".join(repr(name) for name in names[:4])
        raise UnreadableInput(
            f"{path.name}: the first row ({shown}) names none of the columns an import reads, such as id "
            "and name: does the file lack its header row?"
        )
    return header


class _Lines:
    """A CSV file's lines for csv.reader, none longer than max_line characters: a longer one at a row's
    start is skipped to its end (its row rejected, line_too_long) and read as an empty line, so the
    line numbers stay true; one inside a quoted field leaves nowhere to resume, so the file is refused."""

    def __init__(self, handle: io.TextIOWrapper, path: Path, max_line: int) -> None:
        self.handle, self.path, self.max_line = handle, path, max_line
        self.read = 0  # lines handed to the reader
        self.row_end = 0  # lines the reader had consumed when it last finished a row
        self.too_long: list[int] = []

    def __iter__(self) -> Iterator[str]:
        while line := self.handle.readline(self.max_line + 1):
            self.read += 1
            if len(line) <= self.max_line or line[-1] in "\r\n":
                yield line
                continue
            where = f"{self.path.name} line {self.read}: a line longer than {self.max_line:,} characters"
            if self.read == 1 or self.read != self.row_end + 1:
                raise UnreadableInput(
                    f"{where} {'in the header' if self.read == 1 else 'inside a quoted field'} "
                    "(COMMONGROUND_IMPORT_MAX_LINE_LENGTH); the file cannot be read past it"
                )
            while line and line[-1] not in "\r\n":
                line = self.handle.readline(1 << 20)
            self.too_long.append(self.read)
            yield "\n"


def _rows(
    path: Path, progress: Progress, base: int, batch: Batch, entity: str, max_line: int = DEFAULT_LIMITS.max_line_length
) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a CSV file with the line each starts on; header names normalised (see _header). A row
    with more or fewer cells than the header is read as far as it goes and flagged ragged_row; a row
    whose line is longer than max_line is rejected (line_too_long)."""
    encoding, delimiter = _dialect(path, max_line)
    batch.encodings[path.name] = ENCODING_NAMES[encoding]
    with path.open("rb") as raw:
        handle = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
        lines = _Lines(handle, path, max_line)
        reader = csv.reader(lines, delimiter=delimiter)
        try:
            header = _checked_header(path, next(reader))
        except StopIteration:
            return
        except csv.Error as error:
            raise UnreadableInput(f"{path.name} line 1: {error}") from None
        width = len(header)
        count = 0
        while True:
            line = reader.line_num + 1
            lines.row_end = reader.line_num
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise UnreadableInput(f"{path.name} line {line}: {error}") from None
            while lines.too_long:
                batch.counts.setdefault(entity, EntityCounts()).read += 1
                batch.reject(
                    Where(path.name, lines.too_long.pop(0)),
                    entity,
                    None,
                    f"line_too_long: the line is longer than {max_line:,} characters "
                    "(COMMONGROUND_IMPORT_MAX_LINE_LENGTH); its row was skipped",
                )
            count += 1
            if count % 2048 == 0:
                progress.done = base + raw.tell()
            if not any(value.strip() for value in values):
                continue
            row = dict(zip(header, [unguard(value) for value in values], strict=False))
            if len(values) != width and (len(values) < width or any(v.strip() for v in values[width:])):
                batch.flag(
                    Where(path.name, line),
                    entity,
                    text(row.get("id")),
                    "ragged_row",
                    f"{len(values)} cells where the header has {width}: the "
                    + ("cells past the header were dropped" if len(values) > width else "missing cells read as empty"),
                )
            yield line, row


def _descriptor(folder: Path) -> Path | None:
    """The package's datapackage.json, the one nearest the top when there are several."""
    found = sorted(folder.rglob("datapackage.json"), key=lambda p: (len(p.parts), str(p)))
    return found[0] if found else None


def _declared(descriptor: Path, root: Path, batch: Batch) -> Iterator[tuple[Path, str | None]]:
    """The files a descriptor declares, each by its path relative to the descriptor, else by the same
    file name anywhere in the package (exports move files into data/ and keep the old paths); a
    declared file found nowhere is listed in the report, not fatal. With each, its resource name."""
    try:
        package = json.loads(descriptor.read_text(encoding="utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as error:
        raise UnreadableInput(f"{descriptor.name}: not valid JSON ({error})") from None
    resources = package.get("resources") if isinstance(package, dict) else None
    for resource in resources if isinstance(resources, list) else []:
        if not isinstance(resource, dict):
            continue
        paths, name = resource.get("path"), resource.get("name")
        name = name if isinstance(name, str) else None
        for declared in [paths] if isinstance(paths, str) else paths if isinstance(paths, list) else []:
            if not isinstance(declared, str) or not declared.strip():
                continue
            target = (descriptor.parent / declared).resolve()
            if target.is_relative_to(root) and target.is_file():
                batch.found_by[_shown(target, root)] = "declared path"
                yield target, name
                continue
            same_name = sorted(
                (p for p in root.rglob(Path(declared).name) if p.is_file()), key=lambda p: (len(p.parts), str(p))
            )
            if same_name:
                batch.found_by[_shown(same_name[0], root)] = f"file name (declared as {declared})"
                yield same_name[0], name
            else:
                batch.missing_files.append(declared)


def _shown(path: Path, root: Path) -> str:
    """A file's name as the report shows it: its path inside the package."""
    return str(path.relative_to(root)) if path.is_relative_to(root) else path.name


def read_tabular(folder: Path, batch: Batch, progress: Progress, limits: Limits = DEFAULT_LIMITS) -> None:
    root = folder.resolve()
    descriptor = _descriptor(root)
    base = descriptor.parent if descriptor is not None else _package_root(root)
    files: list[tuple[Path, str | None]] = list(_declared(descriptor, root, batch)) if descriptor is not None else []
    declared = {path for path, _ in files}
    for entry in sorted(base.iterdir()):
        if entry in declared or not entry.is_file():
            continue
        if entry.suffix.lower() == ".csv":
            batch.found_by[_shown(entry, root)] = "in the package folder"
            files.append((entry, None))
        elif entry.name not in ("datapackage.json", "service_categories.json"):
            batch.ignored_files.append(entry.name)
    tables: dict[str, Path] = {}
    for entry, resource in files:
        table = TABLES.get(entry.stem.lower()) or TABLES.get((resource or "").lower())
        if table == "taxonomy":
            encoding, delimiter = _dialect(entry, limits.max_line_length)
            with entry.open(encoding=encoding, errors="replace", newline="") as handle:
                header = set(_header(next(csv.reader(handle, delimiter=delimiter), [])))
            # HSDS 1.x and Ohana call their term table taxonomy.csv; HSDS 3.0 has taxonomies.csv.
            if header & {"parent_id", "vocabulary", "taxonomy_id"}:
                table = "taxonomy_term"
        if table is None or table in tables:
            batch.ignored_files.append(entry.name)
            batch.found_by.pop(_shown(entry, root), None)
            continue
        tables[table] = entry
    folder = base
    batch.present.update(PRESENT[table] for table in tables if table in PRESENT)
    if not tables.keys() & {"organization", "service", "location"}:
        raise UnreadableInput(
            "no organizations, services or locations table (expected e.g. organizations.csv "
            "and services.csv, as HSDS or Ohana name them)"
        )
    done = 0

    def rows(table: str) -> Iterator[tuple[Where, dict[str, str]]]:
        nonlocal done
        if table not in tables:
            return
        path = tables[table]
        for line, row in _rows(path, progress, done, batch, PRESENT.get(table, table), limits.max_line_length):
            yield Where(path.name, line), row
        done += path.stat().st_size
        progress.done = done

    # Addresses wait on disk for their locations (a table of them can be as long as the locations').
    for table in ("address", "postal_address"):
        for _, row in rows(table):
            location = _key(row.get("location_id"))
            if location is None:
                continue
            if row.get("address_type", "physical") in ("physical", "") or table == "postal_address":
                address = {key: value for key, value in row.items() if key not in ("id", "location_id")}
                batch.spool.keep(f"address\x00{location}", address)

    for where, row in rows("organization"):
        batch.organization(where, row.get("id"), row)

    ohana_location_orgs: dict[str, str] = {}
    for where, row in rows("location"):
        if row.get("virtual", "").lower() in ("true", "t", "1", "yes"):
            row["location_type"] = "virtual"
        location_sid = _key(row.get("id")) or ""
        address = batch.spool.kept(f"address\x00{location_sid}") or {}
        batch.location(
            where,
            row.get("id"),
            row.get("organization_id"),
            {**address, **{k: v for k, v in row.items() if v}, "url": row.get("url") or row.get("website")},
        )
        if _key(row.get("organization_id")):
            ohana_location_orgs[location_sid] = row["organization_id"].strip()

    languages: dict[str, list[str]] = {}
    for _, row in rows("language"):
        if service := _key(row.get("service_id")):
            languages.setdefault(service, []).append(row.get("code") or row.get("name") or "")

    ohana_terms: dict[str, list[str]] = {}
    for where, row in rows("service"):
        sid = _key(row.get("id"))
        location = _key(row.get("location_id"))
        organization = row.get("organization_id") or ohana_location_orgs.get(location or "")
        fields = {
            **row,
            "url": row.get("url") or row.get("website"),
            "eligibility_description": row.get("eligibility_description") or row.get("eligibility"),
            "fees_description": row.get("fees_description") or row.get("fees"),
            "languages": languages.get(sid or "", []) + ([row["languages"]] if row.get("languages") else []),
        }
        kept = batch.service(where, sid, organization, fields)
        if "location_id" in row:
            batch.present.add("service_at_location")  # Ohana: services.csv holds the links
        if location and kept:
            # Ohana: a service belongs to one location.
            batch.service_at_location(where, kept and f"ohana:{kept}", kept, location)
        if taxonomy_ids := _key(row.get("taxonomy_ids")):
            ohana_terms.setdefault(sid or "", []).extend(part.strip() for part in taxonomy_ids.split(","))

    for where, row in rows("service_at_location"):
        batch.service_at_location(
            where, row.get("id"), row.get("service_id"), row.get("location_id"), row.get("description")
        )

    for where, row in rows("phone"):
        batch.phone(
            where,
            row.get("id"),
            row,
            {
                **row,
                "type": row.get("type") or row.get("number_type"),
                "description": row.get("description") or row.get("department"),
            },
        )

    for where, row in rows("schedule"):
        _hsds3_schedule(batch, where, row, row)
    for where, row in rows("regular_schedule"):
        batch.schedule(where, row.get("id"), row, row.get("weekday"), row.get("opens_at"), row.get("closes_at"), row)

    for where, row in rows("taxonomy"):
        batch.taxonomy(where, row.get("id"), row)
    codes: dict[str, str] = {}
    term_rows = list(rows("taxonomy_term"))
    for _, row in term_rows:
        if code := _key(row.get("taxonomy_id")) if "taxonomy_id" in row and "taxonomy" not in row else None:
            codes[code] = _key(row.get("id")) or code
    for where, row in term_rows:
        if codes:
            # Ohana: taxonomy_id holds the term's code and parent_id its parent's code.
            batch.taxonomy_term(
                where,
                row.get("id"),
                {**row, "code": row.get("taxonomy_id"), "vocabulary": row.get("vocabulary") or "Open Eligibility"},
                None,
                codes.get(_key(row.get("parent_id")) or "", row.get("parent_id")),
            )
        else:
            batch.taxonomy_term(where, row.get("id"), row, row.get("taxonomy_id"), row.get("parent_id"))

    # HSDS 3.1: each count names its unit by unit_id, a row of units.csv (or one of ours by its id).
    units = {sid.lower(): row for _, row in rows("unit") if (sid := _key(row.get("id"))) is not None}
    for where, row in rows("service_capacity"):
        unit = units.get((_key(row.get("unit_id")) or "").lower())
        batch.capacity(where, row.get("id"), row.get("service_id"), unit, row)

    for where, row in rows("attribute"):
        if (row.get("link_entity") or row.get("link_type") or "service").lower() == "service":
            batch.service_taxonomy_term(where, row.get("link_id"), row.get("taxonomy_term_id"))
    for where, row in rows("service_taxonomy"):
        batch.service_taxonomy_term(where, row.get("service_id"), row.get("taxonomy_id") or row.get("taxonomy_term_id"))
    for service, terms in ohana_terms.items():
        for term in terms:
            batch.service_taxonomy_term(Where("services.csv", 0), service, term)
    categories = folder / "service_categories.json"
    if categories.exists():
        _ohana_categories(categories, batch)


def _ohana_categories(path: Path, batch: Batch) -> None:
    """Ohana's service_categories.json: {service id: [taxonomy row id, ...]}."""
    try:
        links = json.loads(path.read_text(encoding="utf-8-sig"))
    except ValueError as error:
        raise UnreadableInput(f"{path.name}: not valid JSON ({error})") from None
    if not isinstance(links, dict):
        raise UnreadableInput(f"{path.name}: expected an object of service id to taxonomy ids")
    for number, (service, terms) in enumerate(links.items(), start=1):
        for term in dict.fromkeys(terms if isinstance(terms, list) else [terms]):
            batch.service_taxonomy_term(Where(path.name, number), service, term)


# -- flat CSV ----------------------------------------------------------------------------------

FLAT_COLUMNS = {
    "id": ("id", "facility_id", "record_id"),
    "name": ("name", "name1", "facility_name", "program_name", "organization", "organization_name", "agency"),
    "alternate_name": ("name2", "alternate_name"),
    "address_1": ("address1", "address_1", "address", "street", "street1"),
    "address_2": ("address2", "address_2", "street2"),
    "city": ("city",),
    "state_province": ("state", "state_province"),
    "postal_code": ("zip_code", "zip", "postal_code", "zipcode"),
    "phone": ("contact", "phone", "telephone", "phone_number"),
    "url": ("website", "url"),
    "description": ("description", "note", "notes"),
    "latitude": ("latitude", "lat", "y"),
    "longitude": ("longitude", "lon", "lng", "long", "x"),
    "keys": ("keys", "services", "service_codes", "categories"),
}


FLAT_NAMES = {name for names in FLAT_COLUMNS.values() for name in names}


def read_flat_csv(path: Path, batch: Batch, progress: Progress, limits: Limits = DEFAULT_LIMITS) -> None:
    """One listing per row: an organization, its service and its location share the row's id."""
    batch.present.update(("organization", "service", "location", "service_at_location", "phone", "address"))
    vocabulary = "samhsa"
    pick: dict[str, str] = {}
    names: dict[str, set[str]] = {}
    first_line: dict[str, int] = {}
    for line, row in _rows(path, progress, 0, batch, "service", limits.max_line_length):
        if not pick:
            for field, candidates in FLAT_COLUMNS.items():
                pick[field] = next((name for name in candidates if name in row), "")
            if not pick["name"]:
                raise UnreadableInput(
                    f"{path.name}: no name column (expected one of {', '.join(FLAT_COLUMNS['name'])})"
                )
        where = Where(path.name, line)
        counted = batch.counts["service"].read
        try:
            values = {field: row.get(column, "") if column else "" for field, column in pick.items()}
            values["country"] = "US" if pick["state_province"] else ""
            sid = text(values["id"]) or f"line-{line}"
            full_name = " / ".join(part for part in (text(values["name"]), text(values["alternate_name"])) if part)
            if batch.has("organization", sid) and full_name not in names.get(sid, ()):
                # Publishers reuse ids (SAMHSA's are built from phone and ZIP): a different name at the same id
                # is a different listing, keyed by id and name so a re-import still finds it.
                batch.flag(
                    where,
                    "organization",
                    sid,
                    "duplicate_source_id",
                    f"id {sid!r} is also used at line {first_line[sid]}; kept under {sid}~{full_name}",
                )
                sid = f"{sid}~{full_name}"
            names.setdefault(sid, set()).add(full_name)
            first_line.setdefault(sid, line)
            postal = text(values["postal_code"]) or ""
            if values["country"] == "US" and postal.isdigit() and 3 <= len(postal) < 5:
                values["postal_code"] = postal.zfill(5)  # spreadsheets drop the leading zeros of New England ZIPs
            organization = batch.organization(where, sid, values)
            service = batch.service(where, sid, organization, values)
            if organization is None or service is None:
                continue  # the row's rejection covers its location and phone
            location = batch.location(where, sid, organization, values)
            batch.service_at_location(where, sid, service, location)
            if text(values["phone"]):
                batch.phone(where, f"{sid}/phone", {"service": service}, {"number": values["phone"]})
            for code in dict.fromkeys(part.strip() for part in (values["keys"] or "").split("/")):
                if code and service:
                    term = f"{vocabulary}:{code}"
                    if term not in batch.pending["taxonomy_term"]:
                        batch.taxonomy_term(where, term, {"code": code, "name": code, "vocabulary": vocabulary})
                    batch.service_taxonomy_term(where, service, term)
        except RowError as error:
            _unreadable(batch, where, counted, error)
