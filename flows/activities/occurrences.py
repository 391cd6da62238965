"""When an activity's sessions happen: its schedules' recurrences, in its own time zone (pure).

Rules, after iCalendar (RFC 5545) where Open Referral UK is silent:

- DAILY, WEEKLY and MONTHLY repeat every `interval` days, weeks (weeks start on Monday) or months counted
  from `dtstart` (or `valid_from` when there is no `dtstart`; with neither, `interval` is taken as 1).
- DAILY with a `byday` runs only on those days.
- WEEKLY uses `byday` (plain days; an ordinal such as "1MO" counts as its day) and ignores `bymonthday`,
  which iCalendar does not allow with WEEKLY. With no `byday`, the day of `dtstart`.
- MONTHLY: `byday` may carry ordinals ("1MO" first Monday, "-1FR" last Friday; a plain "MO" is every Monday);
  `bymonthday` may be negative (-1 is the last day). When both are set, a session is on a day that matches both
  (as in iCalendar). With neither, the day of the month of `dtstart`.
- No `freq`: a one-off on `dtstart` (or on `valid_from` when it equals `valid_to`).
- `dtstart`, `valid_from` and `valid_to` bound the sessions (inclusive, by local date).
- A session starts at `opens_at` local time; without `opens_at` it is an all-day session (local midnight). A
  `closes_at` at or before `opens_at` ends the next day. A start time that does not exist (the hour the clocks go
  forward) moves forward with the clocks; an ambiguous one (the hour they go back) is the first of the two.
- Cancelled dates are skipped. Only active services have sessions.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flows.activities.model import Activity, Occurrence, Schedule, ServiceStatus

DEFAULT_TIMEZONE = "Europe/London"
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY")
HORIZON = timedelta(days=400)
"""How far ahead `next_occurrence` and `has_future_sessions` look (a yearly pattern shows within it)."""


def zone_of(activity: Activity) -> tzinfo:
    """Return the activity's time zone, or Europe/London when its name is unknown."""
    try:
        return ZoneInfo(activity.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def split_byday(token: str) -> tuple[int | None, str] | None:
    """Split "-1FR" into (-1, "FR") and "MO" into (None, "MO"); None if it is not a day."""
    token = token.strip().upper()
    day, ordinal = token[-2:], token[:-2]
    if day not in WEEKDAYS:
        return None
    if not ordinal:
        return None, day
    try:
        number = int(ordinal)
    except ValueError:
        return None
    return (number, day) if number and -5 <= number <= 5 else None


def _anchor(schedule: Schedule) -> date | None:
    return schedule.dtstart or schedule.valid_from


def _first_day(schedule: Schedule) -> date | None:
    """The earliest local date a session may fall on."""
    bounds = [value for value in (schedule.dtstart, schedule.valid_from) if value is not None]
    return max(bounds) if bounds else None


def _one_off_day(schedule: Schedule) -> date | None:
    if schedule.dtstart is not None:
        return schedule.dtstart
    if schedule.valid_from is not None and schedule.valid_from == schedule.valid_to:
        return schedule.valid_from
    return None


def _weekday_set(schedule: Schedule) -> set[int]:
    days = {WEEKDAYS.index(parsed[1]) for token in schedule.byday if (parsed := split_byday(token))}
    if not days and schedule.dtstart is not None:
        days = {schedule.dtstart.weekday()}
    return days


def _month_day_matches(schedule: Schedule, day: date) -> bool:
    length = calendar.monthrange(day.year, day.month)[1]
    if schedule.bymonthday:
        wanted = {value if value > 0 else length + value + 1 for value in schedule.bymonthday}
        if day.day not in wanted:
            return False
    parsed = [found for token in schedule.byday if (found := split_byday(token))]
    if parsed:
        weekday = WEEKDAYS[day.weekday()]
        from_start = (day.day - 1) // 7 + 1
        from_end = -((length - day.day) // 7 + 1)
        return any(name == weekday and ordinal in (None, from_start, from_end) for ordinal, name in parsed)
    if schedule.bymonthday:
        return True
    return schedule.dtstart is not None and day.day == schedule.dtstart.day


def _in_step(schedule: Schedule, day: date) -> bool:
    anchor = _anchor(schedule)
    interval = max(1, schedule.interval)
    if interval == 1 or anchor is None:
        return True
    if schedule.freq == "DAILY":
        return (day - anchor).days % interval == 0
    if schedule.freq == "WEEKLY":
        weeks = ((day - timedelta(days=day.weekday())) - (anchor - timedelta(days=anchor.weekday()))).days // 7
        return weeks % interval == 0
    months = (day.year - anchor.year) * 12 + day.month - anchor.month
    return months % interval == 0


def runs_on(schedule: Schedule, day: date) -> bool:
    """Say whether a schedule has a session on a local date (ignoring cancellations and status)."""
    first = _first_day(schedule)
    if (first is not None and day < first) or (schedule.valid_to is not None and day > schedule.valid_to):
        return False
    if schedule.freq is None:
        return day == _one_off_day(schedule)
    if schedule.freq not in FREQUENCIES or not _in_step(schedule, day):
        return False
    if schedule.freq == "DAILY":
        return not schedule.byday or day.weekday() in _weekday_set(schedule)
    if schedule.freq == "WEEKLY":
        return day.weekday() in _weekday_set(schedule)
    return _month_day_matches(schedule, day)


def _local(day: date, at: time, zone: tzinfo) -> datetime:
    """Wall-clock time on a day; a time in the spring gap moves forward with the clocks."""
    naive = datetime.combine(day, at.replace(tzinfo=None))
    return naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)


def _session(activity: Activity, schedule: Schedule, day: date, zone: tzinfo) -> Occurrence:
    if schedule.opens_at is None:
        return Occurrence(activity.id, _local(day, time(0), zone), None, all_day=True)
    starts = _local(day, schedule.opens_at, zone)
    ends = None
    if schedule.closes_at is not None:
        closing_day = day + timedelta(days=1) if schedule.closes_at <= schedule.opens_at else day
        ends = _local(closing_day, schedule.closes_at, zone)
    return Occurrence(activity.id, starts, ends)


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def occurrences(activity: Activity, start: datetime, end: datetime, limit: int | None = None) -> list[Occurrence]:
    """List the sessions starting in [start, end), earliest first (aware datetimes in the activity's zone)."""
    if activity.status is not ServiceStatus.ACTIVE or end <= start:
        return []
    zone = zone_of(activity)
    first_day = start.astimezone(zone).date()
    last_day = end.astimezone(zone).date()
    found: dict[datetime, Occurrence] = {}
    for schedule in activity.schedules:
        if is_expired(schedule, first_day):
            continue
        lower = max(first_day, _first_day(schedule) or first_day)
        upper = min(last_day, schedule.valid_to or last_day)
        for day in _days(lower, upper):
            if day in activity.cancelled_dates or not runs_on(schedule, day):
                continue
            session = _session(activity, schedule, day, zone)
            if start <= session.starts_at < end and session.starts_at not in found:
                found[session.starts_at] = session
    ordered = sorted(found.values(), key=lambda session: session.starts_at)
    return ordered[:limit] if limit is not None else ordered


def next_occurrence(activity: Activity, after: datetime, horizon: timedelta = HORIZON) -> Occurrence | None:
    """Return the first session starting at or after `after`, within the horizon."""
    step = timedelta(days=35)
    cursor = after
    while cursor < after + horizon:
        window_end = min(cursor + step, after + horizon)
        found = occurrences(activity, cursor, window_end, limit=1)
        if found:
            return found[0]
        cursor = window_end
    return None


def is_expired(schedule: Schedule, today: date) -> bool:
    """Say whether a schedule ended before a local date (its valid_to, or a one-off's day, is in the past)."""
    if schedule.valid_to is not None and schedule.valid_to < today:
        return True
    if schedule.freq is None:
        day = _one_off_day(schedule)
        return day is None or day < today
    return False


def has_future_sessions(activity: Activity, now: datetime, horizon: timedelta = HORIZON) -> bool:
    """Say whether an activity has any session from now on (within the horizon)."""
    return next_occurrence(activity, now, horizon) is not None
