"""The alert model end to end, real bot and sandbox, on SQLite and PostgreSQL: staff who leave keep no access,
their claims and chats go back to the team, and the next crisis reaches someone; what the member is told is
true. Each test is named after the hole it closes (issue 16)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.operator import create_organisation
from bot.safeguarding.desk import AlertDesk
from flows.texts import load_catalogue
from models.base import Base
from models.tables import Alert, AuditEvent
from tests.e2e.harness import CANARY_TEXT, Member, RunningBot

CRISIS = "I am going to kill myself tonight, I have the rope"


async def claim_and_open_chat(volunteer: Member, member: Member) -> None:
    (alert,) = await volunteer.user.wait_for_messages(1)
    assert alert.has_button("Claim")
    await volunteer.tap("Claim")
    await volunteer.tap("Chat with the member")
    (invitation,) = await member.user.wait_for_messages(1)
    assert "would like to chat" in invitation.text
    await member.tap("Yes, let's chat")
    await volunteer.user.wait_for_messages(1)
    await volunteer.user.send("Hi, I'm here to listen.")
    (relayed,) = await member.user.wait_for_messages(1)
    assert relayed.text.endswith("Hi, I'm here to listen.")


async def test_a_volunteer_removed_mid_chat_reaches_the_member_no_more_and_the_next_crisis_reaches_someone(
    clocked,
) -> None:
    bot, clock = clocked
    ash = await bot.staff(8101, "Ash")
    cat = await bot.staff(8102, "Cat", role="coordinator", on_duty=False)
    member = bot.member(8110)
    await member.onboard(store=False, share="flag_only", news=False)
    await member.say("I want to end my life", expect=2)
    await claim_and_open_chat(ash, member)

    await cat.say("/team")
    await cat.tap("Remove Ash")
    (removed,) = await ash.user.wait_for_messages(1)
    assert "no longer part of the team" in removed.text
    (closed,) = await member.user.wait_for_messages(1)
    assert "can't carry on this chat" in closed.text and "someone else may get in touch" in closed.text
    (sent_again,) = await cat.user.wait_for_messages(1)
    assert sent_again.has_button("Claim"), "the released alert goes to whoever can act on it now"

    await ash.user.send("are you still there?")
    await ash.user.wait_for_messages(1)
    await member.user.send("hello? where did you go")
    await member.user.wait_for_messages(1)
    assert not any("are you still there" in (m.text or "") for m in member.user.messages)
    assert not any("where did you go" in (m.text or "") for m in ash.user.messages)

    seen = len(cat.user.messages)
    clock.now += timedelta(minutes=31)
    crisis, _told = await member.say(CRISIS, expect=2)
    assert "116 123" in crisis.text
    await cat.user.wait_until(lambda u: any(m.has_button("Claim") for m in u.messages[seen:]), timeout=60)
    async with bot.cairn.units() as uow:  # type: ignore[union-attr]
        (alert,) = (await uow.session.scalars(select(Alert))).all()
        assert alert.claimed_by_member_id is None and alert.status in ("open", "escalated")
        actions = {event.action for event in (await uow.session.scalars(select(AuditEvent))).all()}
    assert {"alert_released", "relay_closed_staff_left"} <= actions


async def test_the_claimer_uses_forget_and_the_alert_goes_back_to_whoever_is_on_duty(bot: RunningBot) -> None:
    ash = await bot.staff(8201, "Ash")
    bea = await bot.staff(8202, "Bea")
    member = bot.member(8210)
    await member.onboard(store=False, share="with_answers", news=False)
    await member.say("I want to end my life", expect=2)
    await bea.user.wait_for_messages(1)
    await claim_and_open_chat(ash, member)
    await bea.user.wait_until(lambda u: not any(m.has_button("Claim") for m in u.messages))  # "claimed by Ash"

    await ash.say("/forget")
    await ash.tap("Yes, delete everything")
    (closed,) = await member.user.wait_for_messages(1)
    assert "can't carry on this chat" in closed.text
    await bea.user.wait_until(lambda u: any(m.has_button("Claim") for m in u.messages))
    assert any("is waiting again" in (m.text or "") for m in bea.user.messages)
    offer = next(m for m in reversed(bea.user.messages) if m.has_button("Claim"))
    await bea.user.press(offer.message_id, offer.button("Claim").callback_data)
    await bea.user.wait_until(lambda u: any("You have claimed" in (m.text or "") for m in u.messages))
    async with bot.cairn.units() as uow:  # type: ignore[union-attr]
        alert = (await uow.session.scalars(select(Alert))).one()
        bea_id = (await uow.members.by_telegram_user(8202)).id  # type: ignore[union-attr]
        assert alert.claimed_by_member_id == bea_id


async def test_an_off_duty_volunteer_cannot_claim_an_alert_never_sent_to_them_with_a_forged_button(
    bot: RunningBot,
) -> None:
    await bot.staff(8301, "Ash")
    off = await bot.staff(8302, "Olu", on_duty=False)
    member = bot.member(8310)
    await member.onboard(store=False, share="flag_only", news=False)
    await member.say("I want to end my life", expect=2)
    async with bot.cairn.units() as uow:  # type: ignore[union-attr]
        alert_id = (await uow.session.scalars(select(Alert.id))).one()
    anchor = off.user.messages[-1]
    await off.user.press(anchor.message_id, f"al:claim:{alert_id}")
    await off.user.wait_until(lambda u: len(u.callback_answers) >= 1)
    assert "on duty" in off.user.callback_answers[-1][1]
    async with bot.cairn.units() as uow:  # type: ignore[union-attr]
        assert (await uow.session.scalars(select(Alert.status))).one() == "open"


async def test_with_no_staff_yet_the_member_is_told_plainly_and_the_alert_goes_to_the_first_to_join(
    bot: RunningBot,
) -> None:
    member = bot.member(8410)
    await member.onboard(store=False, share="flag_only", news=False)
    _crisis, told = await member.say("I want to end my life", expect=2)
    assert "Nobody at Hillside Community Hub can see this right now" in told.text
    assert "I've let" not in told.text
    (plainly,) = await member.user.wait_for_messages(1)
    assert "can see this right now" in plainly.text and "116 123" in plainly.text
    late = await bot.staff(8401, "Ash")
    alert = await late.user.wait_for_messages(1)
    assert alert[0].has_button("Claim")


async def test_no_thanks_after_a_crisis_says_what_was_shared_and_taking_it_back_tells_staff(bot: RunningBot) -> None:
    ash = await bot.staff(8501, "Ash")
    member = bot.member(8510)
    await member.onboard(store=False, share="flag_only", news=False)
    await member.say("I want to end my life", expect=2)
    (alert,) = await ash.user.wait_for_messages(1)
    (offer,) = await member.tap("Please don't get in touch")
    assert "already let them know" in offer.text and "Nobody has been told" not in offer.text
    (done,) = await member.tap("Yes, take it back")
    assert "rather not be contacted" in done.text
    await ash.user.wait_until(lambda u: "rather not be contacted" in (u.message(alert.message_id).text or ""))
    async with bot.cairn.units() as uow:  # type: ignore[union-attr]
        closed = (await uow.session.scalars(select(Alert))).one()
        assert (closed.status, closed.outcome) == ("resolved", "member_declined")


async def test_a_coordinator_who_claims_on_the_dashboard_gets_the_alert_in_telegram_and_can_chat(
    bot: RunningBot,
) -> None:
    cat = await bot.staff(8601, "Cat", role="coordinator", on_duty=False)
    member = bot.member(8610)
    await member.onboard(store=False, share="flag_only", news=False)
    await member.say("I want to end my life", expect=2)
    await cat.user.wait_for_messages(1)
    assert bot.cairn is not None
    async with bot.cairn.units() as uow:
        alert_id = (await uow.session.scalars(select(Alert.id))).one()
        holder = await uow.team.of_member((await uow.members.by_telegram_user(8601)).id)  # type: ignore[union-attr]
        assert holder is not None
        assert await AlertDesk(load_catalogue()).claim(uow, alert_id, holder, bot.clock(), from_web=True) is None
        await uow.commit()
    (in_telegram,) = await cat.user.wait_for_messages(1)
    assert "on the dashboard" in in_telegram.text and in_telegram.has_button("Chat with the member")
    await cat.tap("Chat with the member")
    (invitation,) = await member.user.wait_for_messages(1)
    assert "Cat from Hillside Community Hub would like to chat" in invitation.text


async def test_a_person_in_one_team_cannot_join_a_second_organisations_team(bot: RunningBot) -> None:
    from bot.operator import create_invite

    assert bot.cairn is not None
    await create_organisation(bot.cairn.units, "riverside", "Riverside Trust", bot.clock())
    ash = await bot.staff(8701, "Ash")
    payload = await create_invite(bot.cairn.units, "riverside", "volunteer", bot.clock())
    (refused,) = await ash.say(f"/start {payload}")
    assert "one team at a time" in refused.text
    async with bot.cairn.units() as uow:
        role = await uow.team.of_member((await uow.members.by_telegram_user(8701)).id)  # type: ignore[union-attr]
        assert role is not None and role.organisation_id != (await uow.organisations.by_slug("riverside")).id  # type: ignore[union-attr]


async def test_a_members_relayed_words_are_exported_and_erased_with_them_at_both_sharing_levels(
    bot: RunningBot,
) -> None:
    for user_id, share in ((8810, "flag_only"), (8820, "with_answers")):
        ash = await bot.staff(user_id - 9, f"Ash{user_id}")
        member = bot.member(user_id)
        await member.onboard(store=False, share=share, news=False)
        await member.say("I want to end my life", expect=2)
        await claim_and_open_chat(ash, member)
        await ash.say("/duty off")
        await member.user.send(f"my words {CANARY_TEXT} {share}")
        await ash.user.wait_for_messages(1)
        assert await decrypted_mentions(bot, f"{CANARY_TEXT} {share}") or share == "flag_only"
        await member.say("/forget")
        await member.tap("Yes, delete everything")
        assert not await decrypted_mentions(bot, f"{CANARY_TEXT} {share}"), "no copy survives /forget"


async def decrypted_mentions(bot: RunningBot, needle: str) -> list[str]:
    """Every row of every table, encrypted columns decrypted: where does the text still live?"""
    assert bot.cairn is not None
    found = []
    async with bot.cairn.units() as uow:
        for table in Base.metadata.sorted_tables:
            encrypted = [column.name for column in table.columns if column.info.get("encrypted")]
            for row in (await uow.session.execute(select(table))).mappings().all():
                texts = [str(value) for value in row.values()]
                texts += [uow.cipher.decrypt(row[name]) for name in encrypted if row[name] is not None]
                if any(needle in text for text in texts):
                    found.append(table.name)
    return found


async def test_a_new_crisis_on_a_claimed_case_reaches_the_holder_and_goes_to_coordinators_if_unanswered(
    clocked,
) -> None:
    bot, clock = clocked
    ash = await bot.staff(8901, "Ash")
    cat = await bot.staff(8902, "Cat", role="coordinator", on_duty=False)
    member = bot.member(8910)
    await member.onboard(store=False, share="flag_only", news=False)
    await member.say("I want to end my life", expect=2)
    await ash.user.wait_for_messages(1)
    await ash.tap("Claim")
    clock.now += timedelta(minutes=20)
    await member.say(CRISIS, expect=2)
    (again,) = await ash.user.wait_for_messages(1)
    assert "Raised again" in again.text and again.has_button("I'm on it")
    assert cat.user.unread == []
    clock.now += timedelta(minutes=16)
    (back,) = await cat.user.wait_for_messages(1, timeout=15)
    assert "hasn't been answered in time" in back.text and back.has_button("Claim")
    (gone,) = await ash.user.wait_for_messages(1)
    assert "gone back to the team" in gone.text
    async with bot.cairn.units() as uow:  # type: ignore[union-attr]
        row = (await uow.session.scalars(select(Alert))).one()
        assert row.claimed_by_member_id is None and row.status == "escalated"
        actions = {event.action for event in (await uow.session.scalars(select(AuditEvent))).all()}
    assert "alert_sent_back" in actions


async def test_turning_sharing_off_closes_the_open_alert_and_tells_staff(bot: RunningBot) -> None:
    ash = await bot.staff(9001, "Ash")
    member = bot.member(9010)
    await member.onboard(store=False, share="with_answers", news=False)
    await member.say("I want to end my life", expect=2)
    (alert,) = await ash.user.wait_for_messages(1)
    await member.say("/privacy")
    assert bot.cairn is not None
    async with bot.cairn.units() as uow:
        member_id = (await uow.members.by_telegram_user(9010)).id  # type: ignore[union-attr]
    await withdraw_sharing(bot, member)
    await ash.user.wait_until(lambda u: "rather not be contacted" in (u.message(alert.message_id).text or ""))
    async with bot.cairn.units() as uow:
        closed = (await uow.session.scalars(select(Alert).where(Alert.member_id == member_id))).one()
        assert (closed.status, closed.outcome) == ("resolved", "member_declined")


async def withdraw_sharing(bot: RunningBot, member: Member) -> None:
    """Turn "a worker may get in touch" off through /privacy, as a member would."""
    message = next(m for m in reversed(member.user.messages) if _button_with(m, "share_flags_off"))
    data = _button_with(message, "share_flags_off")
    assert data is not None
    await member.user.press(message.message_id, data)
    await member.user.wait_for_messages(1)


async def test_resolving_ends_the_relayed_chat_so_the_member_is_not_left_talking_to_nobody(bot: RunningBot) -> None:
    ash = await bot.staff(9101, "Ash")
    member = bot.member(9110)
    await member.onboard(store=False, share="flag_only", news=False)
    await member.say("I want to end my life", expect=2)
    await claim_and_open_chat(ash, member)
    claimed = next(m for m in ash.user.messages if m.has_button("Resolve"))
    await ash.user.press(claimed.message_id, claimed.button("Resolve").callback_data)
    await ash.user.wait_for_messages(1)
    await ash.tap("Referred to their GP")
    (ended,) = await member.user.wait_for_messages(1)
    assert "The chat has ended" in ended.text
    (not_relayed,) = await member.say("actually I'm not ok")
    assert not any("actually I'm not ok" in (m.text or "") for m in ash.user.messages)
    assert not_relayed.text


def _button_with(message, part: str) -> str | None:  # type: ignore[no-untyped-def]
    return next((b.callback_data for b in message.all_buttons if part in (b.callback_data or "")), None)


async def test_when_the_member_uses_forget_the_worker_chatting_with_them_is_told_the_chat_has_ended(
    bot: RunningBot,
) -> None:
    ash = await bot.staff(9201, "Ash")
    member = bot.member(9210)
    await member.onboard(store=False, share="flag_only", news=False)
    await member.say("I want to end my life", expect=2)
    await claim_and_open_chat(ash, member)
    await member.say("/forget")
    await member.tap("Yes, delete everything")
    told = await ash.user.wait_for_messages(2)
    assert any("deleted their data from Cairn, so this chat has ended" in m.text for m in told)
    (after,) = await ash.say("are you there?")
    assert "are you there" not in after.text


async def test_with_only_an_off_duty_volunteer_the_member_is_not_told_someone_knows(bot: RunningBot) -> None:
    await bot.staff(9301, "Olu", on_duty=False)
    member = bot.member(9310)
    await member.onboard(store=False, share="flag_only", news=False)
    _crisis, told = await member.say("I want to end my life", expect=2)
    assert "can see this right now" in told.text and "I've let" not in told.text
