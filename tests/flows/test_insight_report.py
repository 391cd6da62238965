"""Weeks in London, rounding, the report's date form, its CSV, and the SVG charts."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

from flows.funder_report import (
    Change,
    DateRange,
    FunderReport,
    ReportCounts,
    build_report,
    default_range,
    months_before,
    outcome_row,
    parse_range,
    report_csv,
)
from flows.insight import Aggregate, Week, checkins_table, one_decimal, recent_weeks, week_bounds, weeks_between
from flows.svg_charts import LineSeries, bar_chart, line_chart, nice_divisions, nice_scale

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"


def test_weeks_are_iso_weeks_starting_monday_midnight_in_london() -> None:
    weeks = recent_weeks(NOW, 3)
    assert [week.label for week in weeks] == ["2026-W45", "2026-W46", "2026-W47"]
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
    weeks = recent_weeks(datetime(2026, 9, 13, 23, 30, tzinfo=UTC), 1)
    assert weeks[0].label == "2026-W38"


def test_averages_round_half_up_to_one_decimal() -> None:
    assert one_decimal(Fraction(1, 4)) == Decimal("0.3")  # banker's rounding would give 0.2
    assert one_decimal(Fraction(-1, 4)) == Decimal("-0.3")
    assert one_decimal(Fraction(-1, 100)) == Decimal("0.0")
    assert str(one_decimal(Fraction(-1, 100))) == "0.0"
    assert Aggregate(3, 3, 0.1 + 0.2 + 0.45).mean() == Decimal("0.3")  # float noise does not tip 0.25 down
    assert Aggregate(0).mean() is None


def test_a_single_small_week_hides_another_week_so_it_cannot_be_subtracted() -> None:
    weeks = weeks_between(date(2026, 11, 2), date(2026, 11, 22))
    table = checkins_table(weeks, {0: Aggregate(30, 40), 1: Aggregate(4, 5), 2: Aggregate(12, 15)}, 40)
    assert [row.checkins.text for row in table.rows] == ["40", "hidden", "hidden"]
    assert table.checkins.text == "60"


def test_the_form_defaults_to_the_last_three_months() -> None:
    period, message = parse_range(None, None, NOW)
    assert (period, message) == (DateRange(date(2026, 8, 23), date(2026, 11, 22)), None)
    assert default_range(datetime(2026, 5, 31, 12, tzinfo=UTC)).first == date(2026, 3, 1)  # 28 Feb + 1 day
    assert months_before(date(2026, 5, 31), 3) == date(2026, 2, 28)


def test_bad_dates_get_a_kind_message_and_the_default_range() -> None:
    fallback = default_range(NOW)
    for raw_from, raw_to, words in [
        ("yesterday", "2026-11-01", "start date was not one we could read"),
        ("2026-02-30", "2026-11-01", "start date was not one we could read"),
        ("2026-09-01", "1/11/2026", "end date was not one we could read"),
        ("2026-11-01", "2026-09-01", "swap them"),
        ("1999-12-31", "2026-09-01", "2000 or later"),
        ("2001-01-01", "2026-09-01", "five years or less"),
    ]:
        period, message = parse_range(raw_from, raw_to, NOW)
        assert period == fallback
        assert message is not None and words in message
    assert parse_range("2026-09-01", "2026-09-01", NOW) == (DateRange(date(2026, 9, 1), date(2026, 9, 1)), None)
    assert parse_range("2026-09-01", "", NOW)[0] == DateRange(date(2026, 9, 1), date(2026, 11, 22))


def test_a_period_covers_whole_london_days() -> None:
    period = DateRange(date(2026, 9, 1), date(2026, 10, 31))
    assert period.start == datetime(2026, 8, 31, 23, 0, tzinfo=UTC)
    assert period.end == datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
    assert period.text == "1 September 2026 to 31 October 2026"


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


def test_figures_about_fewer_than_ten_members_are_hidden() -> None:
    report = build_report("Hillside", DateRange(date(2026, 9, 1), date(2026, 10, 31)), _counts())
    values = {figure.label: figure.value for figure in report.figures()}
    assert values["New members who joined in the period"] == "hidden"
    assert values["Members at the end of the period"] == "40"
    assert values["Average check-ins per member who checked in"] == "2.5"
    assert values['Members who said "I\'ll go" to an activity'] == "hidden"
    assert all(row.change == "hidden" for row in report.outcomes)


def test_average_change_is_the_mean_of_last_minus_first_over_members_measured_twice() -> None:
    assert outcome_row("who5", Change(10, 400.0, 425.0)).change == "+2.5"
    assert outcome_row("who5", Change(10, 400.0, 375.0)).change == "-2.5"
    assert outcome_row("who5", Change(9, 400.0, 425.0)).change == "hidden"
    assert outcome_row("swemwbs", Change(10, 200.13, 210.13)).first == "20.0"


def test_the_csv_has_one_row_per_figure_and_defuses_formulas() -> None:
    report = build_report('=HYPERLINK("x")', DateRange(date(2026, 9, 1), date(2026, 10, 31)), _counts())
    rows = list(csv.reader(io.StringIO(report_csv(report))))
    assert rows[0] == ["section", "figure", "value", "members", "note"]
    assert rows[1][2] == '\'=HYPERLINK("x")'
    assert len(rows) == 3 + len(report.figures())
    assert isinstance(report, FunderReport)


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
