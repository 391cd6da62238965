"""Insight and funder report pages over the real web app and a real database (SQLite and PostgreSQL).

The hand-computed fixture of tests/models/insight_seed.py is seeded into organisation A (Hillside); organisation
B (Riverside) gets the "other organisation" rows. The web fixture's own seed adds two non-staff members to each
organisation, with no area, joined on 22 Nov (after the report's months, and in the week still running).
"""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import timedelta
from typing import Any

import pytest
from pypdf import PdfReader

from flows.funder_report import COMPARING
from tests.models.insight_seed import Seeder, seed_known_answers
from tests.web.conftest import DashboardSite, StaffClient, screenshot

PERIOD = {"from": "2026-09", "to": "2026-10"}
PAGES = ("/dashboard/insight", "/dashboard/report", "/dashboard/report.pdf", "/dashboard/report.csv")


@pytest.fixture
async def site(dashboard_site: DashboardSite) -> DashboardSite:
    async with dashboard_site.units() as uow:
        await seed_known_answers(uow, dashboard_site.org_a.id, dashboard_site.org_b.id)
        await uow.commit()
    return dashboard_site


def rows_of(page: str, table_id: str | None = None) -> dict[str, list[str]]:
    """Each table row's header and its cells' texts, from one table or from the whole page."""
    if table_id is not None:
        found = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S)
        assert found, table_id
        page = found.group(0)
    rows: dict[str, list[str]] = {}
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        header = re.search(r'<th scope="row">(.*?)</th>', row, re.S)
        if header:
            label = html.unescape(re.sub(r"<br>.*", "", header.group(1), flags=re.S))
            label = re.sub(r"<[^>]+>", "", label).strip()
            rows[label] = [html.unescape(cell.strip()) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    return rows


async def test_the_insight_page_shows_the_known_figures_with_small_numbers_hidden(site: DashboardSite) -> None:
    coordinator = await site.login(site.org_a.coordinator_id)
    page = await coordinator.get("/dashboard/insight")
    assert page.status == 200
    assert rows_of(page.text, "members-table") == {
        "EH6": ["13"],
        "EH7": ["10"],
        "EH8": ["hidden"],
        "No area set": ["hidden"],  # N: 1 (L and the fixture's two members joined in the week still running)
        "All members": ["27"],
    }
    weeks = rows_of(page.text, "checkins-table")
    labels = list(weeks)
    assert labels[0] == "24 Aug" and labels[-2] == "9 Nov"  # the week of 16 November has not ended
    assert weeks["7 Sep"] == ["12", "12"] and weeks["14 Sep"] == ["10", "11"] and weeks["5 Oct"] == ["22", "22"]
    assert weeks["12 Oct"] == ["hidden", "hidden"]
    assert weeks["All 12 weeks"] == ["hidden", "hidden"]  # 54 - 12 - 11 - 22 would give 12 October's 9 away
    averages = rows_of(page.text, "averages-table")
    assert averages["EH6"][2] == "2.8" and averages["EH6"][6] == "4.0" and averages["EH6"][-1] == "3.4"
    assert averages["EH8"] == ["hidden"] * 13
    assert averages["All areas"][-1] == "3.1"
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"' in page.text
    assert '<title id="chart-checkins-title">Check-ins completed per week</title>' in page.text


async def test_the_insight_page_shows_a_chosen_score_and_falls_back_to_mood(site: DashboardSite) -> None:
    coordinator = await site.login(site.org_a.coordinator_id)
    anxiety = await coordinator.get("/dashboard/insight", measure="ons4.anxiety")
    assert anxiety.status == 200 and "a lower average is better" in anxiety.text
    assert rows_of(anxiety.text, "averages-table")["All areas"][-1] == "4.1"  # 180 / 44
    unknown = await coordinator.get("/dashboard/insight", measure="<script>")
    assert unknown.status == 200 and "<script>" not in unknown.text
    assert 'value="mood" selected' in unknown.text


async def test_the_report_page_shows_the_known_figures(site: DashboardSite) -> None:
    coordinator = await site.login(site.org_a.coordinator_id)
    page = await coordinator.get("/dashboard/report", **PERIOD)
    assert page.status == 200
    rows = rows_of(page.text)
    assert rows["Members at the end of the period"] == ["27", "27"]
    assert rows["Members who completed at least one check-in"] == ["hidden", "hidden"]  # 27 - 25: 2 did not
    assert rows["Check-ins completed"] == ["54", "hidden"]
    assert rows["Average check-ins per member who checked in"] == ["hidden", "hidden"]
    assert rows["WHO-5 wellbeing (0 to 100)"] == ["15 to 19", "37.6", "44.0", "+6.4"]
    assert rows["SWEMWBS wellbeing (metric score, 7 to 35)"] == ["hidden"] * 4
    assert rows["ONS4 anxiety yesterday (0 to 10, lower is better)"] == ["20 to 24", "4.6", "3.5", "-1.1"]
    assert rows["Activities attended"] == ["18", ""]  # headcounts of sessions in September and October
    assert rows["Activities suggested after check-ins"] == ["15", ""]  # daily tallies in the same months
    assert "Hillside Community Hub: September 2026 to October 2026" in page.text
    assert 'href="/dashboard/report.pdf?from=2026-09&amp;to=2026-10"' in page.text
    assert 'type="month" id="from" name="from" value="2026-09"' in page.text


async def test_the_report_downloads_as_pdf_and_csv_attachments(site: DashboardSite) -> None:
    coordinator = await site.login(site.org_a.coordinator_id)
    pdf = await coordinator.http.get(site.url + "/dashboard/report.pdf", params=PERIOD)
    body = await pdf.read()
    assert pdf.status == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["Content-Disposition"] == ('attachment; filename="cairn-report-hillside-2026-09-to-2026-10.pdf"')
    assert body.startswith(b"%PDF-") and body.rstrip().endswith(b"%%EOF")
    document = PdfReader(io.BytesIO(body))
    assert [round(float(side)) for side in document.pages[0].mediabox[2:]] == [595, 842]  # A4 in points
    text = " ".join(" ".join(page.extract_text().split()) for page in document.pages)
    assert "Funder report: Hillside Community Hub" in text
    for line in (
        "Period: September 2026 to October 2026",
        "Members at the end of the period 27 27",
        "Check-ins completed 54 hidden",
        "Average check-ins per member who checked in hidden hidden",
        "WHO-5 wellbeing (0 to 100) 15 to 19 37.6 44.0 +6.4",
        "ONS4 happiness yesterday (0 to 10) 20 to 24 4.5 6.9 +2.5",
        '"I\'m interested" answers hidden 12',
    ):
        assert line in text, line
    answer = await coordinator.get("/dashboard/report.csv", **PERIOD)
    assert answer.status == 200 and answer.headers["Content-Type"].startswith("text/csv")
    assert answer.headers["Content-Disposition"].startswith('attachment; filename="cairn-report-hillside-')
    lines = list(csv.reader(io.StringIO(answer.text)))
    figures = {line[1]: line[2:4] for line in lines[5:]}
    assert figures["Check-ins completed"] == ["54", "hidden"]
    assert figures["Activities suggested after check-ins"] == ["15", ""]
    assert figures["Activities attended"] == ["18", ""]
    assert figures["WHO-5 wellbeing (0 to 100): average change"] == ["+6.4", "15 to 19"]
    assert all(len(line) == 5 for line in lines)


async def test_bad_months_get_a_kind_message_not_an_error(site: DashboardSite) -> None:
    coordinator = await site.login(site.org_a.coordinator_id)
    for params, words in (
        ({"from": "last tuesday", "to": "2026-10"}, "start month was not one we could read"),
        ({"from": "2026-10", "to": "2026-09"}, "swap them round"),
        ({"from": "2026-13", "to": "x" * 5000}, "was not one we could read"),
        ({"from": "2026-09", "to": "2026-11"}, "only months that have ended"),
    ):
        page = await coordinator.get("/dashboard/report", **params)
        assert page.status == 200, params
        assert words in html.unescape(page.text)
        assert "Please check the months" in page.text
        assert "Hillside Community Hub: August 2026 to October 2026" in page.text  # the default instead
    download = await coordinator.get("/dashboard/report.pdf", **{"from": "nonsense", "to": "2026-10"})
    assert download.status == 303 and download.location.startswith("/dashboard/report?")


async def test_a_range_of_days_is_refused_kindly_on_the_page_and_for_the_downloads(site: DashboardSite) -> None:
    # The attack: reports ending on 14 and 15 October differ by the members who joined on the 15th.
    coordinator = await site.login(site.org_a.coordinator_id)
    for last_day in ("2026-10-14", "2026-10-15"):
        page = await coordinator.get("/dashboard/report", **{"from": "2026-09-01", "to": last_day})
        assert page.status == 200
        assert "Reports cover whole calendar months" in page.text and "rather than a day" in page.text
        assert "Hillside Community Hub: August 2026 to October 2026" in page.text
        for download in ("/dashboard/report.pdf", "/dashboard/report.csv"):
            answer = await coordinator.get(download, **{"from": "2026-09-01", "to": last_day})
            assert answer.status == 303 and answer.location.startswith("/dashboard/report?"), download


def _report_tables(page: str) -> dict[str, list[str]]:
    article = re.search(r'<article class="report".*?</article>', page, re.S)
    assert article
    return rows_of(article.group(0))


async def test_the_page_the_csv_and_the_pdf_hide_exactly_the_same_figures(site: DashboardSite) -> None:
    coordinator = await site.login(site.org_a.coordinator_id)
    page = _report_tables((await coordinator.get("/dashboard/report", **PERIOD)).text)
    lines = list(csv.reader(io.StringIO((await coordinator.get("/dashboard/report.csv", **PERIOD)).text)))
    from_csv = {line[1]: line[2:4] for line in lines[5:]}
    pdf = await coordinator.http.get(site.url + "/dashboard/report.pdf", params=PERIOD)
    document = PdfReader(io.BytesIO(await pdf.read()))
    pdf_text = " ".join(" ".join(page.extract_text().split()) for page in document.pages)
    outcome_parts = ("average first score", "average last score", "average change")
    compared = 0
    for label, cells in page.items():
        if label in from_csv:  # a figure: value and members
            assert from_csv[label] == cells[:2], label
        else:  # a measure: members, first, last, change
            for part, value in zip(outcome_parts, cells[1:], strict=True):
                assert from_csv[f"{label}: {part}"] == [value, cells[0]], label
        assert " ".join([label, *(cell for cell in cells if cell)]) in pdf_text, label
        compared += 1
    assert compared == len(from_csv) - 2 * 6  # every line of the CSV is on the page (outcomes: 3 lines to 1 row)
    assert "hidden" in from_csv["Check-ins completed"]


async def test_the_report_says_plainly_what_comparing_reports_can_still_show(site: DashboardSite) -> None:
    coordinator = await site.login(site.org_a.coordinator_id)
    page = html.unescape((await coordinator.get("/dashboard/report", **PERIOD)).text)
    assert COMPARING in page and "members at the end of October minus members at the end of September" in page
    assert "so does any figure that would let someone work a hidden one out" not in page  # no longer claimed
    pdf = await coordinator.http.get(site.url + "/dashboard/report.pdf", params=PERIOD)
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(await pdf.read())).pages)
    assert "Comparing two reports can still give a small number away" in text
    assert "members at the end of October minus members at the end of September" in text
    csv_text = (await coordinator.get("/dashboard/report.csv", **PERIOD)).text
    assert "Comparing reports" in csv_text and "members at the end of October minus" in csv_text


