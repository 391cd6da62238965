"""In a real browser (Playwright on Debian's Chromium): a coordinator creates an activity, and sends news that the
running bot's broadcast job delivers to simulated members of the sandbox. Screenshots of every page are saved
under tests/artefacts/screenshots/ (listings-*.png)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import time
from typing import Any

import pytest
from cryptography.fernet import Fernet
from playwright.async_api import expect

from bot.runtime import utc_now
from bot.sandbox import Sandbox, start_sandbox
from bot.web.app import RunningWeb, build_web_app, start_web
from bot.web.dashboard.links import mint_login_link
from flows.activities.model import Activity, Location, Schedule
from models.unit_of_work import UnitOfWorkFactory
from tests.conftest import BACKENDS, drop_postgres_database, migrated_database_url
from tests.e2e.harness import CANARY_TOKEN, RunningBot, e2e_settings
from tests.web.conftest import DashboardSite, screenshot

NEWS = "Spring walk on Saturday: meet at the Links at ten, all welcome."
PHONE = {"width": 375, "height": 740}
CSV = b"id,name,freq,byday,opens_at,location_name,postcode\nc-1,Chatty cafe,WEEKLY,WE,10:00,Hub,EH6 8RG\n"


async def log_in(browser: Any, units: UnitOfWorkFactory, base_url: str, member_id: int, **context: Any) -> Any:
    """A browser page logged in through a real single-use link, as the bot's /dashboard hands it out."""
    async with units() as uow:
        link = await mint_login_link(uow, base_url, member_id, utc_now())
        await uow.commit()
    assert link is not None
    page = await (await browser.new_context(**context)).new_page()
    await page.goto(link)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url("**/dashboard/alerts")
    return page


async def test_a_coordinator_creates_an_activity_in_the_browser(dashboard_site: DashboardSite, browser: Any) -> None:
    site = dashboard_site
    page = await log_in(browser, site.units, site.url, site.org_a.coordinator_id)
    await page.get_by_role("link", name="Activities").click()
    await page.wait_for_url("**/dashboard/activities")
    await screenshot(page, f"listings-activities-empty-{site.database.backend}")
    await page.get_by_role("link", name="Add an activity").click()
    await page.get_by_role("button", name="Add activity").click()
    assert await page.get_by_role("alert").get_by_text("There is a problem").count() == 1
    await screenshot(page, f"listings-activity-form-errors-{site.database.backend}")

    await page.get_by_label("Name", exact=True).fill("Thursday knit and natter")
    await page.get_by_label("Description (optional)").fill("Bring your own wool, or borrow some.")
    await page.get_by_label("Every week").check()
    await page.get_by_label("Thursday").check()
    await page.get_by_label("Starts at").fill("14:00")
    await page.get_by_label("Ends at (optional)").fill("15:30")
    await page.get_by_label("Name of the place").fill("Leith Library")
    await page.get_by_label("Postcode").fill("EH6 8RG")
    await page.get_by_label("Only people in the venue's district").check()
    await page.get_by_label("It costs something").check()
    await page.get_by_label("Cost in pounds").fill("2")
    await page.get_by_label("Arts and crafts").check()
    await screenshot(page, f"listings-activity-form-{site.database.backend}")
    await page.get_by_role("button", name="Add activity").click()

    await page.get_by_role("heading", name="Thursday knit and natter", level=1).wait_for()
    text = await page.locator("main").inner_text()
    for line in (
        "Saved.",
        "🗓 Thursday 26 November, 14:00 to 15:30",
        "📍 Leith Library, EH6 8RG",
        "💷 £2",
        "People in EH6",
    ):
        assert line in text, line
    await screenshot(page, f"listings-activity-{site.database.backend}")
    async with site.units() as uow:
        (saved,) = await uow.activities.for_organisation(site.org_a.id)
    assert saved.name == "Thursday knit and natter" and saved.areas == ("EH6",) and "arts-crafts" in saved.interests

    await page.get_by_role("link", name="Cancel the session on Thursday 26 November").click()
    await page.get_by_role("heading", level=1).wait_for()
    await screenshot(page, f"listings-activity-cancel-{site.database.backend}")
    await page.get_by_role("button", name="Yes, cancel this session").click()
    await page.get_by_text("Cancelled: Thursday knit and natter").wait_for()
    async with site.units() as uow:
        cancelled = await uow.activities.get(saved.id)
    assert cancelled is not None and len(cancelled.cancelled_dates) == 1

    await page.get_by_role("link", name="Change this activity").click()
    await page.get_by_label("Name", exact=True).fill("Thursday knit, natter and tea")
    await screenshot(page, f"listings-activity-change-{site.database.backend}")
    await page.get_by_role("button", name="Save changes").click()
    await page.get_by_role("heading", name="Thursday knit, natter and tea", level=1).wait_for()
    async with site.units() as uow:
        changed = await uow.activities.get(saved.id)
    assert changed is not None and changed.schedules == saved.schedules and changed.cancelled_dates

    await page.goto(site.url + "/dashboard/activities/import")
    await page.get_by_label("File to import").set_input_files(
        files=[
            {
                "name": "more.csv",
                "mimeType": "text/csv",
                "buffer": CSV,
            }
        ]
    )
    await page.get_by_role("button", name="Import the file").click()
    await page.get_by_text("Activities: 1 added").wait_for()
    await screenshot(page, f"listings-activity-import-{site.database.backend}")

    phone = await log_in(browser, site.units, site.url, site.org_a.coordinator_id, viewport=PHONE)
    await phone.goto(site.url + "/dashboard/activities/new")
    assert await phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scroll"
    await screenshot(phone, f"listings-activity-form-375px-{site.database.backend}")
    await phone.goto(site.url + "/dashboard/activities")
    await screenshot(phone, f"listings-activities-375px-{site.database.backend}")


