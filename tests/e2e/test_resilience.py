"""The bot under awkward conditions: restarts, duplicates, forged buttons, odd input, a database that is down."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from models.database import create_engine
from models.migrate import upgrade_to_head
from models.tables import ConsentRecord, Member
from tests.conftest import LOG_CAPTURE, POSTGRES_URL, _asyncpg_dsn, drop_postgres_database
from tests.e2e.harness import CANARY_TEXT, RunningBot


async def recreate_postgres_database(url: str) -> None:
    """Create a dropped test database again, empty and migrated."""
    admin = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL), timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{make_url(url).database}"')
    finally:
        await admin.close()
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()


async def count(bot: RunningBot, column: object) -> int:
    assert bot.cairn is not None
    async with bot.cairn.units() as uow:
        return int(await uow.session.scalar(select(func.count(column))) or 0)  # type: ignore[arg-type]


async def test_a_restart_mid_onboarding_resumes_where_the_member_was(bot: RunningBot) -> None:
    member = bot.member(9101)
    await member.say("/start", expect=2)
    (second,) = await member.tap("Yes, keep them")
    assert "Question 2 of 3" in second.text
    await bot.crash()
    await bot.start()
    (level,) = await member.tap("Yes, that's OK")
    assert "What can the worker" in level.text
    await bot.restart()
    (third,) = await member.tap("Only that I may need a chat")
    assert "Question 3 of 3" in third.text
    await bot.restart()
    (resumed,) = await member.say("/start")
    assert "Question 3 of 3" in resumed.text


async def test_a_duplicated_update_has_one_effect(bot: RunningBot) -> None:
    member = bot.member(9201)
    await member.say("/start", expect=2)
    first = member.user.messages[-1]
    update_id = await member.user.press(first.message_id, first.button("Yes, keep them").callback_data)
    await member.user.wait_for_messages(1)
    bot.sandbox.redeliver(update_id)
    bot.sandbox.redeliver(update_id)
    await member.say("/help")  # handled after the redeliveries: one member's updates are handled in order
    assert await count(bot, ConsentRecord.id) == 1
    assert await count(bot, Member.id) == 1
    assert sum(1 for m in member.user.messages if "Question 2 of 3" in (m.text or "")) == 1


async def test_forged_button_data_is_refused_politely_and_logged_without_the_data(bot: RunningBot) -> None:
    member = bot.member(9301)
    await member.say("/start", expect=2)
    question = member.user.messages[-1]
    before = len(LOG_CAPTURE.lines)
    for forged in [f"ob:store:yes{CANARY_TEXT}", "ob:news:yes", "x" * 64, "rt:forget:yes", f"💥{CANARY_TEXT}"]:
        await member.user.press(question.message_id, forged)
    await member.user.wait_until(lambda u: len(u.callback_answers) >= 5)
    answers = [text for _, text in member.user.callback_answers]
    assert len(answers) == 5 and all(answers)
    assert "didn't work" in answers[0] and "moved on" in answers[1]
    assert await count(bot, ConsentRecord.id) == 0
    new_lines = LOG_CAPTURE.lines[before:]
    assert any("button_refused reason=malformed" in line for line in new_lines)
    assert not any(CANARY_TEXT in line for line in new_lines)


async def test_polling_refuses_a_private_update_whose_sender_is_not_the_chat(bot: RunningBot) -> None:
    """The review's forged /mydata, through polling: member 2102's command 'in' chat 2101 answers nobody."""
    owner, other = bot.member(2102), bot.member(2101)
    await owner.say("/start", expect=2)
    await other.say("/start", expect=2)
    seen = (len(owner.user.messages), len(other.user.messages))
    before = len(LOG_CAPTURE.lines)
    sender = {"id": 2102, "is_bot": False, "first_name": "Sam"}
    chat = {"id": 2101, "type": "private"}
    bot.sandbox.push_raw_update(
        {"message": {"message_id": 9, "date": 0, "chat": chat, "from": sender, "text": "/mydata"}}
    )
    await owner.say("/help")  # handled after the forged update: its refusal is finished by then
    await asyncio.sleep(0.3)
    assert len(other.user.messages) == seen[1], "nothing went to the chat the update named"
    assert all(m.document is None for m in owner.user.messages[seen[0] :]), "no /mydata file to the sender either"
    refused = [line for line in LOG_CAPTURE.lines[before:] if "sender_is_not_the_chat" in line]
    assert len(refused) == 1 and "2101" not in refused[0] and "2102" not in refused[0]
    assert not bot.sandbox.pending_updates(), "finished, not fetched again"


async def test_stickers_photos_edits_and_groups_get_a_kind_reply_or_are_ignored(bot: RunningBot) -> None:
    member = bot.member(9401)
    await member.onboard()
    await member.user.send_sticker()
    (reply,) = await member.user.wait_for_messages(1)
    assert "I can only read text" in reply.text
    await member.user.send_photo()
    await member.user.send_voice()
    await member.user.send_location()
    replies = await member.user.wait_for_messages(3)
    assert all("I can only read text" in m.text for m in replies)
    await member.user.send(f"hello {CANARY_TEXT}")
    await member.user.wait_for_messages(1)
    own = max(message_id for message_id, entry in member.user.chat.entries.items() if not entry.from_bot)
    await member.user.edit(own, "edited")
    (edited,) = await member.user.wait_for_messages(1)
    assert "changed a message" in edited.text
    group = bot.sandbox.group(-100555)
    await group.send(9401, "/start")
    bot.sandbox.push_raw_update(
        {
            "poll": {
                "id": "1",
                "question": "?",
                "options": [],
                "total_voter_count": 0,
                "is_closed": False,
                "is_anonymous": True,
                "type": "regular",
                "allows_multiple_answers": False,
            }
        }
    )
    (still_alive,) = await member.say("/help")
    assert "116 123" in still_alive.text
    assert group.messages == []


async def test_huge_and_strange_text_gets_a_reply_and_the_member_can_carry_on(bot: RunningBot) -> None:
    member = bot.member(9501)
    for text in ["x" * 4096, "\u0000\u200b\U0001f600\U000e0001", "/", "/start@cairn_sandbox_bot extra words " * 3]:
        await member.user.send(text)
    await member.user.wait_until(lambda u: len(u.messages) >= 4)
    await member.user.wait_for_messages(len(member.user.messages))
    summary = (await member.onboard())[-1]
    assert "All done" in summary.text


async def test_a_staff_invite_works_once(bot: RunningBot) -> None:
    from bot.operator import create_invite
    from bot.runtime import utc_now

    assert bot.cairn is not None
    payload = await create_invite(bot.cairn.units, "hillside", "volunteer", utc_now())
    (welcome,) = await bot.member(9601).say(f"/start {payload}")
    assert "Welcome to the team at Hillside Community Hub" in welcome.text
    (refused,) = await bot.member(9602).say(f"/start {payload}")
    assert "expired or has already been used" in refused.text


async def test_when_the_database_is_down_nothing_is_confirmed_to_telegram_and_it_is_handled_once_it_is_back(
    bot: RunningBot,
) -> None:
    if bot.backend != "postgresql":  # type: ignore[attr-defined]
        pytest.skip("taking the database away is done on PostgreSQL")
    member = bot.member(9701)
    await member.say("/start", expect=2)
    await drop_postgres_database(bot.settings.database_url)
    update_id = await member.user.send("hello")
    for _ in range(100):  # the poller fetches it, cannot store it, and says so (loudly, without the text)
        if any("polling_store_failed" in line for line in LOG_CAPTURE.lines):
            break
        await asyncio.sleep(0.1)
    assert any("polling_store_failed error=" in line for line in LOG_CAPTURE.lines)
    await asyncio.sleep(1.0)
    assert [u["update_id"] for u in bot.sandbox.pending_updates()] == [update_id], "not confirmed: Telegram keeps it"
    assert len(member.user.messages) == 2, "no reply while it cannot be kept"

    await recreate_postgres_database(bot.settings.database_url)  # the database is back (empty, migrated)
    (reply,) = await member.user.wait_for_messages(1, timeout=60)
    assert "something went wrong" not in (reply.text or ""), "handled for real, not apologised for"
    for _ in range(100):
        if not bot.sandbox.pending_updates():
            break
        await asyncio.sleep(0.1)
    assert bot.sandbox.pending_updates() == []
