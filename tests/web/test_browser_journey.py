"""In Chromium: a login link -> alerts -> claim -> resolve, on a desktop and a phone-sized screen, with screenshots
of each page saved under tests/artefacts/screenshots/."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import DashboardSite, screenshot, set_duty

UNLABELLED_FIELDS = """() => [...document.querySelectorAll('input, select, textarea')]
    .filter(field => field.type !== 'hidden')
    .filter(field => !(field.labels && field.labels.length) && !field.getAttribute('aria-label'))
    .map(field => field.name || field.id)"""


async def unlabelled(page: Any) -> list[str]:
    found: list[str] = await page.evaluate(UNLABELLED_FIELDS)
    return found


async def test_a_volunteer_logs_in_claims_and_resolves_an_alert(dashboard_site: DashboardSite, browser: Any) -> None:
    site, org = dashboard_site, dashboard_site.org_a
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await set_duty(site, org.volunteer_id)  # the bot sends unclaimed alerts to volunteers on duty
    link = await site.login_link(org.volunteer_id)

    await page.goto(link)
    await screenshot(page, f"01-login-link-{site.database.backend}")
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "Skip to main content"
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"{site.url}/dashboard/alerts")
    assert await page.get_by_role("heading", level=1).inner_text() == "Alerts"
    assert await page.get_by_role("link", name="Volunteers").count() == 0, "a volunteer's menu has alerts only"
    await screenshot(page, f"02-alerts-{site.database.backend}")

    await page.get_by_role("button", name=f"Claim alert #{org.alert_id}").click()
    await page.wait_for_url(f"{site.url}/dashboard/alerts/{org.alert_id}")
    assert f"You have claimed alert #{org.alert_id}" in await page.get_by_role("status").inner_text()
    assert org.reason in await page.locator("main").inner_text()
    assert await unlabelled(page) == []
    await screenshot(page, f"03-alert-claimed-{site.database.backend}")

    await page.get_by_label("Referred to their GP").check()
    await page.get_by_label("Note for the team (optional)").fill("Called them; they will see their GP this week.")
    await page.get_by_role("button", name=f"Resolve alert #{org.alert_id}").click()
    await page.wait_for_url(f"{site.url}/dashboard/alerts/{org.alert_id}")
    status = await page.get_by_role("status").inner_text()
    assert f"Alert #{org.alert_id} is resolved." in status and "Note saved" in status
    await screenshot(page, f"04-alert-resolved-{site.database.backend}")

    async with site.units() as uow:
        alert = await uow.alerts.get(org.alert_id)
    assert alert is not None and (alert.status, alert.outcome, alert.claimed_by) == ("resolved", "gp", org.volunteer_id)

    await page.get_by_role("button", name="Log out").click()
    await page.wait_for_url(f"{site.url}/dashboard/how-to-log-in?logged_out=1")
    await page.goto(f"{site.url}/dashboard/alerts")
    assert page.url == f"{site.url}/dashboard/how-to-log-in"
    assert await page.get_by_role("heading", level=1).inner_text() == "How to log in"
    await screenshot(page, f"05-how-to-log-in-{site.database.backend}")
    await context.close()


async def test_a_coordinator_on_a_phone_sees_alerts_and_volunteers(dashboard_site: DashboardSite, browser: Any) -> None:
    site, org = dashboard_site, dashboard_site.org_a
    context = await browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    page = await context.new_page()
    await page.goto(await site.login_link(org.coordinator_id))
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"{site.url}/dashboard/alerts")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375, "no sideways scrolling at 375 px"
    await screenshot(page, f"06-alerts-phone-{site.database.backend}")

    await page.get_by_role("link", name="Volunteers").click()
    await page.wait_for_url(f"{site.url}/dashboard/volunteers")
    await page.get_by_role("button", name="Make an invite link").click()
    invite = await page.get_by_label("Invite link").input_value()
    assert invite.startswith("https://t.me/cairn_test_bot?start=inv_")
    assert await unlabelled(page) == []
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375
    await screenshot(page, f"07-volunteers-phone-{site.database.backend}")
    await context.close()


async def test_the_volunteers_page_on_a_desktop(dashboard_site: DashboardSite, browser: Any) -> None:
    site, org = dashboard_site, dashboard_site.org_a
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(await site.login_link(org.coordinator_id))
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"{site.url}/dashboard/alerts")
    await page.goto(f"{site.url}/dashboard/volunteers")
    assert await page.get_by_role("heading", level=1).inner_text() == "Volunteers"
    await screenshot(page, f"08-volunteers-{site.database.backend}")
    await page.get_by_role("link", name=f"Remove Vic {org.slug}").click()
    await screenshot(page, f"09-remove-volunteer-{site.database.backend}")
    await page.get_by_role("button", name=f"Yes, remove Vic {org.slug}").click()
    await page.wait_for_url(f"{site.url}/dashboard/volunteers")
    assert "They are no longer part of the team." in await page.get_by_role("status").inner_text()
    await context.close()
