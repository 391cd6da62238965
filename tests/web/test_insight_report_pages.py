"""Insight and funder report pages over the real web app and a real database (SQLite and PostgreSQL).

The hand-computed fixture of tests/models/insight_seed.py is seeded into organisation A (Hillside); organisation
B (Riverside) gets the "other organisation" rows. The web fixture's own seed adds two non-staff members to each
organisation, with no area, joined on 22 Nov (after the report's period).
"""

from __future__ import annotations

import csv
import html
import io
import re
from typing import Any

import pytest
from pypdf import PdfReader

from tests.models.insight_seed import seed_known_answers
from tests.web.conftest import DashboardSite, screenshot

PERIOD = {"from": "2026-09-01", "to": "2026-11-15"}
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
        "No area set": ["hidden"],  # N, L and the fixture's two members: 4
        "All members": ["30"],
    }
    weeks = rows_of(page.text, "checkins-table")
    assert weeks["7 Sep"] == ["12", "12"] and weeks["14 Sep"] == ["10", "11"] and weeks["5 Oct"] == ["22", "22"]
    assert weeks["12 Oct"] == ["hidden", "hidden"]
    assert weeks["All 12 weeks"] == ["25", "54"]
    averages = rows_of(page.text, "averages-table")
    assert averages["EH6"][1] == "2.8" and averages["EH6"][5] == "4.0" and averages["EH6"][-1] == "3.4"
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
    assert rows["Check-ins completed"] == ["54", "25"]
    assert rows["Average check-ins per member who checked in"] == ["2.2", "25"]
    assert rows["WHO-5 wellbeing (0 to 100)"] == ["15", "37.6", "44.0", "+6.4"]
    assert rows["SWEMWBS wellbeing (metric score, 7 to 35)"] == ["hidden"] * 4
    assert rows["ONS4 anxiety yesterday (0 to 10, lower is better)"] == ["22", "4.6", "3.5", "-1.1"]
    assert rows["Activities attended"] == ["not recorded", ""]
    assert "Hillside Community Hub: 1 September 2026 to 15 November 2026" in page.text
    assert 'href="/dashboard/report.pdf?from=2026-09-01&amp;to=2026-11-15"' in page.text


async def test_the_report_downloads_as_pdf_and_csv_attachments(site: DashboardSite) -> None:
    coordinator = await site.login(site.org_a.coordinator_id)
    pdf = await coordinator.http.get(site.url + "/dashboard/report.pdf", params=PERIOD)
    body = await pdf.read()
    assert pdf.status == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["Content-Disposition"] == (
        'attachment; filename="cairn-report-hillside-2026-09-01-to-2026-11-15.pdf"'
    )
    assert body.startswith(b"%PDF-") and body.rstrip().endswith(b"%%EOF")
    document = PdfReader(io.BytesIO(body))
    assert [round(float(side)) for side in document.pages[0].mediabox[2:]] == [595, 842]  # A4 in points
    text = " ".join(" ".join(page.extract_text().split()) for page in document.pages)
    assert "Funder report: Hillside Community Hub" in text
    for line in (
        "Members at the end of the period 27 27",
        "Check-ins completed 54 25",
        "Average check-ins per member who checked in 2.2 25",
        "WHO-5 wellbeing (0 to 100) 15 37.6 44.0 +6.4",
        "ONS4 happiness yesterday (0 to 10) 22 4.5 6.9 +2.5",
        '"I\'m interested" answers 13 12',
    ):
        assert line in text, line
    answer = await coordinator.get("/dashboard/report.csv", **PERIOD)
    assert answer.status == 200 and answer.headers["Content-Type"].startswith("text/csv")
    assert answer.headers["Content-Disposition"].startswith('attachment; filename="cairn-report-hillside-')
    lines = list(csv.reader(io.StringIO(answer.text)))
    figures = {line[1]: line[2:4] for line in lines[3:]}
    assert figures["Check-ins completed"] == ["54", "25"]
    assert figures["WHO-5 wellbeing (0 to 100): average change"] == ["+6.4", "15"]
    assert all(len(line) == 5 for line in lines)


async def test_bad_dates_get_a_kind_message_not_an_error(site: DashboardSite) -> None:
    coordinator = await site.login(site.org_a.coordinator_id)
    for params, words in (
        ({"from": "last tuesday", "to": "2026-11-01"}, "start date was not one we could read"),
        ({"from": "2026-11-01", "to": "2026-09-01"}, "swap them round"),
        ({"from": "2026-13-01", "to": "x" * 5000}, "was not one we could read"),
    ):
        page = await coordinator.get("/dashboard/report", **params)
        assert page.status == 200, params
        assert words in html.unescape(page.text)
        assert "Please check the dates" in page.text
    download = await coordinator.get("/dashboard/report.pdf", **{"from": "nonsense", "to": "2026-11-01"})
    assert download.status == 303 and download.location.startswith("/dashboard/report?")


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
    assert report["Members at the end of the period"] == ["15", "15"]  # not 27
    assert report["Check-ins completed"] == ["30", "15"]  # not 54
    assert report["WHO-5 wellbeing (0 to 100)"] == ["15", "0.0", "100.0", "+100.0"]
    insight = await other.get("/dashboard/insight")
    assert rows_of(insight.text, "members-table") == {
        "EH6": ["hidden"],  # 15, hidden too: with the total shown, "No area set" (2) would follow from it
        "No area set": ["hidden"],
        "All members": ["17"],
    }
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
    await page.get_by_label("From", exact=True).fill("2026-09-01")
    await page.get_by_label("To", exact=True).fill("2026-11-15")
    await page.get_by_role("button", name="Show the report").click()
    await page.wait_for_url("**/dashboard/report?from=2026-09-01&to=2026-11-15")
    assert await page.get_by_role("cell", name="+6.4").count() == 1
    await screenshot(page, "report-coordinator")
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name=re.compile("Download as PDF")).click()
    download = await download_info.value
    assert download.suggested_filename == "cairn-report-hillside-2026-09-01-to-2026-11-15.pdf"

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
