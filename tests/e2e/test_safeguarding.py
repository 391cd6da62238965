"""Safeguarding end to end: crisis words, alerts to on-duty volunteers, claim, relay chat, resolve, audit."""

from __future__ import annotations

from sqlalchemy import select

from models.tables import Alert, AuditEvent, RelayLine
from tests.e2e.harness import Member, RunningBot

URGENT_TEXT = "I want to end my life tonight"


async def alert_to(person: Member, timeout: float = 10.0):
    (alert,) = await person.user.wait_for_messages(1, timeout=timeout)
    assert alert.has_button("Claim"), alert.text
    return alert


async def test_urgent_words_reach_both_volunteers_and_one_claims_chats_and_resolves(bot: RunningBot) -> None:
    ash = await bot.staff(6101, "Ash")
    bea = await bot.staff(6102, "Bea")
    cat = await bot.staff(6103, "Cat", role="coordinator", on_duty=False)
    member = bot.member(6110)
    await member.onboard(store=True, share="with_answers", news=False)

    crisis, offer = await member.say(URGENT_TEXT, expect=2)
    assert crisis.text.startswith("It sounds like things are really hard") and "116 123" in crisis.text
    assert "I've let Hillside Community Hub know that you may need a chat" in offer.text

    ash_alert, bea_alert = await alert_to(ash), await alert_to(bea)
    assert "Urgent" in ash_alert.text and "What they agreed to share" in ash_alert.text
    assert URGENT_TEXT not in ash_alert.text, "volunteers see reasons, never the member's words"
    assert cat.user.unread == [], "the coordinator is not on duty and nothing has escalated"

    (claimed,) = await ash.tap("Claim")
    assert "You have claimed" in claimed.text
    await bea.user.wait_until(lambda u: "claimed by Ash" in (u.message(bea_alert.message_id).text or ""))
    assert not bea.user.message(bea_alert.message_id).has_button("Claim")
    await bea.user.press(bea_alert.message_id, bea_alert.button("Claim").callback_data)
    await bea.user.wait_until(lambda u: len(u.callback_answers) >= 1)
    assert "already claimed" in bea.user.callback_answers[-1][1]

    (asked,) = await ash.tap("Chat with the member")
    assert "I've asked the member" in asked.text
    (invitation,) = await member.user.wait_for_messages(1)
    assert "Ash from Hillside Community Hub would like to chat" in invitation.text
    (accepted,) = await member.tap("Yes, let's chat")
    assert "goes to Ash" in accepted.text
    (said_yes,) = await ash.user.wait_for_messages(1)
    assert "The member said yes" in said_yes.text
    await ash.user.send("Hi, I'm Ash. I'm here to listen.")
    (relayed,) = await member.user.wait_for_messages(1)
    assert relayed.text == "💬 Ash: Hi, I'm Ash. I'm here to listen."
    await member.user.send("thank you, it's been a bad week")
    (back,) = await ash.user.wait_for_messages(1)
    assert back.text == "💬 Member: thank you, it's been a bad week"
    await member.say("/end")
    (ended,) = await ash.user.wait_for_messages(1)
    assert "The chat has ended" in ended.text

    claimed_message = next(m for m in ash.user.messages if m.has_button("Resolve"))
    await ash.user.press(claimed_message.message_id, claimed_message.button("Resolve").callback_data)
    await ash.user.wait_for_messages(1)
    (resolved,) = await ash.tap("Referred to their GP")
    assert "is resolved" in resolved.text
    (saved,) = await ash.say("Called back, GP appointment booked for Monday")
    assert "Note saved" in saved.text

    assert bot.cairn is not None
    async with bot.cairn.units() as uow:
        alert = (await uow.session.scalars(select(Alert))).one()
        assert (alert.tier, alert.status, alert.outcome) == ("URGENT", "resolved", "gp")
        assert b"GP appointment" not in bytes(alert.note_encrypted)
        lines = (await uow.session.scalars(select(RelayLine))).all()
        assert len(lines) == 2, "with 'also my answers' the transcript is kept, encrypted"
        actions = [event.action for event in (await uow.session.scalars(select(AuditEvent))).all()]
    for expected in (
        "alert_raised",
        "alert_dispatched",
        "alert_claimed",
        "relay_asked",
        "relay_accepted",
        "relay_ended",
        "alert_resolved",
        "alert_noted",
    ):
        assert expected in actions, expected