def _tables_and_charts(page: str) -> list[str]:
    return re.findall(r"<table.*?</table>|<svg.*?</svg>", page, re.S)


async def _insight(client: StaffClient, measure: str = "mood") -> list[str]:
    answer = await client.get("/dashboard/insight", measure=measure)
    assert answer.status == 200
    return _tables_and_charts(answer.text)


async def test_reloading_the_insight_page_does_not_show_the_current_week(site: DashboardSite) -> None:
    # The attack: reload, and see the total go up by one each time someone checks in this week.
    coordinator = await site.login(site.org_a.coordinator_id)
    before = {measure: await _insight(coordinator, measure) for measure in ("mood", "who5")}
    async with site.units() as uow:
        seeder = Seeder(uow, 80_000)
        for minutes in range(12):  # twelve people join today, in EH6, and check in at once
            member_id = await seeder.member(site.org_a.id, "EH6", site.clock() - timedelta(hours=2))
            await seeder.consent(member_id, "given", site.clock() - timedelta(hours=2))
            moment = site.clock() - timedelta(minutes=minutes + 1)
            await seeder.checkin(member_id, moment, mood=5, scores={"who5": 100})
        await seeder.checkin(site.org_a.member_id, site.clock() - timedelta(minutes=30), mood=2)
        await uow.commit()
    after = {measure: await _insight(coordinator, measure) for measure in ("mood", "who5")}
    assert after == before


