"""Parsing single roster values: timestamps, dates, booleans and id lists."""
from __future__ import annotations

import functools
import re
from datetime import date, datetime, timezone
from typing import Optional

_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}
_FRACTION = re.compile(r"\.(\d+)")


class BadValue(ValueError):
    """A value that cannot be read; the message says which column and why."""


@functools.lru_cache(maxsize=4096)
def parse_timestamp(text: Optional[str], column: str = "dateLastModified") -> Optional[datetime]:
    """ISO 8601 timestamp ("2024-08-15T12:00:00.000Z", or a date) as aware UTC; empty -> None."""
    if not text:
        return None
    value = text.strip().replace("Z", "+00:00").replace("z", "+00:00")
    value = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], value, count=1)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadValue(f"bad date in {column}: {text!r} (expected ISO 8601 like 2024-08-15T12:00:00Z)") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


@functools.lru_cache(maxsize=65536)
def parse_date(text: Optional[str], column: str = "birthDate") -> Optional[date]:
    """A calendar date as OneRoster writes it (YYYY-MM-DD); empty -> None."""
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip()[:10] if "T" in text else text.strip())
    except ValueError:
        raise BadValue(f"bad date in {column}: {text!r} (expected YYYY-MM-DD)") from None


def parse_bool(text: Optional[str], column: str, default: bool) -> bool:
    """true/false (also yes/no, 1/0); empty -> `default`."""
    if not text:
        return default
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise BadValue(f"bad value in {column}: {text!r} (expected true or false)")


def split_ids(text: Optional[str]) -> list[str]:
    """A comma-separated id list, trimmed, without empties or repeats, in order."""
    if not text:
        return []
    return list(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))


def text_or_none(text: Optional[str]) -> Optional[str]:
    """Empty strings become None so "no value" compares equal however it was written."""
    return text if text else None
