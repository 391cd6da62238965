"""The alerts page: grouped by status, only what the sharing level allows, claim and resolve as the bot does."""

from __future__ import annotations

from sqlalchemy import select

from models.tables import Alert, OutboxMessage
from tests.web.conftest import DashboardSite, set_duty, share_consent


async def test_alerts_are_grouped_with_tier_and_age_and_no_reasons_on_the_list(dashboard_site: DashboardSite) -> None:
    site, org = dashboard_site, dashboard_site.org_a
    client = await site.login(org.volunteer_id)
    page = await client.get("/dashboard/alerts")
    assert page.status == 200
    waiting = page.text.index("Waiting <span")
    claimed = page.text.index("Claimed <span")
    assert waiting < page.text.index(f"Alert #{org.alert_id}<") < claimed
    assert "may need a chat" in page.text and "urgent" in page.text, "tiers in the catalogue's words"
    assert "40 min ago" in page.text and "5 min ago" in page.text
    assert org.reason not in page.text and org.hidden_reason not in page.text


async def test_an_alert_shows_reasons_only_when_the_member_shares_their_answers(dashboard_site: DashboardSite) -> None:
    site, org = dashboard_site, dashboard_site.org_a
    await set_duty(site, org.volunteer_id)
    client = await site.login(org.volunteer_id)
    shared = await client.get(f"/dashboard/alerts/{org.alert_id}")
    assert shared.status == 200 and org.reason in shared.text
    flag_only = await client.get(f"/dashboard/alerts/{org.flag_only_alert_id}")
    assert flag_only.status == 200
    assert org.hidden_reason not in flag_only.text
    assert "They chose to share only that they may need a chat." in flag_only.text


async def test_every_view_of_an_alert_is_audited(dashboard_site: DashboardSite) -> None:
    site, org = dashboard_site, dashboard_site.org_a
    client = await site.login(org.coordinator_id)
    for _ in range(2):
        assert (await client.get(f"/dashboard/alerts/{org.alert_id}")).status == 200
    async with site.units() as uow:
        events = await uow.audit.all()
    views = [e for e in events if e.action == "alert_viewed" and e.object_id == org.alert_id]
    assert len(views) == 2
    assert all(e.actor_member_id == org.coordinator_id and e.organisation_id == org.id for e in views)
    assert any(e.action == "alerts_listed" and e.object_id == org.id for e in events)


async def test_claiming_takes_the_alert_and_tells_the_others_who_has_it(dashboard_site: DashboardSite) -> None:
    site, org = dashboard_site, dashboard_site.org_a
    async with site.units() as uow:  # the alert went out to the coordinator's chat, as the alert job would send it
        now = site.clock()
        await uow.outbox.enqueue(org.coordinator_id, 1001, "alert", "alert text", [], now, alert_id=org.alert_id)
        await uow.commit()
    await set_duty(site, org.volunteer_id)
    volunteer = await site.login(org.volunteer_id)
    claimed = await volunteer.post(f"/dashboard/alerts/{org.alert_id}/claim")
    assert claimed.status == 303 and claimed.location == f"/dashboard/alerts/{org.alert_id}"
    page = await volunteer.get(claimed.location)
    assert f"You have claimed alert #{org.alert_id}. Thank you." in page.text
    assert "Resolve alert" in page.text
    async with site.units() as uow:
        alert = await uow.alerts.get(org.alert_id)
        edits = (
            await uow.session.scalars(
                select(OutboxMessage.recipient_member_id).where(OutboxMessage.kind == "alert_update")
            )
        ).all()
        events = await uow.audit.all()
    assert alert is not None and alert.status == "claimed" and alert.claimed_by == org.volunteer_id
    assert list(edits) == [org.coordinator_id]
    assert any(e.action == "alert_claimed" and e.object_id == org.alert_id for e in events)

    coordinator = await site.login(org.coordinator_id)
    late = await coordinator.post(f"/dashboard/alerts/{org.alert_id}/claim")
    assert late.status == 303
    assert "Someone has already claimed this." in (await coordinator.get(late.location)).text
    async with site.units() as uow:
        still = await uow.alerts.get(org.alert_id)
    assert still is not None and still.claimed_by == org.volunteer_id