async def test_the_check_ins_chart_draws_no_hidden_figure(site: DashboardSite) -> None:
    coordinator = await site.login(site.org_a.coordinator_id)
    page = (await coordinator.get("/dashboard/insight")).text
    chart = re.search(r'<svg[^>]*id="chart-checkins".*?</svg>', page, re.S)
    assert chart
    svg = chart.group(0)
    assert "12 Oct: hidden" in svg and "12 Oct: 9" not in svg  # C's 9 check-ins in the week of 12 October
    values = re.findall(r'<text class="value"[^>]*>([^<]*)</text>', svg)
    assert sorted(value for value in values if value != "hidden") == ["11", "12", "22"]
    assert ">54<" not in svg and "54 " not in svg  # nor the hidden total


@pytest.mark.parametrize("path", PAGES)
async def test_volunteers_and_strangers_cannot_open_insight_or_the_report(site: DashboardSite, path: str) -> None:
    volunteer = await site.login(site.org_a.volunteer_id)
    assert (await volunteer.get(path)).status == 403
    stranger = await site.anonymous()
    answer = await stranger.get(path)
    assert answer.status == 303 and answer.location == "/dashboard/how-to-log-in"


async def test_a_coordinator_sees_only_their_own_organisations_figures(site: DashboardSite) -> None:
    other = await site.login(site.org_b.coordinator_id)
    report = rows_of((await other.get("/dashboard/report", **PERIOD)).text)
    assert report["Members who completed at least one check-in"] == ["15", "15"]  # not 25
    assert report["Check-ins completed"] == ["30", "15"]  # not 54
    assert report["Members at the end of the period"] == ["hidden", "hidden"]  # 15 - 15: everyone checked in
    assert report["WHO-5 wellbeing (0 to 100)"] == ["hidden"] * 4  # 0.0 then 100.0: every member's own score
    insight = await other.get("/dashboard/insight")
    assert rows_of(insight.text, "members-table") == {"EH6": ["15"], "All members": ["15"]}
    assert set(rows_of(insight.text, "averages-table")["All areas"]) == {"hidden"}  # every mood was 1
    csv_text = (await other.get("/dashboard/report.csv", **PERIOD)).text
    assert "Riverside Trust" in csv_text and "Hillside" not in csv_text
    mine = await site.login(site.org_a.coordinator_id)
    assert "Riverside" not in (await mine.get("/dashboard/report", **PERIOD)).text


