"""A member sets a plan, gets the prompt from the running job, checks in with ONS4 and sees /trends."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from models.tables import CheckIn, CheckInAnswer, CheckInPlan, InstrumentScore, Member
from tests.e2e.harness import CANARY_TEXT, RunningBot


async def make_due_now(bot: RunningBot, telegram_id: int) -> None:
    """Move the member's next prompt to a moment ago, as if the clock had reached it."""
    assert bot.cairn is not None
    async with bot.cairn.units() as uow:
        member_id = await uow.session.scalar(select(Member.id).where(Member.telegram_user_id == telegram_id))
        due = bot.clock() - timedelta(seconds=1)
        await uow.session.execute(update(CheckInPlan).where(CheckInPlan.member_id == member_id).values(next_due_at=due))
        await uow.commit()


async def test_plan_prompt_checkin_with_ons4_and_trends(bot: RunningBot) -> None:
    member = bot.member(7701)
    await member.onboard(store=True, share=None, news=False)
    await member.say("/plan")
    await member.tap("How often")
    (saved,) = await member.tap("Every day")
    assert "every day at 10:00 (Europe/London)" in saved.text and "Next check-in:" in saved.text
    await member.tap("Extra questions")
    await member.tap("ONS4")
    await member.tap("Every time")
    await member.tap("Done")

    await make_due_now(bot, 7701)
    (prompt,) = await member.user.wait_for_messages(1, timeout=10)  # sent by the JobQueue tick
    assert "time for your check-in" in prompt.text and prompt.has_button("Skip today")

    await member.user.press(prompt.message_id, prompt.button("Low").callback_data)
    (note_question,) = await member.user.wait_for_messages(1)
    assert "on your mind" in note_question.text
    assert not member.user.message(prompt.message_id).has_button("Low")  # a pressed message's buttons are gone
    (first_item,) = await member.say(f"Tired. {CANARY_TEXT}")
    assert "One more thing today" in first_item.text and "Question 1 of 4" in first_item.text
    for value, expect_more in (("6", True), ("7", True), ("5", True), ("3", False)):
        message = member.user.messages[-1]
        await member.user.press(message.message_id, message.button(value).callback_data) if message.has_button(
            value
        ) else None
        if expect_more:
            (next_item,) = await member.user.wait_for_messages(1)
            assert "Question" in next_item.text
    (closing,) = await member.user.wait_for_messages(1)
    assert "Thank you" in closing.text or "Thanks" in closing.text

    assert bot.cairn is not None
    async with bot.cairn.units() as uow:
        checkin = (await uow.session.scalars(select(CheckIn))).one()
        assert checkin.status == "completed" and CANARY_TEXT.encode() not in bytes(checkin.note_encrypted)
        answers = (await uow.session.scalars(select(CheckInAnswer.item_id))).all()
        assert answers == ["mood", "life_satisfaction", "worthwhile", "happiness", "anxiety"]
        score = (await uow.session.scalars(select(InstrumentScore))).one()
        assert score.instrument_id == "ons4" and '"happiness": 5' in score.measures.replace(".0", "")

    await member.say("/trends")
    summary, photo = await member.tap("Last 4 weeks", expect=2)
    assert photo.photo is not None and photo.photo.startswith(b"\x89PNG")
    assert "you checked in 1 times" in summary.text and "Low" in summary.text


async def test_without_store_the_check_in_leaves_nothing_in_the_database(bot: RunningBot) -> None:
    member = bot.member(7702)
    await member.onboard(store=False, share=None, news=False)
    await member.say("/checkin")
    await member.tap("Okay")
    await member.say(f"not for keeping {CANARY_TEXT}")
    assert bot.cairn is not None
    async with bot.cairn.units() as uow:
        assert (await uow.session.scalars(select(CheckIn))).all() == []
        assert (await uow.session.scalars(select(CheckInAnswer))).all() == []
    (reply,) = await member.say("/trends")
    assert "don't keep your check-ins" in reply.text
