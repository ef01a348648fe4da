"""Durations written the way people write them: 90m, 24h, 7d, 3600s or plain seconds."""

import datetime as dt
import re

from service.errors import InvalidInput

_DURATION = re.compile(r"^\s*(\d{1,7})\s*([smhd]?)\s*$")
_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(raw: str, field: str) -> dt.timedelta:
    """A positive duration of at most a year."""
    match = _DURATION.match(raw.lower())
    if not match:
        raise InvalidInput(field, f"expected a duration such as 90m, 24h or 7d, not {raw!r}")
    seconds = int(match[1]) * _SECONDS[match[2]]
    if not 0 < seconds <= 366 * 86400:
        raise InvalidInput(field, "must be more than 0 and at most 366d")
    return dt.timedelta(seconds=seconds)