async def test_without_share_consent_urgent_words_get_resources_and_nobody_is_told(bot: RunningBot) -> None:
    ash = await bot.staff(6201, "Ash")
    member = bot.member(6210)
    await member.onboard(store=True, share=None, news=False)
    (crisis,) = await member.say("i dont want to be alive anymore")
    assert "116 123" in crisis.text
    (help_reply,) = await member.say("/help")
    assert "999" in help_reply.text
    assert ash.user.unread == []
    assert bot.cairn is not None
    async with bot.cairn.units() as uow:
        assert (await uow.session.scalars(select(Alert))).all() == []


async def test_crisis_words_before_any_consent_and_mid_onboarding_get_the_crisis_message(bot: RunningBot) -> None:
    stranger = bot.member(6301)
    (crisis,) = await stranger.say("I'm going to kill myself")
    assert "116 123" in crisis.text and "999" in crisis.text
    onboarding = bot.member(6302)
    await onboarding.say("/start", expect=2)
    (crisis,) = await onboarding.say("honestly I want to die")
    assert "116 123" in crisis.text
    (idiom,) = await onboarding.say("this queue is killing me")
    assert "116 123" not in idiom.text


async def test_the_language_model_catches_what_a_word_list_misses(tmp_path) -> None:
    from cryptography.fernet import Fernet

    from tests.e2e.harness import start_bot

    running = await start_bot(
        f"sqlite+aiosqlite:///{tmp_path}/model.db", (Fernet.generate_key().decode(),), language_model=True
    )
    try:
        assert running.cairn is not None and "trained" in running.cairn.language.status().active
        member = running.member(6401)
        await member.onboard(store=True, share="flag_only", news=False)
        from bot.detect.lexicon import LexiconDetector

        text = "gonna go to sleep tonight and not wake up, sorted it all"
        assert LexiconDetector().detect(text) == []  # the word list is silent; the trained detector reads URGENT
        replies = await member.say(text, expect=2)
        assert "116 123" in replies[0].text
    finally:
        await running.stop()
        await running.server.stop()


async def test_a_volunteers_words_in_a_relayed_chat_are_not_read_as_their_own_crisis(bot: RunningBot) -> None:
    ash = await bot.staff(6501, "Ash")
    member = bot.member(6510)
    await member.onboard(store=False, share="flag_only", news=False)
    await member.say("I want to end my life", expect=2)
    await alert_to(ash)
    await ash.tap("Claim")
    await ash.tap("Chat with the member")
    await member.user.wait_for_messages(1)
    await member.tap("Yes, let's chat")
    await ash.user.wait_for_messages(1)
    await ash.user.send("Are you thinking about ending your life right now?")
    (relayed,) = await member.user.wait_for_messages(1)
    assert relayed.text.startswith("💬 Ash:")
    assert ash.user.unread == [], "no crisis reply to the volunteer"
    crisis, _offer = await member.say("yes I want to kill myself", expect=2)
    assert "116 123" in crisis.text
    await ash.user.wait_until(lambda u: any(m.text == "💬 Member: yes I want to kill myself" for m in u.messages))
    assert bot.cairn is not None
    async with bot.cairn.units() as uow:
        from models.tables import Alert

        alert_members = (await uow.session.scalars(select(Alert.member_id))).all()
    assert alert_members == [await _member_id(bot, 6510)], "one alert, about the member, never about the volunteer"


async def _member_id(bot: RunningBot, telegram_id: int) -> int:
    assert bot.cairn is not None
    async with bot.cairn.units() as uow:
        found = await uow.members.by_telegram_user(telegram_id)
        assert found is not None
        return found.id
