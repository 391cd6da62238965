"""The insight and the funder report against a hand-computed fixture, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from flows.funder_report import Change, ReportCounts, build_report, report_csv
from flows.insight import (
    HIDDEN,
    MEASURES_BY_KEY,
    averages_table,
    checkins_table,
    members_table,
    recent_weeks,
    week_bounds,
)
from flows.report_period import DateRange
from models.funder_report import ReportQueries
from models.insight import InsightQueries
from tests.conftest import NOW, Database
from tests.models.insight_seed import seed_known_answers

PERIOD = DateRange.months(date(2026, 9, 1), date(2026, 10, 1))  # September and October 2026
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
    assert counts == ReportCounts(
        members_at_end=27,  # A12 B10 C3 W N; not L (joined 18 Nov), not staff
        new_members=14,  # B10 C3 N
        keeping_checkins=25,  # A B C; W withdrew on 20 Oct, N declined
        engaged_members=25,
        checkins=54,  # A 24, B 20 + 1, C 9; A0's 20 Aug check-in is before September
        changes={
            "ons4.life_satisfaction": Change(22, 120.0, 144.0),
            "ons4.worthwhile": Change(22, 164.0, 164.0),
            "ons4.happiness": Change(22, 98.0, 152.0),
            "ons4.anxiety": Change(22, 102.0, 78.0),
            "who5": Change(15, 564.0, 660.0),
            "swemwbs": counts.changes["swemwbs"],  # checked just below: float sums
        },
        interested_members=12,  # A0..A10 and N
        interested_answers=13,
        going_members=4,  # B0..B3
        going_answers=4,
        suggested=15,  # 7 on 1 Sep, 5 on 15 Oct, 3 on 31 Oct; not 31 Aug nor 1 Nov
        attended=18,  # act-1 8 on 12 Sep and 6 on 10 Oct, act-2 4 on 31 Oct; not 31 Aug nor 1 Nov
    )
    assert counts.changes["swemwbs"].members == 5  # A0, A1 and C: too few
    report = build_report("Hillside", PERIOD, counts)
    figures = {figure.label: (figure.value, figure.members) for figure in report.figures()}

    assert figures["Members at the end of the period"] == ("27", "27")
    assert figures["New members who joined in the period"] == ("14", "14")  # 27 - 14 = 13 joined before: not small
    # 27 - 25 = 2 members do not keep their check-ins, and 27 - 25 = 2 did not check in: each pair loses one figure.
    assert figures["Members who chose to keep their check-ins (at the end of the period)"] == (H, H)
    assert figures["Members who completed at least one check-in"] == (H, H)
    assert figures["Check-ins completed"] == ("54", H)  # 54 - 25 = 29 check-ins beyond the first: not small
    assert figures["Average check-ins per member who checked in"] == (H, H)  # 54 / 2.2 would give the 25 back
    outcomes = {row.label.split(" (")[0]: (row.members, row.first, row.last, row.change) for row in report.outcomes}
    assert outcomes == {
        "ONS4 life satisfaction": ("20 to 24", "5.5", "6.5", "+1.1"),  # 120/22, 144/22, 24/22
        "ONS4 things I do are worthwhile": ("20 to 24", "7.5", "7.5", "0.0"),  # 164/22 both
        "ONS4 happiness yesterday": ("20 to 24", "4.5", "6.9", "+2.5"),  # 98/22, 152/22, 54/22
        "ONS4 anxiety yesterday": ("20 to 24", "4.6", "3.5", "-1.1"),  # 102/22, 78/22, -24/22
        "WHO-5 wellbeing": ("15 to 19", "37.6", "44.0", "+6.4"),  # 564/15, 660/15, 96/15
        "SWEMWBS wellbeing": (H, H, H, H),  # only 5 members measured twice
    }
    assert figures['Members who said "I\'m interested" to an activity'] == ("12", "12")
    assert figures['"I\'m interested" answers'] == (H, "12")  # 13 - 12: one member answered twice
    assert figures['Members who said "I\'ll go" to an activity'] == (H, H)  # 4
    assert figures['"I\'ll go" answers'] == (H, H)
    assert figures["Activities suggested after check-ins"] == ("15", "")
    assert figures["Activities attended"] == ("18", "")
    csv_text = report_csv(report)
    assert "Check-ins completed,54,hidden" in csv_text
    assert len(csv_text.strip().splitlines()) == 5 + len(report.figures())


async def test_the_other_organisation_sees_only_its_own(database: Database) -> None:
    _, riverside = await _seeded(database)
    async with database.units() as uow:
        counts = await ReportQueries(uow.session).counts(riverside, PERIOD)
        by_area = await InsightQueries(uow.session).members_by_area(riverside)
    assert (counts.members_at_end, counts.engaged_members, counts.checkins) == (15, 15, 30)
    assert counts.changes["who5"].members == 15
    assert (counts.changes["who5"].first_total, counts.changes["who5"].last_total) == (0, 1500)
    assert (counts.interested_members, counts.going_members) == (15, 15)
    assert (counts.suggested, counts.attended) == (40, 25)
    assert by_area == {"EH6": 15}


async def test_the_insight_tables_give_the_hand_computed_figures(database: Database) -> None:
    hillside, _ = await _seeded(database)
    weeks = recent_weeks(NOW)  # 2026-W35 .. 2026-W46: W47, which holds NOW, has not ended
    assert (weeks[0].label, weeks[-1].label) == ("2026-W35", "2026-W46")
    async with database.units() as uow:
        queries = InsightQueries(uow.session)
        by_area = await queries.members_by_area(hillside, joined_before=week_bounds(weeks)[-1])
        per_week, members = await queries.checkins_by_week(hillside, week_bounds(weeks))
        mood = await queries.averages(hillside, MEASURES_BY_KEY["mood"], week_bounds(weeks))

    areas = members_table(by_area)
    assert [(row.label, row.members.text) for row in areas.rows] == [
        ("EH6", "13"),  # A12 and W (members are counted whatever they chose to keep)
        ("EH7", "10"),
        ("EH8", H),  # 3
        ("No area set", H),  # N: 1 (L joined on 18 November, in the week still running)
    ]
    assert areas.total.text == "27"  # 27 - 23 = 4 for the two hidden areas: not 1 + 1, so neither follows

    checkins = checkins_table(weeks, per_week, members)
    shown = {row.week.label: (row.members.text, row.checkins.text) for row in checkins.rows if not row.members.hidden}
    assert shown == {
        "2026-W37": ("12", "12"),  # A on 7 Sep; B0's 23:30 UTC Sunday check-in is Monday in London: not here
        "2026-W38": ("10", "11"),  # B on 20 Sep, and B0's
        "2026-W41": ("22", "22"),  # A on 5 Oct, B on 6 Oct; W and the coordinator are not counted
    }  # W42 (C: 3 members, 9 check-ins) and the empty weeks are hidden
    assert (checkins.members.text, checkins.checkins.text) == (H, H)  # 54 - 45 would give W42's 9 away

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
        ("EH7", "2026-W41"): "2.0",  # 20 / 10
        ("All areas", "2026-W37"): "2.8",
        ("All areas", "2026-W41"): "3.1",  # 68 / 22
        # EH8's total (3) would follow from the grand total, so EH7's total (the smallest other) is hidden; W42's
        # total (3) would follow from the row of totals, so W38's is hidden; and as the empty cells of W38 are
        # known to be empty, its total would equal EH7's W38 cell (4.1 in the table before): hidden too.
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


async def test_averages_at_an_end_of_the_scale_are_hidden_in_the_insight_and_the_report(database: Database) -> None:
    # The other organisation's 15 members all answered mood 1, and scored WHO-5 0 in September and 100 in October.
    _, riverside = await _seeded(database)
    weeks = recent_weeks(NOW)
    async with database.units() as uow:
        queries = InsightQueries(uow.session)
        counts = await ReportQueries(uow.session).counts(riverside, PERIOD)
        tables = {}
        for key in ("mood", "who5", "ons4.anxiety"):
            found = await queries.averages(riverside, MEASURES_BY_KEY[key], week_bounds(weeks))
            tables[key] = averages_table(
                MEASURES_BY_KEY[key], weeks, found.cells, found.by_area, found.by_week, found.overall
            )
    mood = tables["mood"]  # every mood is 1, the lowest answer
    assert {cell.text for row in (*mood.rows, mood.all_areas) for cell in (*row.cells, row.overall)} == {H}
    assert mood.rows[0].overall.members is None  # the figure is gone, not only its text
    for key, both_weeks in (("who5", "50.0"), ("ons4.anxiety", "5.0")):  # 0 then 100; 10 then 0
        table = tables[key]
        for row in (*table.rows, table.all_areas):
            assert (row.cells[2].text, row.cells[6].text) == (H, H), key  # W37 and W41: an end of the scale
            assert row.overall.text == both_weeks, key  # over both weeks: not an end of the scale
    assert (counts.changes["who5"].members, counts.changes["who5"].first_total) == (15, 0)
    report = build_report("Riverside", PERIOD, counts)
    assert all((row.members, row.first, row.last, row.change) == (H, H, H, H) for row in report.outcomes)


async def test_suggestions_shown_add_up_per_day_and_a_headcount_entered_again_replaces_the_first(
    database: Database,
) -> None:
    from models.activity_counts import ActivityCounts

    hillside, riverside = await _seeded(database)
    for shown in (2, 3):  # two check-ins' suggestions, in two transactions
        async with database.units() as uow:
            await ActivityCounts(uow.session).count_suggestions(hillside, date(2026, 9, 30), shown)
            await uow.commit()
    async with database.units() as uow:
        await ActivityCounts(uow.session).record_headcount(hillside, "act-1", date(2026, 9, 29), 11, NOW)
        await ActivityCounts(uow.session).record_headcount(hillside, "act-1", date(2026, 9, 29), 2, NOW)
        await uow.commit()
    async with database.units() as uow:
        counts = await ReportQueries(uow.session).counts(hillside, PERIOD)
        other = await ReportQueries(uow.session).counts(riverside, PERIOD)
    assert (counts.suggested, counts.attended) == (15 + 5, 18 + 2)
    assert (other.suggested, other.attended) == (40, 25)
