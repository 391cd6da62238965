"""The funder report's period: whole calendar months that have ended, read from the form's "2026-09" months.

A fixed grid of months, rather than free start and end days, keeps two reports from being one day apart (their
difference would be one day's joiners or check-ins); a month still running is refused, so a report does not change
from one day to the next.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flows.insight import LONDON, local_midnight

DEFAULT_MONTHS = 3
LONGEST_MONTHS = 60
EARLIEST = date(2000, 1, 1)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    """Return the first day of the month `count` months after (or before, when negative) `month`'s."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def _month_end(month: date) -> date:
    return add_months(month, 1) - timedelta(days=1)


@dataclass(frozen=True)
class DateRange:
    """Whole calendar months in Europe/London: from the first day of one month to the last day of another."""

    first: date
    last: date

    def __post_init__(self) -> None:
        """Refuse a range that does not start on a month's first day and end on a month's last day."""
        if self.first.day != 1 or self.last != _month_end(self.last):
            raise ValueError("a report covers whole calendar months")
        if self.first > self.last:
            raise ValueError("the first month is after the last")

    @classmethod
    def months(cls, first_month: date, last_month: date) -> DateRange:
        """The months from `first_month`'s to `last_month`'s, both whole."""
        return cls(_month_start(first_month), _month_end(last_month))

    @property
    def start(self) -> datetime:
        """The UTC instant the first day starts."""
        return local_midnight(self.first)

    @property
    def end(self) -> datetime:
        """The UTC instant after the last day ends."""
        return local_midnight(self.last + timedelta(days=1))

    @property
    def from_month(self) -> str:
        """The first month as the form writes it: "2026-09"."""
        return f"{self.first:%Y-%m}"

    @property
    def to_month(self) -> str:
        """The last month as the form writes it: "2026-10"."""
        return f"{self.last:%Y-%m}"

    @property
    def text(self) -> str:
        """The range in words: "September 2026 to October 2026", or "September 2026" for one month."""
        first, last = f"{self.first:%B %Y}", f"{self.last:%B %Y}"
        return first if first == last else f"{first} to {last}"


def latest_month(now: datetime) -> date:
    """The first day of the last month that has ended, in London."""
    return add_months(_month_start(now.astimezone(LONDON).date()), -1)


def default_range(now: datetime) -> DateRange:
    """The last three months that have ended, in London."""
    last = latest_month(now)
    return DateRange.months(add_months(last, 1 - DEFAULT_MONTHS), last)


def parse_range(raw_from: str | None, raw_to: str | None, now: datetime) -> tuple[DateRange, str | None]:
    """Read the form's months; on a mistake return the default range and a kind message saying what to change."""
    fallback = default_range(now)
    if not raw_from and not raw_to:
        return fallback, None
    latest = latest_month(now)
    for raw in (raw_from, raw_to):
        if raw and _DAY.fullmatch(raw.strip()):
            return fallback, (
                "Reports cover whole calendar months, so that two reports cannot be compared day by day. "
                "Please pick a month, such as 2026-09, rather than a day."
            )
    first = _parse_month(raw_from) if raw_from else fallback.first
    last = _parse_month(raw_to) if raw_to else latest
    if first is None or last is None:
        which = "start" if first is None else "end"
        return fallback, f"The {which} month was not one we could read. Please pick a month, such as 2026-09."
    if first > last:
        return fallback, "The start month is after the end month. Please swap them round."
    if first < EARLIEST:
        return fallback, "Please choose a start month in the year 2000 or later."
    if last > latest:
        return fallback, (
            "A report covers only months that have ended, so that it does not change from one day to the next. "
            f"The latest month you can choose is {latest:%B %Y}."
        )
    if add_months(first, LONGEST_MONTHS) <= last:
        return fallback, "Please choose five years or less."
    return DateRange.months(first, last), None


def _parse_month(raw: str) -> date | None:
    found = _MONTH.fullmatch(raw.strip())
    if found is None:
        return None
    try:
        return date(int(found.group(1)), int(found.group(2)), 1)
    except ValueError:
        return None
