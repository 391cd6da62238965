"""The funder report: a date range, its figures (counts and averages only, small numbers hidden) and its CSV.

Figures come in as aggregates from the query layer; nothing here sees a member. Every figure names how many
members are behind it, and a figure about fewer than 10 members is hidden.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from flows.disclosure import THRESHOLD
from flows.insight import HIDDEN, LONDON, MEASURES_BY_KEY, exact, local_midnight, one_decimal

NOT_RECORDED = "not recorded"
DEFAULT_MONTHS = 3
LONGEST = timedelta(days=366 * 5)
EARLIEST = date(2000, 1, 1)
CHANGE_MEASURES = (
    "ons4.life_satisfaction",
    "ons4.worthwhile",
    "ons4.happiness",
    "ons4.anxiety",
    "who5",
    "swemwbs",
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class DateRange:
    """From the first day to the last, both included, in Europe/London."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        """The UTC instant the first day starts."""
        return local_midnight(self.first)

    @property
    def end(self) -> datetime:
        """The UTC instant after the last day ends."""
        return local_midnight(self.last + timedelta(days=1))

    @property
    def text(self) -> str:
        """The range in words: "1 September 2026 to 30 November 2026"."""
        return f"{_day(self.first)} to {_day(self.last)}"


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def months_before(day: date, months: int) -> date:
    """Return the same day `months` earlier, or the month's last day when it has fewer days."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    for day_number in range(day.day, 0, -1):
        try:
            return date(year, month + 1, day_number)
        except ValueError:
            continue
    raise ValueError("no such month")  # pragma: no cover (day 1 always exists)


def default_range(now: datetime) -> DateRange:
    """The last three months up to today, in London."""
    today = now.astimezone(LONDON).date()
    return DateRange(months_before(today, DEFAULT_MONTHS) + timedelta(days=1), today)


def parse_range(raw_from: str | None, raw_to: str | None, now: datetime) -> tuple[DateRange, str | None]:
    """Read the form's dates; on a mistake return the default range and a kind message saying what to change."""
    fallback = default_range(now)
    if not raw_from and not raw_to:
        return fallback, None
    first = _parse_date(raw_from) if raw_from else fallback.first
    last = _parse_date(raw_to) if raw_to else fallback.last
    if first is None or last is None:
        which = "start" if first is None else "end"
        return fallback, f"The {which} date was not one we could read. Please pick a date, such as 2026-09-01."
    if first > last:
        return fallback, "The start date is after the end date. Please swap them round."
    if first < EARLIEST:
        return fallback, "Please choose a start date in the year 2000 or later."
    if last - first > LONGEST:
        return fallback, "Please choose a range of five years or less."
    return DateRange(first, last), None


def _parse_date(raw: str) -> date | None:
    text = raw.strip()
    if not _DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class Change:
    """Sums over the members with two or more measures in the range: how many, their first and last values."""

    members: int
    first_total: float = 0.0
    last_total: float = 0.0


@dataclass(frozen=True)
class ReportCounts:
    """Every aggregate the report needs, straight from the query layer."""

    members_at_end: int
    new_members: int
    keeping_checkins: int
    engaged_members: int
    checkins: int
    changes: Mapping[str, Change]
    interested_members: int
    interested_answers: int
    going_members: int
    going_answers: int


@dataclass(frozen=True)
class Figure:
    """One line of the report: its section, what it is, the value shown, and the members behind it."""

    section: str
    label: str
    value: str
    members: str
    note: str = ""


@dataclass(frozen=True)
class OutcomeRow:
    """Average first, last and change of one measure, for members measured twice or more in the range."""

    label: str
    members: str
    first: str
    last: str
    change: str
    note: str


@dataclass(frozen=True)
class FunderReport:
    """The whole report, ready for HTML, PDF and CSV."""

    organisation: str
    period: DateRange
    reach: tuple[Figure, ...]
    engagement: tuple[Figure, ...]
    outcomes: tuple[OutcomeRow, ...]
    activities: tuple[Figure, ...]

    def figures(self) -> tuple[Figure, ...]:
        """Every figure, one per line, as the CSV lists them."""
        outcome_figures = tuple(
            Figure("Wellbeing change", f"{row.label}: {part}", value, row.members, row.note)
            for row in self.outcomes
            for part, value in (
                ("average first score", row.first),
                ("average last score", row.last),
                ("average change", row.change),
            )
        )
        return (*self.reach, *self.engagement, *outcome_figures, *self.activities)


