"""The coordinator's insight: weeks, measures and tables of aggregates with small numbers hidden.

Only counts, sums and averages come in (never a member's own answers); what goes out is ready to show, with
every figure about fewer than 10 members, or one that would give such a figure away, replaced by "hidden". The
weeks are complete weeks only, so the page does not change as each check-in arrives; a total is hidden whenever a
week in it is; an average at the very end of its scale (everyone answered the same) is hidden too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from flows.disclosure import THRESHOLD, CountTable, Position, suppress

LONDON = ZoneInfo("Europe/London")
HIDDEN = "hidden"
NO_AREA = "No area set"
INSIGHT_WEEKS = 12


@dataclass(frozen=True)
class Week:
    """An ISO week, Monday to Sunday, in Europe/London."""

    monday: date

    @property
    def label(self) -> str:
        """ISO name of the week, such as 2026-W47."""
        year, week, _ = self.monday.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def short(self) -> str:
        """Its Monday, as a coordinator reads it: "16 Nov"."""
        return f"{self.monday.day} {self.monday:%b}"


def local_midnight(day: date, zone: ZoneInfo = LONDON) -> datetime:
    """Return the UTC instant at which a day starts in a zone."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def weeks_between(first: date, last: date) -> tuple[Week, ...]:
    """Return the ISO weeks that hold any day from `first` to `last`, oldest first."""
    monday = first - timedelta(days=first.weekday())
    found = []
    while monday <= last:
        found.append(Week(monday))
        monday += timedelta(days=7)
    return tuple(found)


def recent_weeks(now: datetime, count: int = INSIGHT_WEEKS) -> tuple[Week, ...]:
    """Return the last `count` complete ISO weeks in London, ending with the week before the one that holds `now`.

    The week still running is left out: its figures would change with every check-in, and someone reloading the
    page could watch each one arrive.
    """
    today = now.astimezone(LONDON).date()
    this_monday = today - timedelta(days=today.weekday())
    return weeks_between(this_monday - timedelta(days=7 * count), this_monday - timedelta(days=1))


def week_bounds(weeks: Sequence[Week]) -> tuple[datetime, ...]:
    """Return the UTC starts of each week and the end of the last one (Monday 00:00 London time)."""
    if not weeks:
        return ()
    return (*(local_midnight(week.monday) for week in weeks), local_midnight(weeks[-1].monday + timedelta(days=7)))


@dataclass(frozen=True)
class Measure:
    """Something averaged: the mood answer, an instrument's total, or one ONS4 measure."""

    key: str
    label: str
    instrument_id: str | None  # None: the mood answer of every check-in
    measure: str | None  # a key of the score's measures (ONS4); None: the score's total
    low: float
    high: float
    higher_is_better: bool = True


MEASURES = (
    Measure("mood", "Mood at check-in (1 very low to 5 great)", None, None, 1, 5),
    Measure("who5", "WHO-5 wellbeing (0 to 100)", "who5", None, 0, 100),
    Measure("swemwbs", "SWEMWBS wellbeing (metric score, 7 to 35)", "swemwbs", None, 7, 35),
    Measure("ons4.life_satisfaction", "ONS4 life satisfaction (0 to 10)", "ons4", "life_satisfaction", 0, 10),
    Measure("ons4.worthwhile", "ONS4 things I do are worthwhile (0 to 10)", "ons4", "worthwhile", 0, 10),
    Measure("ons4.happiness", "ONS4 happiness yesterday (0 to 10)", "ons4", "happiness", 0, 10),
    Measure("ons4.anxiety", "ONS4 anxiety yesterday (0 to 10, lower is better)", "ons4", "anxiety", 0, 10, False),
)
MEASURES_BY_KEY = {measure.key: measure for measure in MEASURES}


def measure_named(key: str | None) -> Measure:
    """Return the measure with a key, or mood for anything unknown."""
    return MEASURES_BY_KEY.get(key or "", MEASURES[0])


@dataclass(frozen=True)
class Aggregate:
    """What a group adds up to: how many members, how many values, and their sum."""

    members: int
    observations: int = 0
    total: float = 0.0

    def mean(self) -> Decimal | None:
        """Return the average value rounded to one decimal (half up), or None without values."""
        if not self.observations:
            return None
        return one_decimal(exact(self.total) / self.observations)


def exact(value: float) -> Fraction:
    """Turn a database sum into an exact fraction, dropping float noise beyond 6 decimals."""
    return Fraction(Decimal(repr(round(value, 6))))


def one_decimal(value: Fraction | Decimal | int) -> Decimal:
    """Round to one decimal place, half away from zero, as people round by hand."""
    fraction = Fraction(value)
    quantised = (Decimal(fraction.numerator) / Decimal(fraction.denominator)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )
    return quantised + Decimal("0.0")  # never "-0.0"


@dataclass(frozen=True)
class Shown:
    """One figure as shown: its text, or "hidden"; `value` feeds the charts."""

    text: str
    value: float | None
    members: int | None

    @property
    def hidden(self) -> bool:
        """Say whether the figure is hidden."""
        return self.value is None


HIDDEN_FIGURE = Shown(HIDDEN, None, None)


def shown_count(count: int, hidden: bool) -> Shown:
    """Show a count of members or check-ins, or hide it."""
    return HIDDEN_FIGURE if hidden else Shown(f"{count:,}", float(count), count)


def at_scale_end(mean: Decimal | None, measure: Measure) -> bool:
    """Say whether an average, as shown, is the lowest or highest the scale allows: it would show everyone's answer."""
    return mean is not None and float(mean) in (float(measure.low), float(measure.high))


