"""What Cairn cannot read, end to end through the real bot and the sandbox: voice notes, stickers, photos, Polish."""

from __future__ import annotations

from tests.e2e.harness import RunningBot


async def test_a_voice_note_before_start_gets_the_help_line_and_the_button_works(bot: RunningBot) -> None:
    member = bot.member(9301)
    await member.user.send_voice()
    (answer,) = await member.user.wait_for_messages(1, timeout=10)
    assert "I can only read text you type" in answer.text
    assert "If you need help now: Samaritans, call 116 123" in answer.text and "999" in answer.text
    assert answer.has_button("🆘 Get help now")
    (crisis,) = await member.tap("Get help now")
    assert "116 123" in crisis.text and "Send /start" not in crisis.text


async def test_a_sticker_from_a_member_gets_the_help_line_and_the_button(bot: RunningBot) -> None:
    member = bot.member(9302)
    await member.onboard(store=True, share="flag_only", news=False)
    await member.user.send_sticker("😢")
    (answer,) = await member.user.wait_for_messages(1, timeout=10)
    assert "I can only read text you type" in answer.text and "Samaritans, call 116 123" in answer.text
    assert answer.has_button("🆘 Get help now")


async def test_a_photo_with_a_crisis_caption_gets_the_crisis_reply_first(bot: RunningBot) -> None:
    member = bot.member(9303)
    await member.user.send_photo(caption="I want to end my life tonight")
    crisis, media = await member.user.wait_for_messages(2, timeout=10)
    assert crisis.text.startswith("It sounds like things are really hard") and "116 123" in crisis.text
    assert "I can only read text you type" in media.text


async def test_polish_before_start_gets_the_polish_notice_with_every_number(bot: RunningBot) -> None:
    member = bot.member(9304)
    notice, start = await member.say("Nie chcę już żyć", expect=2)
    assert notice.text.startswith("Przepraszam, jestem botem") and "999" in notice.text
    assert all(number in notice.text for number in ("116 123", "SHOUT to 85258", "111", "0800 1111"))
    assert notice.has_button("🆘 Get help now")
    assert "Send /start" in start.text
