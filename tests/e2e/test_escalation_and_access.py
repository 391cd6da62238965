"""Unclaimed alerts escalate on time across a restart; nobody sees or touches another organisation's alerts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.operator import create_organisation
from models.tables import Alert, AuditEvent
from tests.e2e.harness import RunningBot


async def test_unclaimed_urgent_alert_goes_to_coordinators_at_15_minutes_and_member_fallback_at_30(clocked) -> None:
    bot, clock = clocked
    volunteer = await bot.staff(5101, "Ash")
    coordinator = await bot.staff(5102, "Cat", role="coordinator", on_duty=False)
    member = bot.member(5110)
    await member.onboard(store=False, share="flag_only", news=False)
    await member.say("I am going to kill myself", expect=2)
    (first,) = await volunteer.user.wait_for_messages(1)
    assert "Urgent" in first.text and "only that they may need a chat" in first.text

    clock.now += timedelta(minutes=14)
    await bot.restart()
    await member.say("/help")
    assert coordinator.user.unread == []
    clock.now += timedelta(minutes=2)
    (escalated,) = await coordinator.user.wait_for_messages(1)
    assert "Nobody has claimed this yet" in escalated.text and escalated.has_button("Claim")

    await bot.restart()
    clock.now += timedelta(minutes=15)
    (fallback,) = await member.user.wait_for_messages(1)
    assert "haven't been able to reach a community worker" in fallback.text and "116 123" in fallback.text
    assert bot.cairn is not None
    async with bot.cairn.units() as uow:
        alert = (await uow.session.scalars(select(Alert))).one()
        assert (alert.status, alert.escalation) == ("escalated", 2)


async def test_every_staff_action_is_limited_to_its_own_organisation_and_refusals_are_audited(bot: RunningBot) -> None:
    assert bot.cairn is not None
    await create_organisation(bot.cairn.units, "riverside", "Riverside Trust", bot.clock())
    home_volunteer = await bot.staff(5201, "Hal")
    other_volunteer = await bot.staff(5202, "Ola", organisation="riverside")
    other_coordinator = await bot.staff(5203, "Oscar", role="coordinator", organisation="riverside", on_duty=False)
    home_coordinator = await bot.staff(5204, "Hana", role="coordinator", on_duty=False)
    member = bot.member(5210)
    await member.onboard(store=True, share="with_answers", news=False)
    await member.say("I want to end it all", expect=2)
    await home_volunteer.user.wait_for_messages(1)
    async with bot.cairn.units() as uow:
        alert_id = (await uow.session.scalars(select(Alert.id))).one()
        home_volunteer_id = (await uow.members.by_telegram_user(5201)).id

    async def press(person, data: str) -> str:
        anchor = person.user.messages[-1]
        before = len(person.user.callback_answers)
        await person.user.press(anchor.message_id, data)
        await person.user.wait_until(lambda u: len(u.callback_answers) > before)
        return person.user.callback_answers[-1][1] or ""

    actions = [f"al:{step}:{alert_id}" for step in ("claim", "pass", "chat", "resolve", "note")] + [
        f"al:outcome:{alert_id}_ok"
    ]
    for outsider in (other_volunteer, other_coordinator, member):
        for data in actions:
            assert "can't do that" in await press(outsider, data), (outsider.user.user_id, data)
    for data in actions[2:]:
        assert "can't do that" in await press(home_coordinator, data), "only the claimer may chat or resolve"
    assert "can't do that" in await press(home_volunteer, "al:claim:999999")

    async with bot.cairn.units() as uow:
        still = (await uow.session.scalars(select(Alert))).one()
        assert (still.status, still.claimed_by_member_id) in (("open", None), ("escalated", None))
        events = (await uow.session.scalars(select(AuditEvent))).all()
        refusals = [e for e in events if e.action.startswith("alert_refused")]
    assert len(refusals) >= 3 * len(actions) + 4

    (reply,) = await member.say("/alerts")
    assert "only for community workers" in reply.text
    for command in ("/duty on", "/rota mon 09:00-17:00", "/team"):
        (refused_command,) = await member.say(command)
        assert "only for community workers" in refused_command.text

    (claimed,) = await home_volunteer.tap("Claim")
    assert "You have claimed" in claimed.text
    for outsider in (other_volunteer, other_coordinator, member, home_coordinator):
        for data in actions:
            answer = await press(outsider, data)
            assert "can't do that" in answer or "already claimed" in answer, (outsider.user.user_id, data)
    async with bot.cairn.units() as uow:
        claimed_alert = (await uow.session.scalars(select(Alert))).one()
        assert (claimed_alert.status, claimed_alert.claimed_by_member_id) == ("claimed", home_volunteer_id)
    (mine,) = await home_volunteer.say("/alerts")
    assert f"#{alert_id}" in mine.text
    (theirs,) = await other_volunteer.say("/alerts")
    assert f"#{alert_id}" not in theirs.text
    (refused,) = await home_volunteer.say("/team")
    assert "only coordinators" in refused.text

    team = await other_coordinator.say("/team")
    assert "Hal" not in team[0].text, "a coordinator sees only their own team"
    assert "can't do that" in await press(other_coordinator, f"tm:remove:{home_volunteer_id}")
    await home_coordinator.say("/team")
    (removed,) = await home_coordinator.tap("Remove Hal")
    assert "no longer part of the team" in removed.text
    await home_volunteer.user.wait_for_messages(1)
    assert "can't do that" in await press(home_volunteer, f"al:claim:{alert_id}"), "access ends at once"


async def test_a_stranger_using_a_staff_command_is_refused_kindly(clocked) -> None:
    bot, _ = clocked
    stranger = bot.member(5190)
    for command in ("/duty on", "/alerts", "/listings", "/broadcast"):
        (answer,) = await stranger.say(command)
        assert "/start" in answer.text or "only for community workers" in answer.text, answer.text
