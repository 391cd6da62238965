"""Check-in plans and when the next prompt is due, at the member's local time, across clock changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Europe/London"
DEFAULT_TIME = time(10, 0)
SEARCH_DAYS = 15


class Frequency(StrEnum):
    """How often a member wants to be asked."""

    DAILY = "daily"
    WEEKDAYS = "weekdays"  # chosen weekdays
    WEEKLY = "weekly"
    ON_REQUEST = "on_request"


@dataclass(frozen=True)
class CheckInPlan:
    """A member's plan: how often, on which days, at what local time, where, and the extra instrument."""

    frequency: Frequency = Frequency.DAILY
    weekdays: frozenset[int] = field(default_factory=lambda: frozenset(range(7)))  # 0 = Monday
    time_of_day: time = DEFAULT_TIME
    timezone: str = DEFAULT_TIMEZONE
    instrument_id: str | None = "ons4"
    instrument_every: int = 7

    def active_days(self) -> frozenset[int]:
        """Return the weekdays on which a prompt may fall."""
        if self.frequency is Frequency.DAILY:
            return frozenset(range(7))
        if self.frequency is Frequency.WEEKLY:
            return frozenset({min(self.weekdays)}) if self.weekdays else frozenset({0})
        if self.frequency is Frequency.WEEKDAYS:
            return self.weekdays
        return frozenset()


def valid_timezone(name: str) -> bool:
    """Say whether a name is a known IANA timezone."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def local_datetime(day: date, at: time, zone: ZoneInfo) -> datetime:
    """Return the moment a wall-clock time happens on a day, moving times in a spring-forward gap later.

    In a gap (01:30 on the last Sunday of March in London) the prompt comes at 02:30 local: the same
    moment as 01:30 on the old offset. In an overlap (01:30 on the last Sunday of October) it comes the
    first time the clock shows 01:30.
    """
    moment = datetime.combine(day, at, tzinfo=zone)
    round_trip = moment.astimezone(UTC).astimezone(zone)
    if round_trip.replace(tzinfo=None) != moment.replace(tzinfo=None):  # the wall time does not exist
        return round_trip
    return moment.replace(fold=0)


def next_due(plan: CheckInPlan, after: datetime) -> datetime | None:
    """Return the first prompt time strictly after `after` (UTC), or None if the member asks themselves."""
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    days = plan.active_days()
    if not days:
        return None
    zone = ZoneInfo(plan.timezone)
    start = after.astimezone(zone).date()
    for offset in range(SEARCH_DAYS):
        day = start + timedelta(days=offset)
        if day.weekday() not in days:
            continue
        candidate = local_datetime(day, plan.time_of_day, zone).astimezone(UTC)
        if candidate > after:
            return candidate
    return None


def local_day(moment: datetime, timezone: str) -> date:
    """Return the member's local date at a moment."""
    return moment.astimezone(ZoneInfo(timezone)).date()
