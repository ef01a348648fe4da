"""Spreadsheet-safe CSV cells: a text that a spreadsheet would run as a formula is written with a
leading apostrophe (OWASP's CSV injection guidance, CWE-1236), and the importer takes it off again,
so an export imports back to exactly what was stored."""

import re

# What makes a spreadsheet read a cell as a formula: =, +, -, @, tab and carriage return (OWASP), and
# their full-width forms, which some locales' spreadsheets treat alike.
_FORMULA = re.compile(r"'*[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]")
# A plain number is read as a number, never run: "-122.68" and "+15035550100" stay as they are.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_GUARDED = re.compile(r"'+[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]")


def guard(value: str) -> str:
    """The cell to write: the value, or the value behind an apostrophe when a spreadsheet would run it.

    Values that already start with apostrophes before such a character get one more, so that
    unguard() is its exact inverse."""
    if _FORMULA.match(value) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def unguard(value: str) -> str:
    """The value a cell written by guard() holds."""
    if value.startswith("'") and _GUARDED.match(value):
        return value[1:]
    return value