async def _browser_login(site: DashboardSite, page: Any, member_id: int) -> None:
    link = await site.login_link(member_id)
    await page.goto(link)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url("**/dashboard/alerts")


async def test_a_browser_opens_insight_and_the_report_and_prints(site: DashboardSite, browser: Any) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await _browser_login(site, page, site.org_a.coordinator_id)

    await page.get_by_role("link", name="Insight").click()
    await page.wait_for_url("**/dashboard/insight")
    chart = page.get_by_role("img", name="Check-ins completed per week")
    assert await chart.count() == 1
    await page.get_by_label("Score to show").select_option("who5")
    await page.get_by_role("button", name="Show").click()
    await page.wait_for_url("**/dashboard/insight?measure=who5")
    assert await page.get_by_role("img", name=re.compile("Average WHO-5")).count() == 1
    await screenshot(page, "insight-coordinator")

    await page.goto(site.url + "/dashboard/report")
    await page.get_by_label("From the start of").fill("2026-09")
    await page.get_by_label("To the end of").fill("2026-10")
    await page.get_by_role("button", name="Show the report").click()
    await page.wait_for_url("**/dashboard/report?from=2026-09&to=2026-10")
    assert await page.get_by_role("cell", name="+6.4").count() == 1
    await screenshot(page, "report-coordinator")
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name=re.compile("Download as PDF")).click()
    download = await download_info.value
    assert download.suggested_filename == "cairn-report-hillside-2026-09-to-2026-10.pdf"

    await page.emulate_media(media="print")
    assert not await page.get_by_role("button", name="Show the report").is_visible()
    assert await page.get_by_role("cell", name="+6.4").is_visible()
    await screenshot(page, "report-print")
    await page.emulate_media(media="screen")

    narrow = await browser.new_context(viewport={"width": 375, "height": 800})
    phone = await narrow.new_page()
    await _browser_login(site, phone, site.org_a.coordinator_id)
    await phone.goto(site.url + "/dashboard/insight")
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, "the page scrolls sideways at 375 px (tables may scroll inside their own box)"
    await screenshot(phone, "insight-375px")
    await narrow.close()
    await context.close()
