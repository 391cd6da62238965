"""A coordinator's draft of an activity: what they typed, read strictly, and turned into an `Activity`.

The draft is a small JSON-able dict kept in the conversation; editing an existing activity changes only the
fields in the draft and keeps everything else the listing had (imported details included).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flows.activities.areas import postcode_district
from flows.activities.model import Activity, CostOption, Location, Schedule
from flows.activities.occurrences import WEEKDAYS, zone_of

DEFAULT_TIMEZONE = "Europe/London"
MAX_NAME = 120
MAX_DESCRIPTION = 600
MAX_PLACE = 200
_CLOCK = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?$")
_AMOUNT = re.compile(r"^£?\s*(\d{1,4})(?:\.(\d{1,2}))?$")
_DATE_DMY = re.compile(r"^(\d{1,2})[/.\- ](\d{1,2})(?:[/.\- ](\d{2}|\d{4}))?$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_POSTCODE = re.compile(r"^([A-Z0-9]{2,4})\s*([0-9][A-Z]{2})$")


def parse_clock(text: str) -> time | None:
    """Read a time of day: "10", "10:30", "2pm", "2.30pm", "14:30"."""
    found = _CLOCK.fullmatch(text.strip().lower())
    if found is None:
        return None
    hour, minute, half = int(found[1]), int(found[2] or 0), found[3]
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    return time(hour, minute) if hour < 24 and minute < 60 else None


def parse_times(text: str) -> tuple[time, time | None] | None:
    """Read a start time, or a start and end: "10:00", "10:00-12:00", "10am to 12pm"."""
    parts = re.split(r"\s*(?:-|–|\bto\b|\buntil\b)\s*", text.strip().lower())
    if len(parts) == 1:
        start = parse_clock(parts[0])
        return (start, None) if start else None
    if len(parts) == 2:
        start, end = parse_clock(parts[0]), parse_clock(parts[1])
        return (start, end) if start and end and end != start else None
    return None


def parse_date(text: str, today: date) -> date | None:
    """Read a day from today on: "25/12", "25/12/2026", "2026-12-25" (no year: the next such day)."""
    cleaned = text.strip()
    iso = _DATE_ISO.fullmatch(cleaned)
    dmy = _DATE_DMY.fullmatch(cleaned)
    if iso:
        candidates = [(int(iso[1]), int(iso[2]), int(iso[3]))]
    elif dmy and dmy[3]:
        year = int(dmy[3])
        candidates = [(year + 2000 if year < 100 else year, int(dmy[2]), int(dmy[1]))]
    elif dmy:
        candidates = [(today.year + ahead, int(dmy[2]), int(dmy[1])) for ahead in range(5)]
    else:
        return None
    for year, month, day_of_month in candidates:
        try:
            day = date(year, month, day_of_month)
        except ValueError:
            continue
        if day >= today or iso or (dmy and dmy[3]):
            return day if today <= day <= today + timedelta(days=731) else None
    return None


def parse_amount(text: str) -> float | None:
    """Read a price in pounds: "3", "£3.50"."""
    found = _AMOUNT.fullmatch(text.strip())
    if found is None:
        return None
    pence = (found[2] or "0").ljust(2, "0")
    value = int(found[1]) + int(pence) / 100
    return value if value > 0 else None


def parse_postcode(text: str) -> str | None:
    """Read a venue's postcode (public, so kept whole): "eh6 8rg" -> "EH6 8RG"; a district alone is accepted too."""
    cleaned = " ".join(text.strip().upper().split())
    district = postcode_district(cleaned)
    if district is None:
        return None
    if district == cleaned:
        return district
    found = _POSTCODE.fullmatch(cleaned)
    return f"{found[1]} {found[2]}" if found else None


def build(draft: Mapping[str, Any], organisation_id: int, existing: Activity | None = None) -> Activity:
    """Apply a draft to an existing activity (only the fields it holds), or make a new one (ids left empty)."""
    base = existing or Activity(id="", organisation_id=organisation_id, name="", timezone=DEFAULT_TIMEZONE)
    changes: dict[str, Any] = {}
    if "name" in draft:
        changes["name"] = str(draft["name"])
    if "description" in draft:
        changes["description"] = str(draft["description"])
    if "start" in draft:
        changes["schedules"] = (_schedule(draft, base),)
    if "place" in draft:
        old = base.locations[0] if base.locations else None
        location = Location(
            id=old.id if old else "",
            name=str(draft["place"]),
            postcode=str(draft.get("postcode", "")),
            accessibility=old.accessibility if old else (),
        )
        changes["locations"] = (location, *base.locations[1:])
        changes["areas"] = (str(draft["area"]),) if draft.get("area") else ()
    if "free" in draft:
        old_id = base.cost_options[0].id if base.cost_options else ""
        amount = 0.0 if draft["free"] else float(draft.get("amount", 0.0))
        changes["cost_options"] = (CostOption(id=old_id, option="Free" if draft["free"] else "", amount=amount),)
    if "interests" in draft:
        changes["interests"] = tuple(str(term) for term in draft["interests"])
    return replace(base, **changes)


def _schedule(draft: Mapping[str, Any], base: Activity) -> Schedule:
    old_id = base.schedules[0].id if base.schedules else ""
    opens = time.fromisoformat(str(draft["start"]))
    closes = time.fromisoformat(str(draft["end"])) if draft.get("end") else None
    if draft.get("date"):
        return Schedule(id=old_id, dtstart=date.fromisoformat(str(draft["date"])), opens_at=opens, closes_at=closes)
    days = tuple(WEEKDAYS[int(day)] for day in sorted(draft.get("days", ())))
    return Schedule(id=old_id, freq="WEEKLY", byday=days, opens_at=opens, closes_at=closes)


def local_today(now: datetime, activity: Activity | None = None) -> date:
    """Today's date where the activity happens (Europe/London for a new one)."""
    zone = zone_of(activity) if activity is not None else ZoneInfo(DEFAULT_TIMEZONE)
    return now.astimezone(zone).date()