def shown_mean(aggregate: Aggregate | None, hidden: bool, measure: Measure | None = None) -> Shown:
    """Show an average, or hide it (also when there is nothing to average, or when it is at an end of the scale)."""
    mean = aggregate.mean() if aggregate is not None else None
    if hidden or aggregate is None or mean is None:
        return HIDDEN_FIGURE
    if measure is not None and at_scale_end(mean, measure):
        return HIDDEN_FIGURE
    return Shown(str(mean), float(mean), aggregate.members)


def area_label(area: str | None) -> str:
    """Name an area for the table: a district as stored, a neighbourhood capitalised, or "No area set"."""
    if not area:
        return NO_AREA
    return area if area.isupper() else area.title()


def ordered_areas(areas: Sequence[str | None]) -> list[str | None]:
    """Sort areas by name, with "No area set" last."""
    return sorted(set(areas), key=lambda area: (area is None, area or ""))


@dataclass(frozen=True)
class CountRow:
    """A row of a one-column table of counts."""

    label: str
    members: Shown


@dataclass(frozen=True)
class MembersTable:
    """Members by area, with the total."""

    rows: tuple[CountRow, ...]
    total: Shown


def members_table(by_area: Mapping[str | None, int]) -> MembersTable:
    """Build the members-by-area table; areas are disjoint, so the total is the sum.

    Every area listed has at least one member, which a reader knows: two hidden areas of one member each would
    follow from the total, so the disclosure check counts every hidden area as at least 1.
    """
    areas = ordered_areas(list(by_area))
    total = sum(by_area.values())
    table = CountTable(tuple((by_area[area],) for area in areas), column_totals=(total,))
    hidden = suppress(table, known_zeros=True)
    rows = tuple(
        CountRow(area_label(area), shown_count(by_area[area], (index, 0) in hidden)) for index, area in enumerate(areas)
    )
    return MembersTable(rows, shown_count(total, (len(areas), 0) in hidden))


@dataclass(frozen=True)
class WeekRow:
    """One week of check-ins: the members who checked in, and the check-ins."""

    week: Week
    members: Shown
    checkins: Shown


@dataclass(frozen=True)
class CheckinsTable:
    """Check-ins per week, with members over all the weeks and the check-ins added up."""

    rows: tuple[WeekRow, ...]
    members: Shown
    checkins: Shown


def checkins_table(weeks: Sequence[Week], per_week: Mapping[int, Aggregate], members: int) -> CheckinsTable:
    """Build the check-ins table; `per_week` maps a week's index to (members, check-ins), `members` is distinct.

    A week with fewer than 10 members checking in is hidden. The totals are hidden whenever any week is: the
    check-ins total is the sum of the weeks, and the other hidden weeks (often empty) would not protect a hidden
    week from it.
    """
    counts = [per_week.get(index, Aggregate(0)) for index in range(len(weeks))]
    rows = tuple(
        WeekRow(
            week,
            shown_count(count.members, count.members < THRESHOLD),
            shown_count(count.observations, count.members < THRESHOLD),
        )
        for week, count in zip(weeks, counts, strict=True)
    )
    total_hidden = members < THRESHOLD or any(row.checkins.hidden for row in rows)
    checkins = sum(count.observations for count in counts)
    return CheckinsTable(rows, shown_count(members, total_hidden), shown_count(checkins, total_hidden))


@dataclass(frozen=True)
class AverageRow:
    """One area's averages, week by week, and over all the weeks."""

    label: str
    cells: tuple[Shown, ...]
    overall: Shown


@dataclass(frozen=True)
class AverageTable:
    """Average of a measure by area and week, with all areas and all weeks."""

    measure: Measure
    weeks: tuple[Week, ...]
    rows: tuple[AverageRow, ...]
    all_areas: AverageRow


def averages_table(
    measure: Measure,
    weeks: Sequence[Week],
    cells: Mapping[tuple[str | None, int], Aggregate],
    by_area: Mapping[str | None, Aggregate],
    by_week: Mapping[int, Aggregate],
    overall: Aggregate,
) -> AverageTable:
    """Build the averages table; a cell is hidden by the counts of members behind it and its neighbours.

    Empty cells count as known (they protect nothing), and an average at an end of the scale is hidden and then
    protected like a small cell, so that it cannot be worked back from the averages beside it.
    """
    areas = ordered_areas([area for area, _ in cells] + list(by_area))
    span = range(len(weeks))
    empty = Aggregate(0)
    bottom, right = len(areas), len(weeks)
    grid = tuple(tuple(cells.get((area, week), empty).members for week in span) for area in areas)
    counts = CountTable(
        grid,
        row_totals=tuple(by_area.get(area, empty).members for area in areas),
        column_totals=tuple(by_week.get(week, empty).members for week in span),
        grand_total=overall.members,
    )
    aggregates: dict[Position, Aggregate | None] = {
        **{(row, week): cells.get((area, week)) for row, area in enumerate(areas) for week in span},
        **{(row, right): by_area.get(area) for row, area in enumerate(areas)},
        **{(bottom, week): by_week.get(week) for week in span},
        (bottom, right): overall,
    }
    ends = [position for position, value in aggregates.items() if value and at_scale_end(value.mean(), measure)]
    hidden = suppress(counts, known_zeros=True, also=ends)

    def shown(position: Position) -> Shown:
        return shown_mean(aggregates[position], position in hidden, measure)

    rows = tuple(
        AverageRow(area_label(area), tuple(shown((row, week)) for week in span), shown((row, right)))
        for row, area in enumerate(areas)
    )
    all_areas = AverageRow("All areas", tuple(shown((bottom, week)) for week in span), shown((bottom, right)))
    return AverageTable(measure, tuple(weeks), rows, all_areas)
