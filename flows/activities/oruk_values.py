"""Lenient readers for single Open Referral UK values: text, dates, times, numbers, days, placeholders."""

from __future__ import annotations

import re
import uuid
from datetime import date, time
from typing import Any

from flows.activities.occurrences import split_byday

PLACEHOLDERS = frozenset({"string", "text", "example", "todo", "tbc", "tbd", "n/a", "na", "none", "null", "-", "?"})
_TIME = re.compile(r"^(\d{1,2})(?::|\.)?(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$", re.IGNORECASE)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
CAIRN_NAMESPACE = uuid.UUID("6f1d8a52-3c1e-4f0e-9a57-2f5b0c7e4a11")
"""Namespace of the stable ids Cairn makes for parts that came without one (uuid5 of the service id and part)."""


def make_id(*parts: object) -> str:
    """A stable UUID made from its parts, so the same input always gets the same id."""
    return str(uuid.uuid5(CAIRN_NAMESPACE, "/".join(str(part) for part in parts)))


def short(value: object, length: int = 8) -> str:
    """The first characters of an id, for a readable report line."""
    text = str(value)
    return text if len(text) <= length + 1 else f"{text[:length]}…"


def text(value: Any) -> str:
    """A stripped string, or "" for anything that is not text (numbers are written out)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def is_placeholder(value: str, field: str) -> bool:
    """Say whether a text is a template placeholder: its own field name (e.g. fees 'fees_description')."""
    word = value.strip().lower()
    names = {field.lower(), f"{field.lower()}_description", field.lower().replace("_", " ")}
    return word in names or word in PLACEHOLDERS


def identifier(value: Any) -> str:
    """An id as text: strings stripped, whole numbers written out, anything else empty."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return str(value)
    return value.strip() if isinstance(value, str) else ""


def parse_date(value: Any) -> date | None:
    """A date from "YYYY-MM-DD" (a date-time keeps its date); None when it is not one."""
    raw = text(value)
    if len(raw) < 10:
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        return None


def parse_time(value: Any) -> tuple[time | None, bool]:
    """A wall-clock time from "10:00", "10:00:00", "1000" or "10:00Z"/"09:00-05:00"; and whether a UTC offset
    other than zero was dropped."""
    raw = text(value)
    match = _TIME.match(raw)
    if not match:
        return None, False
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if hour == 24 and minute == 0 and second == 0:
        hour, minute, second = 23, 59, 59
    if hour > 23 or minute > 59 or second > 59:
        return None, False
    offset = (match[4] or "").upper()
    shifted = bool(offset) and offset != "Z" and offset.replace(":", "") not in ("+0000", "-0000", "+00", "-00")
    return time(hour, minute, second), shifted


def parse_number(value: Any) -> float | None:
    """A number from a JSON number or a text such as "£3.50"; None otherwise (and for NaN or infinity)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    else:
        found = _NUMBER.search(text(value).replace(",", ""))
        if not found:
            return None
        number = float(found[0])
    return number if number == number and abs(number) < 1e12 else None


def parse_whole(value: Any) -> int | None:
    """A whole number (ages, intervals) from a number or text; None otherwise."""
    number = parse_number(value)
    return int(number) if number is not None and number == int(number) else None


def split_list(value: Any) -> list[str]:
    """Items of a comma-separated text or a list of texts."""
    if isinstance(value, list):
        return [item for item in (text(part) for part in value) if item]
    return [part.strip() for part in text(value).split(",") if part.strip()]


def parse_byday(value: Any, ordinals: bool) -> tuple[tuple[str, ...], list[str]]:
    """Days such as "MO,1TU,-1FR" (ordinals only when allowed); returns the days kept and the parts refused."""
    kept: list[str] = []
    refused: list[str] = []
    for part in split_list(value):
        parsed = split_byday(part)
        if parsed is None:
            refused.append(part)
            continue
        number, day = parsed
        token = f"{number}{day}" if number is not None and ordinals else day
        if token not in kept:
            kept.append(token)
    return tuple(kept), refused


def parse_bymonthday(value: Any) -> tuple[tuple[int, ...], list[str]]:
    """Days of the month, 1 to 31 or -1 to -31; returns those kept and the parts refused."""
    kept: list[int] = []
    refused: list[str] = []
    for part in split_list(value):
        try:
            number = int(part)
        except ValueError:
            refused.append(part)
            continue
        if 1 <= abs(number) <= 31 and number not in kept:
            kept.append(number)
        elif number not in kept:
            refused.append(part)
    return tuple(kept), refused


def day_code(word: str) -> str:
    """A day as iCalendar writes it: "Monday", "mon" and "MO" all give "MO" (other text is returned as it is)."""
    cleaned = word.strip()
    if len(cleaned) > 2 and cleaned.isalpha() and cleaned[:2].upper() in ("MO", "TU", "WE", "TH", "FR", "SA", "SU"):
        return cleaned[:2].upper()
    return cleaned