async def test_resolving_keeps_the_outcome_and_an_encrypted_note(dashboard_site: DashboardSite) -> None:
    site, org = dashboard_site, dashboard_site.org_a
    await set_duty(site, org.volunteer_id)
    client = await site.login(org.volunteer_id)
    await client.post(f"/dashboard/alerts/{org.alert_id}/claim")
    note = "Spoke on the phone; CANARY-MEMBER-TEXT is fine"
    missing = await client.post(f"/dashboard/alerts/{org.alert_id}/resolve", {"note": note})
    assert missing.status == 400 and "Choose what happened" in missing.text
    wrong = await client.post(f"/dashboard/alerts/{org.alert_id}/resolve", {"outcome": "made-up", "note": note})
    assert wrong.status == 400
    done = await client.post(f"/dashboard/alerts/{org.alert_id}/resolve", {"outcome": "gp", "note": note})
    assert done.status == 303
    page = await client.get(done.location)
    assert f"Alert #{org.alert_id} is resolved." in page.text and "Note saved" in page.text
    assert "Referred to their GP" in page.text and note in page.text
    async with site.units() as uow:
        row = (
            await uow.session.execute(
                select(Alert.status, Alert.outcome, Alert.note_encrypted).where(Alert.id == org.alert_id)
            )
        ).one()
        events = {e.action for e in await uow.audit.all() if e.object_id == org.alert_id}
    assert row is not None and row.status == "resolved" and row.outcome == "gp"
    assert row.note_encrypted is not None and b"Spoke on the phone" not in row.note_encrypted
    assert {"alert_claimed", "alert_resolved", "alert_noted"} <= events


async def test_only_the_claimer_resolves(dashboard_site: DashboardSite) -> None:
    site, org = dashboard_site, dashboard_site.org_a
    await set_duty(site, org.volunteer_id)
    volunteer = await site.login(org.volunteer_id)
    await volunteer.post(f"/dashboard/alerts/{org.alert_id}/claim")
    coordinator = await site.login(org.coordinator_id)
    page = await coordinator.get(f"/dashboard/alerts/{org.alert_id}")
    assert "Only the person who claimed this alert can resolve it." in page.text
    refused = await coordinator.post(f"/dashboard/alerts/{org.alert_id}/resolve", {"outcome": "ok"})
    assert refused.status == 403
    unclaimed = await coordinator.post(f"/dashboard/alerts/{org.flag_only_alert_id}/resolve", {"outcome": "ok"})
    assert unclaimed.status == 403
    async with site.units() as uow:
        alert = await uow.alerts.get(org.alert_id)
    assert alert is not None and alert.status == "claimed"


async def test_a_volunteer_sees_resolved_alerts_only_if_they_claimed_them(dashboard_site: DashboardSite) -> None:
    site, org = dashboard_site, dashboard_site.org_a
    coordinator = await site.login(org.coordinator_id)
    await coordinator.post(f"/dashboard/alerts/{org.alert_id}/claim")
    await coordinator.post(f"/dashboard/alerts/{org.alert_id}/resolve", {"outcome": "ok"})
    volunteer = await site.login(org.volunteer_id)
    listing = await volunteer.get("/dashboard/alerts")
    assert f"Alert #{org.alert_id}<" not in listing.text and f"Alert #{org.flag_only_alert_id}<" in listing.text
    assert (await volunteer.get(f"/dashboard/alerts/{org.alert_id}")).status == 404
    assert f"Alert #{org.alert_id}<" in (await coordinator.get("/dashboard/alerts")).text


async def test_an_off_duty_volunteer_is_refused_the_details_and_the_claim(dashboard_site: DashboardSite) -> None:
    site, org = dashboard_site, dashboard_site.org_a
    volunteer = await site.login(org.volunteer_id)
    listing = await volunteer.get("/dashboard/alerts")
    assert f"Alert #{org.alert_id}<" in listing.text, "listed, as /alerts in the bot lists it"
    assert "Claim alert #" not in listing.text
    page = await volunteer.get(f"/dashboard/alerts/{org.alert_id}")
    assert page.status == 200 and org.reason not in page.text
    assert "while you are on duty" in page.text and "Claim alert" not in page.text
    refused = await volunteer.post(f"/dashboard/alerts/{org.alert_id}/claim")
    assert refused.status == 303
    again = await volunteer.get(refused.location)
    assert "while you are on duty" in again.text and org.reason not in again.text
    async with site.units() as uow:
        alert = await uow.alerts.get(org.alert_id)
        events = [(e.action, e.object_id) for e in await uow.audit.all() if e.actor_member_id == org.volunteer_id]
    assert alert is not None and alert.status == "open" and alert.claimed_by is None
    assert ("alert_details_refused", org.alert_id) in events and ("alert_claim_refused", org.alert_id) in events
    assert ("alert_viewed", org.alert_id) not in events, "every view is audited, as what it was"

    async with site.units() as uow:  # the site's clock is Sunday 12:00 in London: inside a Sunday rota
        await uow.team.set_rota(org.volunteer_id, frozenset({6}), "09:00-17:00")
        await uow.commit()
    in_rota = await volunteer.get(f"/dashboard/alerts/{org.alert_id}")
    assert org.reason in in_rota.text and f"Claim alert #{org.alert_id}" in in_rota.text
    async with site.units() as uow:
        await uow.team.set_rota(org.volunteer_id, frozenset({0}), "09:00-17:00")
        await uow.commit()
    assert org.reason not in (await volunteer.get(f"/dashboard/alerts/{org.alert_id}")).text


