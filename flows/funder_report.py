"""The funder report: whole calendar months, their figures (counts and averages only, small numbers hidden), its CSV.

Figures come in as aggregates from the query layer; nothing here sees a member. A figure about fewer than 10
members is hidden, and so is one that would give a hidden group away by subtraction from another figure of the same
report (`flows.disclosure` checks the report's own sums). The period is a run of whole months that have ended, so a
report cannot be moved by a day to see one day's joiners or check-ins; what comparing reports can still show is
said on the report itself (`COMPARING`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from flows.disclosure import THRESHOLD, LinkedCounts, suppress_linked
from flows.insight import HIDDEN, MEASURES_BY_KEY, at_scale_end, exact, one_decimal
from flows.report_period import DateRange

SUGGESTED_NOTE = (
    "Suggestions shown to members after check-ins, counted per day; Cairn keeps no record of which activity was "
    "suggested to whom, nor why."
)
ATTENDED_NOTE = (
    "People at the sessions held in the period, as coordinators counted them; "
    '"I\'ll go" is what members said they would do.'
)
BAND = 5
CHANGE_MEASURES = (
    "ons4.life_satisfaction",
    "ons4.worthwhile",
    "ons4.happiness",
    "ons4.anxiety",
    "who5",
    "swemwbs",
)

ABOUT_FIGURES = (
    "Counts and averages only: no figure is about one person. Any figure about fewer than 10 members shows as "
    '"hidden". Within this report, a figure is hidden too when taking it from another figure would give a hidden '
    "group away (members at the end minus members who checked in, for instance). An average at the very top or "
    "bottom of its scale is hidden, as it would show everyone's answer, and the members behind an average are given "
    "in bands of five, not exactly. Check-ins and scores count only for members who agree, today, to Cairn keeping "
    "their check-ins; staff are never counted."
)
COMPARING = (
    "Reports cover whole calendar months that have ended, so they cannot be moved by a day. Comparing two reports "
    "can still give a small number away: members at the end of October minus members at the end of September is "
    "the number who joined in October, even when that is under 10, and the same months reported again after a "
    "member has left, or has stopped letting Cairn keep their check-ins, differ by that member. The insight page "
    "can be compared with a report in the same way. Please share reports for neighbouring or overlapping months, "
    "or for the same months on different days, with this in mind."
)


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
    suggested: int = 0  # activity suggestions shown after check-ins (a daily tally: no member behind it)
    attended: int = 0  # coordinators' headcounts of sessions held in the period


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


SPARE = frozenset({"keeping", "interested_answers", "going_answers"})
LINKS = (
    (("start", "new"), "end"),  # members at the start are not shown, but follow from these two
    (("keeping", "not_keeping"), "end"),
    (("engaged", "not_engaged"), "end"),
    (("engaged", "idle"), "keeping"),
    (("interested", "not_interested"), "end"),
    (("going", "not_going"), "end"),
    (("engaged", "repeats"), "checkins"),  # check-ins beyond each member's first
    (("interested", "extra_interested"), "interested_answers"),
    (("going", "extra_going"), "going_answers"),
)  # each sum's second part is the difference of two shown figures: a group that is never displayed itself
UNSHOWN = frozenset(parts[1] for parts, _ in LINKS)


def linked_counts(counts: ReportCounts) -> LinkedCounts:
    """The report's counts and every sum between them that a reader could take one figure from another with.

    Each difference of two figures about nested groups (members at the end and those who checked in, say) is a
    group of its own, never displayed; it too must not be under 10 unless one of the two is hidden.
    """
    end, keeping, engaged = counts.members_at_end, counts.keeping_checkins, counts.engaged_members
    values = {
        "end": end,
        "start": end - counts.new_members,
        "new": counts.new_members,
        "keeping": keeping,
        "not_keeping": end - keeping,
        "engaged": engaged,
        "not_engaged": end - engaged,
        "idle": keeping - engaged,
        "checkins": counts.checkins,
        "repeats": counts.checkins - engaged,
        "interested": counts.interested_members,
        "not_interested": end - counts.interested_members,
        "interested_answers": counts.interested_answers,
        "extra_interested": counts.interested_answers - counts.interested_members,
        "going": counts.going_members,
        "not_going": end - counts.going_members,
        "going_answers": counts.going_answers,
        "extra_going": counts.going_answers - counts.going_members,
        "suggested": counts.suggested,
        "attended": counts.attended,
    }
    return LinkedCounts.of(values, LINKS, UNSHOWN, SPARE)


def _shown(count: int, hidden: bool) -> str:
    return HIDDEN if hidden else f"{count:,}"


def members_band(members: int) -> str:
    """How many members are behind an average, as a band of five ("20 to 24"): never the exact number."""
    low = members // BAND * BAND
    return f"{low} to {low + BAND - 1}"


def _signed(value: Decimal) -> str:
    return f"+{value}" if value > 0 else str(value)


def outcome_row(key: str, change: Change | None) -> OutcomeRow:
    """Show one measure's change, or hide the whole row.

    The row is hidden when fewer than 10 members were measured twice, and when the average first or last score is
    at an end of the scale (everyone gave the same answer): the row then reads as one of too few members.
    """
    measure = MEASURES_BY_KEY[key]
    note = "" if measure.higher_is_better else "A fall in anxiety is an improvement."
    hidden_row = OutcomeRow(measure.label, HIDDEN, HIDDEN, HIDDEN, HIDDEN, note)
    if change is None or change.members < THRESHOLD:
        return hidden_row
    first, last = exact(change.first_total), exact(change.last_total)
    first_mean, last_mean = one_decimal(first / change.members), one_decimal(last / change.members)
    if at_scale_end(first_mean, measure) or at_scale_end(last_mean, measure):
        return hidden_row
    return OutcomeRow(
        measure.label,
        members_band(change.members),
        str(first_mean),
        str(last_mean),
        _signed(one_decimal((last - first) / change.members)),
        note,
    )


def build_report(organisation: str, period: DateRange, counts: ReportCounts) -> FunderReport:
    """Turn the aggregates into the report's figures, hiding small groups and whatever would give one away."""
    linked = linked_counts(counts)
    hidden = suppress_linked(linked)
    value = dict(linked.counts)

    def figure(section: str, label: str, name: str, behind: str | None = None, note: str = "") -> Figure:
        members = behind or name
        shown, behind_shown = _shown(value[name], name in hidden), _shown(value[members], members in hidden)
        return Figure(section, label, shown, behind_shown, note)

    def tally(label: str, name: str, note: str) -> Figure:  # a count with no member count behind it
        return Figure("Activities", label, _shown(value[name], name in hidden), "", note)

    reach = (
        figure("Reach", "Members at the end of the period", "end"),
        figure("Reach", "New members who joined in the period", "new"),
        figure("Reach", "Members who chose to keep their check-ins (at the end of the period)", "keeping"),
    )
    per_member = "Average check-ins per member who checked in"
    if {"engaged", "checkins"} & hidden:
        average = Figure("Engagement", per_member, HIDDEN, HIDDEN)
    else:
        mean = one_decimal(Fraction(counts.checkins, counts.engaged_members))
        average = Figure("Engagement", per_member, str(mean), f"{counts.engaged_members:,}")
    engagement = (
        figure("Engagement", "Members who completed at least one check-in", "engaged"),
        figure("Engagement", "Check-ins completed", "checkins", "engaged"),
        average,
    )
    outcomes = tuple(outcome_row(key, counts.changes.get(key)) for key in CHANGE_MEASURES)
    latest = "Their latest answer, given in the period."
    activities = (
        tally("Activities suggested after check-ins", "suggested", SUGGESTED_NOTE),
        figure("Activities", 'Members who said "I\'m interested" to an activity', "interested", note=latest),
        figure("Activities", '"I\'m interested" answers', "interested_answers", "interested"),
        figure("Activities", 'Members who said "I\'ll go" to an activity', "going", note=latest),
        figure("Activities", '"I\'ll go" answers', "going_answers", "going"),
        tally("Activities attended", "attended", ATTENDED_NOTE),
    )
    return FunderReport(organisation, period, reach, engagement, outcomes, activities)


CSV_HEADER = ("section", "figure", "value", "members", "note")


def report_csv(report: FunderReport) -> str:
    """Write the report as CSV: a header, four lines saying whose, when and what is hidden, then one per figure."""
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
                "Whole calendar months; dates in Europe/London",
            )
        )
    )
    writer.writerow(_safe(("Report", "Hidden figures", "", "", ABOUT_FIGURES)))
    writer.writerow(_safe(("Report", "Comparing reports", "", "", COMPARING)))
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
