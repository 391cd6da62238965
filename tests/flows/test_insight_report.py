"""Weeks in London, rounding, hidden totals and extreme averages, the report's month form, its CSV, the SVG charts."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.disclosure import THRESHOLD
from flows.funder_report import (
    Change,
    FunderReport,
    ReportCounts,
    build_report,
    members_band,
    outcome_row,
    report_csv,
)
from flows.insight import (
    HIDDEN,
    LONDON,
    MEASURES_BY_KEY,
    Aggregate,
    Week,
    averages_table,
    checkins_table,
    one_decimal,
    recent_weeks,
    week_bounds,
    weeks_between,
)
from flows.report_period import DateRange, add_months, default_range, parse_range
from flows.svg_charts import LineSeries, bar_chart, line_chart, nice_divisions, nice_scale

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"


def test_weeks_are_iso_weeks_starting_monday_midnight_in_london() -> None:
    weeks = recent_weeks(NOW, 3)  # NOW is Sunday 22 November, in 2026-W47: that week has not ended
    assert [week.label for week in weeks] == ["2026-W44", "2026-W45", "2026-W46"]
    summer = week_bounds([Week(date(2026, 9, 14))])
    assert summer == (datetime(2026, 9, 13, 23, 0, tzinfo=UTC), datetime(2026, 9, 20, 23, 0, tzinfo=UTC))
    across_the_change = week_bounds(weeks_between(date(2026, 10, 19), date(2026, 10, 26)))
    assert across_the_change == (
        datetime(2026, 10, 18, 23, 0, tzinfo=UTC),  # Monday 19 Oct, 00:00 BST
        datetime(2026, 10, 26, 0, 0, tzinfo=UTC),  # the clocks went back on Sunday 25 Oct: 00:00 GMT
        datetime(2026, 11, 2, 0, 0, tzinfo=UTC),
    )
    assert Week(date(2026, 12, 28)).label == "2026-W53"
    assert Week(date(2026, 11, 16)).short == "16 Nov"


def test_sunday_late_evening_utc_in_summer_is_already_the_next_week_in_london() -> None:
    weeks = recent_weeks(datetime(2026, 9, 13, 23, 30, tzinfo=UTC), 1)  # Monday 00:30 in London: W38 has begun
    assert weeks[0].label == "2026-W37"  # so W37 is the last complete week


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)))
def test_the_week_still_running_is_never_among_the_weeks_shown(now: datetime) -> None:
    weeks = recent_weeks(now)
    assert len(weeks) == 12
    assert week_bounds(weeks)[-1] <= now  # every week shown has ended: a reload cannot see a check-in arrive
    assert now - week_bounds(weeks)[-1] < timedelta(days=7, hours=1)


def test_averages_round_half_up_to_one_decimal() -> None:
    assert one_decimal(Fraction(1, 4)) == Decimal("0.3")  # banker's rounding would give 0.2
    assert one_decimal(Fraction(-1, 4)) == Decimal("-0.3")
    assert one_decimal(Fraction(-1, 100)) == Decimal("0.0")
    assert str(one_decimal(Fraction(-1, 100))) == "0.0"
    assert Aggregate(3, 3, 0.1 + 0.2 + 0.45).mean() == Decimal("0.3")  # float noise does not tip 0.25 down
    assert Aggregate(0).mean() is None


WEEKS = weeks_between(date(2026, 11, 2), date(2026, 11, 22))


def test_a_single_small_week_hides_the_totals_so_it_cannot_be_subtracted() -> None:
    table = checkins_table(WEEKS, {0: Aggregate(30, 40), 1: Aggregate(4, 5), 2: Aggregate(12, 15)}, 40)
    assert [row.checkins.text for row in table.rows] == ["40", "hidden", "15"]
    assert (table.members.text, table.checkins.text) == ("hidden", "hidden")  # 60 - 40 - 15 would give the 5


def test_empty_weeks_do_not_protect_a_small_one() -> None:
    # The attack: a small week hidden beside empty (also hidden) weeks, and an exact total beside it.
    table = checkins_table(WEEKS, {0: Aggregate(30, 40), 1: Aggregate(3, 3)}, 31)
    assert [row.checkins.text for row in table.rows] == ["40", "hidden", "hidden"]
    assert table.checkins.hidden and table.members.hidden
    assert checkins_table(WEEKS, {index: Aggregate(10, 12) for index in range(3)}, 14).checkins.text == "36"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 3)), min_size=1, max_size=12))
def test_a_total_shown_never_gives_away_a_hidden_week(weeks: list[tuple[int, int]]) -> None:
    per_week = {index: Aggregate(members, members * (1 + extra)) for index, (members, extra) in enumerate(weeks)}
    span = weeks_between(date(2026, 1, 5), date(2026, 1, 5) + timedelta(days=7 * len(weeks) - 1))
    table = checkins_table(span, per_week, max(members for members, _ in weeks))
    assert all(row.members.hidden == (members < THRESHOLD) for row, (members, _) in zip(table.rows, weeks, strict=True))
    if not table.checkins.hidden:
        shown = sum(row.checkins.value or 0 for row in table.rows)
        assert shown == table.checkins.value  # nothing is left over for a hidden week
        assert not any(row.checkins.hidden for row in table.rows)


def test_an_average_at_an_end_of_its_scale_is_hidden_and_cannot_be_worked_back() -> None:
    mood, who5 = MEASURES_BY_KEY["mood"], MEASURES_BY_KEY["who5"]
    everyone_five = Aggregate(15, 15, 75.0)  # every one of 15 members answered 5 (great) in the first week
    threes = {
        ("EH6", 1): (12, 12),
        ("EH7", 0): (11, 11),
        ("EH7", 1): (13, 13),
        ("EH8", 0): (20, 20),
        ("EH8", 1): (14, 14),
    }
    cells = {key: Aggregate(members, answers, 3.0 * answers) for key, (members, answers) in threes.items()}
    table = averages_table(
        mood,
        WEEKS[:2],
        {("EH6", 0): everyone_five, **cells},
        {"EH6": Aggregate(20, 27, 111.0), "EH7": Aggregate(18, 24, 72.0), "EH8": Aggregate(25, 34, 102.0)},
        {0: Aggregate(46, 46, 168.0), 1: Aggregate(39, 39, 117.0)},
        Aggregate(63, 85, 285.0),
    )
    eh6, eh7, eh8 = table.rows
    assert eh6.cells[0].text == HIDDEN  # 5.0 would say that everyone answered 5
    # ... and is protected like a small cell: with EH7's week shown, the all-areas 3.7 and EH8's 3.0 would give it
    # back (168 - 33 - 60 = 75 over 15 members); with EH6's other week shown, EH6's 4.1 over both weeks would.
    assert [cell.text for cell in eh7.cells] == [HIDDEN, HIDDEN] and eh6.cells[1].text == HIDDEN
    assert [cell.text for cell in eh8.cells] == ["3.0", "3.0"] and table.all_areas.cells[0].text == "3.7"
    lowest = averages_table(who5, WEEKS[:1], {("EH6", 0): Aggregate(15, 15, 0.0)}, {}, {}, Aggregate(0))
    assert lowest.rows[0].cells[0].text == HIDDEN  # WHO-5 0.0: every member scored 0
    rounded = averages_table(mood, WEEKS[:1], {("EH6", 0): Aggregate(30, 30, 149.0)}, {}, {}, Aggregate(0))
    assert rounded.rows[0].cells[0].text == HIDDEN  # 4.97 shows as 5.0: it is hidden as such


def test_the_form_defaults_to_the_last_three_months_that_have_ended() -> None:
    period, message = parse_range(None, None, NOW)
    assert (period, message) == (DateRange(date(2026, 8, 1), date(2026, 10, 31)), None)
    january = default_range(datetime(2026, 1, 15, 12, tzinfo=UTC))
    assert (january.first, january.last) == (date(2025, 10, 1), date(2025, 12, 31))
    assert add_months(date(2026, 1, 1), -1) == date(2025, 12, 1)
    assert add_months(date(2026, 12, 1), 2) == date(2027, 2, 1)
    summer_end = default_range(datetime(2026, 8, 31, 23, 30, tzinfo=UTC))  # already 1 September in London
    assert summer_end.last == date(2026, 8, 31)


def test_the_form_takes_whole_months() -> None:
    assert parse_range("2026-09", "2026-10", NOW) == (DateRange(date(2026, 9, 1), date(2026, 10, 31)), None)
    assert parse_range("2026-02", "2026-02", NOW)[0] == DateRange(date(2026, 2, 1), date(2026, 2, 28))
    assert parse_range("2026-09", "", NOW)[0] == DateRange(date(2026, 9, 1), date(2026, 10, 31))
    assert parse_range(" 2021-11 ", "2026-10", NOW)[1] is None  # five years exactly


def test_bad_months_get_a_kind_message_and_the_default_range() -> None:
    fallback = default_range(NOW)
    for raw_from, raw_to, words in [
        ("yesterday", "2026-10", "start month was not one we could read"),
        ("2026-13", "2026-10", "start month was not one we could read"),
        ("0000-01", "2026-10", "start month was not one we could read"),
        ("2026-09", "10/2026", "end month was not one we could read"),
        ("2026-10", "2026-09", "swap them"),
        ("1999-12", "2026-09", "2000 or later"),
        ("2021-10", "2026-10", "five years or less"),
        ("2026-09", "2026-11", "only months that have ended"),  # November is still running on 22 November
        ("2026-12", "2027-01", "The latest month you can choose is October 2026"),
    ]:
        period, message = parse_range(raw_from, raw_to, NOW)
        assert period == fallback, (raw_from, raw_to)
        assert message is not None and words in message, (raw_from, raw_to, message)


def test_a_day_is_refused_kindly_so_that_reports_cannot_be_moved_by_a_day() -> None:
    # The attack: reports ending on 14 and 15 October differ by the members who joined on the 15th.
    for raw_from, raw_to in [("2026-09-01", "2026-10-14"), ("2026-09", "2026-10-15"), ("2026-09-02", "2026-10")]:
        period, message = parse_range(raw_from, raw_to, NOW)
        assert period == default_range(NOW)
        assert message is not None and "whole calendar months" in message and "rather than a day" in message
    with pytest.raises(ValueError, match="whole calendar months"):
        DateRange(date(2026, 9, 1), date(2026, 10, 14))
    with pytest.raises(ValueError, match="whole calendar months"):
        DateRange(date(2026, 9, 2), date(2026, 10, 31))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=12), st.text(max_size=12))
def test_whatever_is_typed_the_report_covers_whole_months_that_have_ended(raw_from: str, raw_to: str) -> None:
    period, _ = parse_range(raw_from, raw_to, NOW)
    assert period.first.day == 1 and (period.last + timedelta(days=1)).day == 1
    assert period.end <= datetime(2026, 11, 1, tzinfo=LONDON)


def test_a_period_covers_whole_london_days() -> None:
    period = DateRange.months(date(2026, 9, 1), date(2026, 10, 1))
    assert period.start == datetime(2026, 8, 31, 23, 0, tzinfo=UTC)
    assert period.end == datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
    assert period.text == "September 2026 to October 2026"
    assert (period.from_month, period.to_month) == ("2026-09", "2026-10")
    assert DateRange.months(date(2026, 9, 1), date(2026, 9, 1)).text == "September 2026"


def _counts(**changes: Change) -> ReportCounts:
    return ReportCounts(
        members_at_end=40,
        new_members=9,
        keeping_checkins=30,
        engaged_members=10,
        checkins=25,
        changes=changes,
        interested_members=10,
        interested_answers=11,
        going_members=9,
        going_answers=9,
    )


SEP_OCT = DateRange.months(date(2026, 9, 1), date(2026, 10, 1))


def test_figures_about_fewer_than_ten_members_are_hidden() -> None:
    report = build_report("Hillside", SEP_OCT, _counts())
    values = {figure.label: figure.value for figure in report.figures()}
    assert values["New members who joined in the period"] == "hidden"
    assert values["Members at the end of the period"] == "40"
    assert values["Members who completed at least one check-in"] == "10"  # 40 - 10, 30 - 10, 25 - 10: no small group
    assert values["Average check-ins per member who checked in"] == "2.5"
    assert values['"I\'m interested" answers'] == "hidden"  # 11 - 10: one member answered twice
    assert values['Members who said "I\'ll go" to an activity'] == "hidden"
    assert all(row.change == "hidden" for row in report.outcomes)


def test_suggestions_and_headcounts_under_ten_are_hidden_like_every_other_count() -> None:
    shown = {f.label: f.value for f in build_report("Hillside", SEP_OCT, replace(_counts(), suggested=10)).figures()}
    hidden = {f.label: f.value for f in build_report("Hillside", SEP_OCT, replace(_counts(), attended=9)).figures()}
    assert (shown["Activities suggested after check-ins"], shown["Activities attended"]) == ("10", "hidden")
    assert (hidden["Activities suggested after check-ins"], hidden["Activities attended"]) == ("hidden", "hidden")


def test_the_report_hides_a_figure_whose_difference_from_another_is_a_small_group() -> None:
    # The attack within one report: members at the end 27, members keeping their check-ins 25: 2 do not.
    counts = ReportCounts(27, 14, 25, 14, 40, {}, 12, 13, 0, 0)
    values = {figure.label: figure.value for figure in build_report("Hillside", SEP_OCT, counts).figures()}
    assert values["Members at the end of the period"] == "27"
    assert values["Members who chose to keep their check-ins (at the end of the period)"] == "hidden"
    assert values["New members who joined in the period"] == "14"  # 27 - 14 = 13 joined before: not small
    assert values["Members who completed at least one check-in"] == "14"
    assert values['Members who said "I\'m interested" to an activity'] == "12"
    assert values['"I\'m interested" answers'] == "hidden"  # 13 - 12: one member answered twice


def _figure_counts(report: FunderReport) -> dict[str, int | None]:
    names = {
        "Members at the end of the period": "end",
        "New members who joined in the period": "new",
        "Members who chose to keep their check-ins (at the end of the period)": "keeping",
        "Members who completed at least one check-in": "engaged",
        "Check-ins completed": "checkins",
        'Members who said "I\'m interested" to an activity': "interested",
        '"I\'m interested" answers': "interested_answers",
        'Members who said "I\'ll go" to an activity': "going",
        '"I\'ll go" answers': "going_answers",
    }
    return {
        names[figure.label]: None if figure.value == HIDDEN else int(figure.value.replace(",", ""))
        for figure in report.figures()
        if figure.label in names
    }


@st.composite
def report_counts(draw: st.DrawFn) -> ReportCounts:
    """Counts that could come from one organisation: each group inside the one it belongs to."""
    small = st.integers(0, 14)
    end = draw(st.integers(0, 60))
    keeping = end - draw(st.integers(0, end))
    engaged = keeping - draw(st.integers(0, keeping))
    interested = draw(st.integers(0, end))
    going = draw(st.integers(0, end))
    return ReportCounts(
        members_at_end=end,
        new_members=draw(st.integers(0, end)),
        keeping_checkins=keeping,
        engaged_members=engaged,
        checkins=engaged + (draw(small) if engaged else 0),
        changes={},
        interested_members=interested,
        interested_answers=interested + (draw(small) if interested else 0),
        going_members=going,
        going_answers=going + (draw(small) if going else 0),
    )


# Pairs (larger, smaller) a reader could subtract: the difference is a group of people (or of extra answers).
SUBTRACTIONS = [
    ("end", "new"),
    ("end", "keeping"),
    ("end", "engaged"),
    ("keeping", "engaged"),
    ("end", "interested"),
    ("end", "going"),
    ("checkins", "engaged"),
    ("interested_answers", "interested"),
    ("going_answers", "going"),
]


@settings(max_examples=400, deadline=None)
@given(report_counts())
def test_no_subtraction_of_two_shown_figures_gives_a_small_number(counts: ReportCounts) -> None:
    report = build_report("Hillside", SEP_OCT, counts)
    shown = _figure_counts(report)
    assert all(value is None or value >= THRESHOLD for value in shown.values())
    for larger, smaller in SUBTRACTIONS:
        if shown[larger] is not None and shown[smaller] is not None:
            assert shown[larger] - shown[smaller] >= THRESHOLD, (larger, smaller, shown)  # type: ignore[operator]
    average = next(figure for figure in report.engagement if figure.label.startswith("Average"))
    if average.value != HIDDEN:
        assert shown["engaged"] is not None and shown["checkins"] is not None


def test_average_change_is_the_mean_of_last_minus_first_over_members_measured_twice() -> None:
    assert outcome_row("who5", Change(10, 400.0, 425.0)).change == "+2.5"
    assert outcome_row("who5", Change(10, 400.0, 375.0)).change == "-2.5"
    assert outcome_row("who5", Change(9, 400.0, 425.0)).change == "hidden"
    assert outcome_row("swemwbs", Change(10, 200.13, 210.13)).first == "20.0"


def test_the_members_behind_an_average_are_a_band_never_the_exact_number() -> None:
    # The attack: averages over 10 and then 11 members, with the exact counts, give the 11th member's score.
    ten, eleven = outcome_row("who5", Change(10, 400.0, 500.0)), outcome_row("who5", Change(11, 400.0, 580.0))
    assert ten.members == eleven.members == "10 to 14"
    bands = ["10 to 14", "10 to 14", "15 to 19", "20 to 24", "100 to 104"]
    assert [members_band(members) for members in (10, 14, 15, 22, 100)] == bands


def test_an_average_at_an_end_of_the_scale_hides_its_whole_row() -> None:
    # The attack: WHO-5 first 0.0 and last 100.0 for 15 members says every one of them scored 0, then 100.
    everyone = outcome_row("who5", Change(15, 0.0, 1500.0))
    assert (everyone.members, everyone.first, everyone.last, everyone.change) == (HIDDEN,) * 4
    assert outcome_row("ons4.anxiety", Change(12, 120.0, 60.0)).first == HIDDEN  # everyone said 10 at first
    assert outcome_row("swemwbs", Change(10, 70.0, 200.0)).first == HIDDEN  # 7.0, the lowest metric score
    assert outcome_row("who5", Change(15, 60.0, 1500.0)).first == HIDDEN  # 4.0 is not the end, but 100.0 is
    near = outcome_row("who5", Change(15, 60.0, 1400.0))
    assert (near.members, near.first, near.last, near.change) == ("15 to 19", "4.0", "93.3", "+89.3")


def test_the_csv_has_one_row_per_figure_and_defuses_formulas() -> None:
    report = build_report('=HYPERLINK("x")', SEP_OCT, _counts())
    text = report_csv(report)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["section", "figure", "value", "members", "note"]
    assert rows[1][2] == '\'=HYPERLINK("x")'
    assert rows[2][2] == "2026-09-01 to 2026-10-31"
    assert rows[4][1] == "Comparing reports" and "members at the end of October" in rows[4][4]
    assert len(rows) == 5 + len(report.figures())
    assert [row[1:4] for row in rows[5:]] == [[f.label, f.value, f.members] for f in report.figures()]


def test_a_bar_chart_is_accessible_escaped_and_marks_hidden_values_in_words() -> None:
    svg = bar_chart("week", "Check-ins <&>", "Per week & more", ["16 Nov", "<b>"], [12, None], "check-ins")
    root = ET.fromstring(svg)  # well-formed XML
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text == "Check-ins <&>"
    assert desc is not None and desc.text == "Per week & more"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert "<b>" not in svg
    texts = [element.text for element in root.iter(f"{SVG}text")]
    assert "hidden" in texts and "12" in texts
    assert nice_scale(22) == (25, 5) and nice_scale(54) == (60, 6) and nice_scale(0) == (1, 4)
    assert nice_divisions(1, 5) == 4 and nice_divisions(7, 35) == 4
    ticks = [element.text for element in root.iter(f"{SVG}text") if element.get("class") == "tick"]
    assert ticks == ["0", "2", "4", "6", "8", "10", "12"]


def test_a_line_chart_gives_each_line_its_own_dash_and_marker_and_a_legend() -> None:
    svg = line_chart(
        "mood",
        "Mood",
        "Average mood",
        ["W1", "W2", "W3"],
        [LineSeries("EH6", (3.0, None, 4.0)), LineSeries("All areas", (3.1, 3.2, 3.3))],
        1,
        5,
    )
    root = ET.fromstring(svg)
    lines = root.findall(f".//{SVG}polyline")
    assert len(lines) == 1  # EH6 has a gap, so no run of two; All areas is one run
    assert lines[0].get("stroke-dasharray") == "8 4"
    legend = [element.text for element in root.iter(f"{SVG}text") if element.text in ("EH6", "All areas")]
    assert legend == ["EH6", "All areas"]
    assert "EH6, W3: 4" in svg