@dataclass
class BotWithDashboard:
    """The sandbox, a real Cairn polling it, and the dashboard served from the same event loop."""

    bot: RunningBot
    web: RunningWeb
    backend: str


@pytest.fixture(params=BACKENDS)
async def bot_with_dashboard(request: pytest.FixtureRequest, tmp_path: object) -> AsyncIterator[BotWithDashboard]:
    url = await migrated_database_url(request.param, tmp_path)
    sandbox = Sandbox(token=CANARY_TOKEN)
    server = await start_sandbox(sandbox, "127.0.0.1", 0)
    settings = replace(e2e_settings(url, (Fernet.generate_key().decode(),), server.bot_base_url), web_port=0)
    bot = RunningBot(sandbox, server, settings)
    await bot.start()
    assert bot.cairn is not None
    web = await start_web(build_web_app(bot.cairn.units, settings, utc_now), "127.0.0.1", 0)
    try:
        yield BotWithDashboard(bot, web, request.param)
    finally:
        await web.stop()
        await bot.stop()
        await server.stop()
        if request.param == "postgresql":
            await drop_postgres_database(url)


def copies(bot: RunningBot, user_id: int) -> int:
    chat = bot.sandbox.state.chats.get(user_id)
    return 0 if chat is None else sum(1 for entry in chat.bot_entries() if NEWS in (entry.text or ""))


@pytest.mark.timeout(180)
async def test_news_sent_from_the_browser_reaches_sandbox_members_through_the_running_bot(
    bot_with_dashboard: BotWithDashboard, browser: Any
) -> None:
    bot, backend = bot_with_dashboard.bot, bot_with_dashboard.backend
    assert bot.cairn is not None
    wanting = [bot.member(7101), bot.member(7102), bot.member(7103)]
    declined = bot.member(7104)
    await asyncio.gather(*(person.onboard(store=False, share=None, news=True) for person in wanting))
    await declined.onboard(store=False, share=None, news=False)
    await bot.staff(7100, "Sam", role="coordinator", on_duty=False)
    async with bot.cairn.units() as uow:
        me = await uow.members.by_telegram_user(7100)
        assert me is not None
        walk = Activity(
            id="links-walk",
            organisation_id=me.organisation_id,
            name="Links walk",
            schedules=(Schedule(id="s", freq="WEEKLY", byday=("SA",), opens_at=time(10)),),
            locations=(Location(id="l", name="Leith Links", postcode="EH6 7AA"),),
        )
        await uow.activities.upsert(me.organisation_id, walk, utc_now())
        await uow.commit()

    page = await log_in(browser, bot.cairn.units, bot_with_dashboard.web.url, me.id)
    await page.get_by_role("link", name="Broadcasts").click()
    await page.get_by_role("link", name="Write news").click()
    await page.get_by_text("This will go to fewer than 10 people.").wait_for()
    await page.get_by_label("Your message").fill(NEWS)
    await page.get_by_label("Activity card (optional)").select_option("links-walk")
    await screenshot(page, f"listings-broadcast-compose-{backend}")
    await page.get_by_role("button", name="Preview").click()
    await page.get_by_role("heading", name="Preview your news").wait_for()
    preview = await page.locator("main").inner_text()
    assert NEWS in preview and "Links walk" in preview and "Stop these messages" in preview
    assert "This will go to fewer than 10 people." in preview
    await screenshot(page, f"listings-broadcast-preview-{backend}")
    await page.get_by_role("button", name="Send").dblclick()  # pressed twice: still one broadcast

    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url) if request.url.endswith("/progress") else None)
    await page.get_by_role("heading", name="How it is going").wait_for()
    status = page.locator("[data-field=status_words]")
    first_shown = await status.inner_text()
    await expect(status).to_have_text("Done", timeout=30_000)  # under the page's CSP: the script is allowed
    assert await status.inner_text() == "Done", "the page followed the bot's progress by itself"
    assert first_shown == "Done" or fetched, "the page asked how it was going while it sent"
    await screenshot(page, f"listings-broadcast-progress-{backend}")
    assert [copies(bot, person.user.user_id) for person in wanting] == [1, 1, 1]
    assert copies(bot, 7104) == 0 and copies(bot, 7100) == 0, "nobody who did not ask for news gets it"
    (sent,) = [m for m in wanting[0].user.messages if NEWS in (m.text or "")]
    assert sent.has_button("Stop these messages") and "Links walk" in (sent.text or "")
    async with bot.cairn.units() as uow:
        assert len(await uow.broadcasts.for_organisation(me.organisation_id)) == 1
    await page.goto(bot_with_dashboard.web.url + "/dashboard/broadcasts")
    await screenshot(page, f"listings-broadcasts-{backend}")