async def test_a_claimed_alerts_details_are_for_its_claimer_and_coordinators(dashboard_site: DashboardSite) -> None:
    site, org = dashboard_site, dashboard_site.org_a
    await set_duty(site, org.volunteer_id)
    coordinator = await site.login(org.coordinator_id)
    assert (await coordinator.post(f"/dashboard/alerts/{org.alert_id}/claim")).status == 303
    volunteer = await site.login(org.volunteer_id)
    page = await volunteer.get(f"/dashboard/alerts/{org.alert_id}")
    assert page.status == 200 and org.reason not in page.text
    assert "Only the person who claimed this alert, and coordinators, can see" in page.text
    assert f"Cora {org.slug}" in page.text, "who has it is still shown"
    assert org.reason in (await coordinator.get(f"/dashboard/alerts/{org.alert_id}")).text

    claimed = await volunteer.post(f"/dashboard/alerts/{org.flag_only_alert_id}/claim")
    assert claimed.status == 303
    await set_duty(site, org.volunteer_id, on=False)
    mine = await volunteer.get(f"/dashboard/alerts/{org.flag_only_alert_id}")
    assert "They chose to share only that they may need a chat." in mine.text, "the claimer keeps them off duty"
    assert "Resolve alert" in mine.text and "while you are on duty" not in mine.text


async def test_withdrawing_consent_to_share_hides_what_was_shared_at_once(dashboard_site: DashboardSite) -> None:
    site, org = dashboard_site, dashboard_site.org_a
    coordinator = await site.login(org.coordinator_id)
    assert org.reason in (await coordinator.get(f"/dashboard/alerts/{org.alert_id}")).text

    async def share(action: str, level: str | None) -> str:
        async with site.units() as uow:
            await share_consent(uow, org.member_id, action, level)
            await uow.commit()
        page = await coordinator.get(f"/dashboard/alerts/{org.alert_id}")
        assert page.status == 200
        return page.text

    withdrawn = await share("withdrawn", None)
    assert org.reason not in withdrawn
    assert "This member has withdrawn their consent to share with the team" in withdrawn
    narrowed = await share("given", "flag_only")
    assert org.reason not in narrowed and "They chose to share only that they may need a chat." in narrowed
    assert org.reason in await share("given", "with_answers")


async def test_a_coordinator_who_claims_on_the_web_gets_it_in_telegram_and_can_get_in_touch(
    dashboard_site: DashboardSite,
) -> None:
    site, org = dashboard_site, dashboard_site.org_a
    coordinator = await site.login(org.coordinator_id)
    claimed = await coordinator.post(f"/dashboard/alerts/{org.alert_id}/claim")
    page = await coordinator.get(claimed.location)
    assert "Ask to chat through Cairn" in page.text
    asked = await coordinator.post(f"/dashboard/alerts/{org.alert_id}/get-in-touch")
    assert asked.status == 303
    async with site.units() as uow:
        rows = (await uow.session.scalars(select(OutboxMessage))).all()
        payloads = {(row.recipient_member_id, row.kind): uow.cipher.decrypt(row.payload_encrypted) for row in rows}
    to_telegram = payloads[(org.coordinator_id, "notice")]
    assert "on the dashboard" in to_telegram and "al:chat:" in to_telegram, "their Telegram has the alert's buttons"
    member = await site_member_of_alert(site, org.alert_id)
    assert "would like to chat" in payloads[(member, "relay")]


async def test_a_volunteer_who_does_not_hold_the_alert_cannot_start_a_chat_from_the_web(
    dashboard_site: DashboardSite,
) -> None:
    site, org = dashboard_site, dashboard_site.org_a
    await set_duty(site, org.volunteer_id)
    volunteer = await site.login(org.volunteer_id)
    await volunteer.post(f"/dashboard/alerts/{org.alert_id}/get-in-touch")
    async with site.units() as uow:
        kinds = (await uow.session.scalars(select(OutboxMessage.kind))).all()
    assert "relay" not in kinds


async def site_member_of_alert(site: DashboardSite, alert_id: int) -> int:
    async with site.units() as uow:
        alert = await uow.alerts.get(alert_id)
    assert alert is not None
    return alert.member_id


async def test_a_coordinator_cannot_open_or_see_listed_an_alert_about_themselves(dashboard_site: DashboardSite) -> None:
    site, org = dashboard_site, dashboard_site.org_a
    async with site.units() as uow:
        about_me = await uow.alerts.raise_alert(
            org.coordinator_id, org.id, "URGENT", "with_answers", ["r"], site.clock()
        )
        await uow.commit()
    coordinator = await site.login(org.coordinator_id)
    assert (await coordinator.get(f"/dashboard/alerts/{about_me}")).status == 404
    listed = await coordinator.get("/dashboard/alerts")
    assert f"Alert #{about_me}<" not in listed.text and f"Alert #{org.alert_id}<" in listed.text
