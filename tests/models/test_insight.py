"""The insight and the funder report against a hand-computed fixture, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from flows.funder_report import DateRange, build_report, report_csv
from flows.insight import (
    HIDDEN,
    MEASURES_BY_KEY,
    averages_table,
    checkins_table,
    members_table,
    recent_weeks,
    week_bounds,
)
from models.funder_report import ReportQueries
from models.insight import InsightQueries
from tests.conftest import NOW, Database
from tests.models.insight_seed import seed_known_answers

PERIOD = DateRange(date(2026, 9, 1), date(2026, 11, 15))
H = HIDDEN


async def _seeded(database: Database) -> tuple[int, int]:
    async with database.units() as uow:
        hillside = await uow.organisations.add("hillside", "Hillside", NOW)
        riverside = await uow.organisations.add("riverside", "Riverside", NOW)
        await seed_known_answers(uow, hillside.id, riverside.id)
        await uow.commit()
    return hillside.id, riverside.id


async def test_the_report_gives_the_hand_computed_figures(database: Database) -> None:
    hillside, _ = await _seeded(database)
    async with database.units() as uow:
        counts = await ReportQueries(uow.session).counts(hillside, PERIOD)
    report = build_report("Hillside", PERIOD, counts)
    figures = {figure.label: (figure.value, figure.members) for figure in report.figures()}

    assert figures["Members at the end of the period"] == ("27", "27")  # A12 B10 C3 W N; not L, not staff
    assert figures["New members who joined in the period"] == ("14", "14")  # B10 C3 N
    assert figures["Members who chose to keep their check-ins (at the end of the period)"] == ("25", "25")
    assert figures["Members who completed at least one check-in"] == ("25", "25")
    assert figures["Check-ins completed"] == ("54", "25")  # A 24, B 20 + 1, C 9
    assert figures["Average check-ins per member who checked in"] == ("2.2", "25")  # 54 / 25 = 2.16
    outcomes = {row.label.split(" (")[0]: (row.members, row.first, row.last, row.change) for row in report.outcomes}
    assert outcomes == {
        "ONS4 life satisfaction": ("22", "5.5", "6.5", "+1.1"),  # 120/22, 144/22, 24/22
        "ONS4 things I do are worthwhile": ("22", "7.5", "7.5", "0.0"),  # 164/22 both
        "ONS4 happiness yesterday": ("22", "4.5", "6.9", "+2.5"),  # 98/22, 152/22, 54/22
        "ONS4 anxiety yesterday": ("22", "4.6", "3.5", "-1.1"),  # 102/22, 78/22, -24/22
        "WHO-5 wellbeing": ("15", "37.6", "44.0", "+6.4"),  # 564/15, 660/15, 96/15
        "SWEMWBS wellbeing": (H, H, H, H),  # only 5 members measured twice
    }
    assert figures['Members who said "I\'m interested" to an activity'] == ("12", "12")  # A0..A10 and N
    assert figures['"I\'m interested" answers'] == ("13", "12")
    assert figures['Members who said "I\'ll go" to an activity'] == (H, H)  # B0..B3: 4
    assert figures['"I\'ll go" answers'] == (H, H)
    assert figures["Activities suggested after check-ins"][0] == "not recorded"
    assert figures["Activities attended"][0] == "not recorded"
    csv_text = report_csv(report)
    assert "Check-ins completed,54,25" in csv_text
    assert len(csv_text.strip().splitlines()) == 3 + len(report.figures())


async def test_the_other_organisation_sees_only_its_own(database: Database) -> None:
    _, riverside = await _seeded(database)
    async with database.units() as uow:
        counts = await ReportQueries(uow.session).counts(riverside, PERIOD)
        by_area = await InsightQueries(uow.session).members_by_area(riverside)
    assert (counts.members_at_end, counts.engaged_members, counts.checkins) == (15, 15, 30)
    assert counts.changes["who5"].members == 15
    assert (counts.changes["who5"].first_total, counts.changes["who5"].last_total) == (0, 1500)
    assert (counts.interested_members, counts.going_members) == (15, 15)
    assert by_area == {"EH6": 15}


async def test_the_insight_tables_give_the_hand_computed_figures(database: Database) -> None:
    hillside, _ = await _seeded(database)
    weeks = recent_weeks(NOW)  # 2026-W36 .. 2026-W47
    assert (weeks[0].label, weeks[-1].label) == ("2026-W36", "2026-W47")
    async with database.units() as uow:
        queries = InsightQueries(uow.session)
        by_area = await queries.members_by_area(hillside)
        per_week, members = await queries.checkins_by_week(hillside, week_bounds(weeks))
        mood = await queries.averages(hillside, MEASURES_BY_KEY["mood"], week_bounds(weeks))

    areas = members_table(by_area)
    assert [(row.label, row.members.text) for row in areas.rows] == [
        ("EH6", "13"),  # A12 and W (members are counted whatever they chose to keep)
        ("EH7", "10"),
        ("EH8", H),  # 3
        ("No area set", H),  # N and L: 2; with EH8 hidden too, neither follows from the total
    ]
    assert areas.total.text == "28"

    checkins = checkins_table(weeks, per_week, members)
    shown = {row.week.label: (row.members.text, row.checkins.text) for row in checkins.rows if not row.members.hidden}
    assert shown == {
        "2026-W37": ("12", "12"),  # A on 7 Sep; B0's 23:30 UTC Sunday check-in is Monday in London: not here
        "2026-W38": ("10", "11"),  # B on 20 Sep, and B0's
        "2026-W41": ("22", "22"),  # A on 5 Oct, B on 6 Oct; W and the coordinator are not counted
    }  # W42 (C: 3 members, 9 check-ins) and the empty weeks are hidden
    assert (checkins.members.text, checkins.checkins.text) == ("25", "54")

    table = averages_table(MEASURES_BY_KEY["mood"], weeks, mood.cells, mood.by_area, mood.by_week, mood.overall)
    cells = {
        (row.label, week.label): cell.text
        for row in (*table.rows, table.all_areas)
        for week, cell in zip(table.weeks, row.cells, strict=True)
        if not cell.hidden
    }
    assert cells == {
        ("EH6", "2026-W37"): "2.8",  # 12 x 3 and A0's abandoned check-in's mood 1: 37 / 13
        ("EH6", "2026-W41"): "4.0",
        ("EH7", "2026-W38"): "4.1",  # 10 x 4 + 5: 45 / 11
        # EH7 W41 (10 members) is hidden: with it, the empty EH8 W41 would follow from the column's total,
        # and EH7's own total is hidden because EH8's total (3) would follow from the grand total.
        ("All areas", "2026-W37"): "2.8",
        ("All areas", "2026-W38"): "4.1",
        ("All areas", "2026-W41"): "3.1",  # 68 / 22
    }
    overall = {row.label: row.overall.text for row in (*table.rows, table.all_areas)}
    assert overall == {"EH6": "3.4", "EH7": H, "EH8": H, "All areas": "3.1"}  # 85/25; 168/55


async def test_averages_of_an_ons4_measure_are_read_from_the_stored_measures(database: Database) -> None:
    hillside, _ = await _seeded(database)
    weeks = recent_weeks(NOW)
    async with database.units() as uow:
        anxiety = await InsightQueries(uow.session).averages(
            hillside, MEASURES_BY_KEY["ons4.anxiety"], week_bounds(weeks)
        )
    assert (anxiety.overall.members, anxiety.overall.observations, anxiety.overall.total) == (22, 44, 180.0)
    assert anxiety.by_area["EH6"].total == 120.0  # 12 x (6 + 4); W's 10 and 0 are not counted