def _count(section: str, label: str, count: int, members: int, note: str = "") -> Figure:
    if members < THRESHOLD:
        return Figure(section, label, HIDDEN, HIDDEN, note)
    return Figure(section, label, f"{count:,}", f"{members:,}", note)


def _signed(value: Decimal) -> str:
    return f"+{value}" if value > 0 else str(value)


def outcome_row(key: str, change: Change | None) -> OutcomeRow:
    """Show one measure's change, or hide it all when fewer than 10 members were measured twice."""
    measure = MEASURES_BY_KEY[key]
    note = "" if measure.higher_is_better else "A fall in anxiety is an improvement."
    if change is None or change.members < THRESHOLD:
        return OutcomeRow(measure.label, HIDDEN, HIDDEN, HIDDEN, HIDDEN, note)
    first, last = exact(change.first_total), exact(change.last_total)
    return OutcomeRow(
        measure.label,
        f"{change.members:,}",
        str(one_decimal(first / change.members)),
        str(one_decimal(last / change.members)),
        _signed(one_decimal((last - first) / change.members)),
        note,
    )


def build_report(organisation: str, period: DateRange, counts: ReportCounts) -> FunderReport:
    """Turn the aggregates into the report's figures."""
    reach = (
        _count("Reach", "Members at the end of the period", counts.members_at_end, counts.members_at_end),
        _count("Reach", "New members who joined in the period", counts.new_members, counts.new_members),
        _count(
            "Reach",
            "Members who chose to keep their check-ins (at the end of the period)",
            counts.keeping_checkins,
            counts.keeping_checkins,
        ),
    )
    engaged = counts.engaged_members
    per_member = one_decimal(Fraction(counts.checkins, engaged)) if engaged else Decimal(0)
    average = (
        Figure("Engagement", "Average check-ins per member who checked in", str(per_member), f"{engaged:,}")
        if engaged >= THRESHOLD
        else Figure("Engagement", "Average check-ins per member who checked in", HIDDEN, HIDDEN)
    )
    engagement = (
        _count("Engagement", "Members who completed at least one check-in", engaged, engaged),
        _count("Engagement", "Check-ins completed", counts.checkins, engaged),
        average,
    )
    outcomes = tuple(outcome_row(key, counts.changes.get(key)) for key in CHANGE_MEASURES)
    activities = (
        Figure(
            "Activities",
            "Activities suggested after check-ins",
            NOT_RECORDED,
            "",
            "Cairn does not keep which activities it suggested, nor why.",
        ),
        _count(
            "Activities",
            'Members who said "I\'m interested" to an activity',
            counts.interested_members,
            counts.interested_members,
            "Their latest answer, given in the period.",
        ),
        _count("Activities", '"I\'m interested" answers', counts.interested_answers, counts.interested_members),
        _count(
            "Activities",
            'Members who said "I\'ll go" to an activity',
            counts.going_members,
            counts.going_members,
            "Their latest answer, given in the period.",
        ),
        _count("Activities", '"I\'ll go" answers', counts.going_answers, counts.going_members),
        Figure(
            "Activities",
            "Activities attended",
            NOT_RECORDED,
            "",
            'Cairn does not record attendance; "I\'ll go" is what members said they would do.',
        ),
    )
    return FunderReport(organisation, period, reach, engagement, outcomes, activities)


CSV_HEADER = ("section", "figure", "value", "members", "note")


def report_csv(report: FunderReport) -> str:
    """Write the report as CSV: a header, two lines saying whose and when, then one line per figure."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerow(_safe(("Report", "Organisation", report.organisation, "", "")))
    writer.writerow(
        _safe(
            (
                "Report",
                "Period",
                f"{report.period.first.isoformat()} to {report.period.last.isoformat()}",
                "",
                "Dates in Europe/London",
            )
        )
    )
    for figure in report.figures():
        writer.writerow(_safe((figure.section, figure.label, figure.value, figure.members, figure.note)))
    return buffer.getvalue()


def _safe(cells: Sequence[str]) -> tuple[str, ...]:
    """Keep spreadsheets from reading a cell as a formula (a name starting with "=", for instance)."""
    return tuple(
        f"'{cell}" if cell[:1] in ("=", "@", "\t", "\r") or (cell[:1] in ("+", "-") and not _is_number(cell)) else cell
        for cell in cells
    )


def _is_number(cell: str) -> bool:
    try:
        Decimal(cell.replace(",", ""))
    except ArithmeticError:
        return False
    return True
