"""The volunteers page: who is on duty now, the rota, an invite link that works in the bot, and removal."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from models.tables import OutboxMessage
from tests.web.conftest import DashboardSite


async def test_the_team_shows_roles_rota_and_who_is_on_duty_now(dashboard_site: DashboardSite) -> None:
    site, org = dashboard_site, dashboard_site.org_a
    async with site.units() as uow:  # NOW is Sunday 22 November 2026, 12:00 UTC (12:00 in London)
        await uow.team.set_rota(org.volunteer_id, frozenset({0, 6}), "10:00-14:00")
        await uow.commit()
    client = await site.login(org.coordinator_id)
    page = await client.get("/dashboard/volunteers")
    assert page.status == 200
    on_duty = page.text[page.text.index('id="on-duty"') : page.text.index('id="invite"')]
    assert f"Vic {org.slug}" in on_duty and f"Cora {org.slug}" not in on_duty
    assert "Mon, Sun, 10:00-14:00" in page.text and "Yes (rota)" in page.text
    assert "community worker" in page.text and "coordinator" in page.text
    for _ in range(6):  # to 14:30, staying active so the session does not idle out
        site.clock.advance(timedelta(minutes=25))
        later = await client.get("/dashboard/volunteers")
    assert "Nobody is on duty right now." in later.text


async def test_an_invite_link_is_made_once_and_works_in_the_bot(dashboard_site: DashboardSite) -> None:
    site, org = dashboard_site, dashboard_site.org_a
    client = await site.login(org.coordinator_id)
    made = await client.post("/dashboard/volunteers/invite")
    assert made.status == 200
    found = re.search(r'value="https://t\.me/cairn_test_bot\?start=(inv_[A-Za-z0-9_-]+)"', made.text)
    assert found, "the page shows the t.me invite link"
    token = found.group(1).removeprefix("inv_")
    async with site.units() as uow:
        invite = await uow.staff.invite_by_token(token)
        events = await uow.audit.all()
    assert invite is not None and invite.organisation_id == org.id and invite.role == "volunteer"
    assert not invite.redeemed and invite.expires_at == site.clock() + timedelta(days=7)
    assert any(e.action == "staff_invite_created" and e.organisation_id == org.id for e in events)
    again = await client.get("/dashboard/volunteers")
    assert found.group(1) not in again.text, "the link is shown once, not kept on the page"


async def test_removing_someone_asks_first_then_ends_their_access(dashboard_site: DashboardSite) -> None:
    site, org = dashboard_site, dashboard_site.org_a
    volunteer = await site.login(org.volunteer_id)
    coordinator = await site.login(org.coordinator_id)
    confirm = await coordinator.get(f"/dashboard/volunteers/{org.volunteer_id}/remove")
    assert confirm.status == 200 and f"Remove Vic {org.slug} from the team?" in confirm.text
    async with site.units() as uow:
        assert await uow.team.of_member(org.volunteer_id) is not None, "opening the confirmation changes nothing"
    removed = await coordinator.post(f"/dashboard/volunteers/{org.volunteer_id}/remove")
    assert removed.status == 303 and removed.location == "/dashboard/volunteers"
    page = await coordinator.get("/dashboard/volunteers")
    assert "They are no longer part of the team." in page.text and f"Vic {org.slug}" not in page.text
    async with site.units() as uow:
        assert await uow.team.of_member(org.volunteer_id) is None
        told = (
            await uow.session.scalars(
                select(OutboxMessage.kind).where(OutboxMessage.recipient_member_id == org.volunteer_id)
            )
        ).all()
        events = await uow.audit.all()
    assert list(told) == ["notice"], "Cairn tells them in Telegram, as the bot's /team does"
    assert any(e.action == "team_member_removed" and e.object_id == org.volunteer_id for e in events)
    assert (await volunteer.get("/dashboard/alerts")).status == 303


async def test_a_coordinator_cannot_remove_themselves(dashboard_site: DashboardSite) -> None:
    site, org = dashboard_site, dashboard_site.org_a
    client = await site.login(org.coordinator_id)
    assert (await client.post(f"/dashboard/volunteers/{org.coordinator_id}/remove")).status == 400
    async with site.units() as uow:
        assert await uow.team.of_member(org.coordinator_id) is not None
