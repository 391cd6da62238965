"""Simulated users: sending, pressing, waiting with a read cursor, and a full PTB Application."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.sandbox import DEFAULT_TOKEN, RunningSandbox, Sandbox, WaitTimeout

from .conftest import known_user

YES_NO = InlineKeyboardMarkup(
    [[InlineKeyboardButton("Yes 👍", callback_data="answer:yes"), InlineKeyboardButton("No", callback_data="n")]]
)


async def test_wait_for_message_reads_in_order_with_a_cursor(sandbox: Sandbox, bot: Bot) -> None:
    user = await known_user(sandbox)
    await bot.send_message(1001, "first")
    await bot.send_message(1001, "second")
    assert (await user.wait_for_message(timeout=1)).text == "first"
    assert [m.text for m in user.unread] == ["second"]
    assert (await user.wait_for_message(timeout=1)).text == "second"
    with pytest.raises(WaitTimeout, match="expected 1 new bot message"):
        await user.wait_for_message(timeout=0.1)
    with pytest.raises(asyncio.TimeoutError):
        await user.wait_for_message(timeout=0.05)
    with pytest.raises(AssertionError):
        await user.wait_for_message(timeout=0.05)


async def test_wait_for_messages_waits_for_later_sends(sandbox: Sandbox, bot: Bot) -> None:
    user = await known_user(sandbox)

    async def send_later() -> None:
        await asyncio.sleep(0.05)
        await bot.send_message(1001, "a")
        await bot.send_message(1001, "b")

    task = asyncio.create_task(send_later())
    assert [m.text for m in await user.wait_for_messages(2, timeout=2)] == ["a", "b"]
    await task
    user.mark_read()
    assert user.unread == []


async def test_messages_reflect_edits_and_snapshots_do_not(sandbox: Sandbox, bot: Bot) -> None:
    user = await known_user(sandbox)
    sent = await bot.send_message(1001, "draft", reply_markup=YES_NO)
    snapshot = await user.wait_for_message(timeout=1)
    await bot.edit_message_text("final", chat_id=1001, message_id=sent.message_id)
    assert snapshot.text == "draft"
    assert user.messages[-1].text == "final" and user.messages[-1].edit_count == 1
    assert user.last_message is not None and user.last_message.text == "final"
    await user.wait_until(lambda u: u.message(sent.message_id).text == "final", timeout=1)
    with pytest.raises(WaitTimeout):
        await user.wait_until(lambda u: len(u.messages) > 5, timeout=0.05)


async def test_button_lookup_and_press(sandbox: Sandbox, bot: Bot) -> None:
    user = await known_user(sandbox)
    await bot.send_message(1001, "Feeling ok?", reply_markup=YES_NO)
    message = await user.wait_for_message(timeout=1)
    assert message.button("YES").callback_data == "answer:yes"
    with pytest.raises(AssertionError, match=r"no button containing 'maybe'.*\['Yes 👍', 'No'\]"):
        message.button("maybe")
    update_id = await user.press_button(message, "yes")
    updates = await bot.get_updates()
    assert updates[-1].update_id == update_id
    query = updates[-1].callback_query
    assert query is not None and query.data == "answer:yes" and query.from_user.first_name == "Ada"
    await bot.answer_callback_query(query.id)
    assert user.callback_answers == [(query.id, None)]


async def test_user_edit_makes_an_edited_message_update(sandbox: Sandbox, bot: Bot) -> None:
    user = sandbox.user(1001, first_name="Ada")
    await user.send("helo")
    await user.edit(1, "hello")
    updates = await bot.get_updates()
    assert updates[-1].edited_message is not None and updates[-1].edited_message.text == "hello"


async def test_media_updates_parse_in_ptb(sandbox: Sandbox, bot: Bot) -> None:
    user = sandbox.user(1001, first_name="Ada")
    await user.send_sticker()
    await user.send_photo(caption="me")
    await user.send_voice(duration=3)
    await user.send_location(55.95, -3.19)
    await user.send_document(b"notes", filename="notes.txt")
    sticker, photo, voice, location, document = [u.message for u in await bot.get_updates()]
    assert sticker is not None and sticker.sticker is not None and sticker.sticker.emoji == "👍"
    assert photo is not None and photo.photo and photo.caption == "me"
    assert voice is not None and voice.voice is not None and voice.voice.to_dict()["duration"] == 3
    assert location is not None and location.location is not None and location.location.latitude == 55.95
    assert document is not None and document.document is not None
    downloaded = await (await bot.get_file(document.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == b"notes"


async def test_blocking_and_sending_again_unblocks(sandbox: Sandbox) -> None:
    user = await known_user(sandbox)
    user.block()
    assert user.blocked
    await user.send("/start")
    assert not user.blocked


def test_user_is_get_or_create(sandbox: Sandbox) -> None:
    first = sandbox.user(1001, first_name="Ada")
    assert sandbox.user(1001) is first and first.first_name == "Ada"
    assert sandbox.user(1001, first_name="Ada L.").first_name == "Ada L."
    assert [u.user_id for u in sandbox.users] == [1001]


async def test_ptb_application_polls_the_sandbox(sandbox: Sandbox, running: RunningSandbox) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"Hello {context.args}", reply_markup=YES_NO)

    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Noted")
        await query.edit_message_text(f"You said {query.data}")

    application = (
        ApplicationBuilder()
        .token(DEFAULT_TOKEN)
        .base_url(running.bot_base_url)
        .base_file_url(running.bot_base_file_url)
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(answer))
    user = sandbox.user(1001, first_name="Ada")
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)
        await user.send("/start org_x")
        greeting = await user.wait_for_message(timeout=3)
        assert greeting.text == "Hello ['org_x']"
        await user.press_button(greeting, "no")
        await user.wait_until(lambda u: u.message(greeting.message_id).text == "You said n", timeout=3)
        assert user.callback_answers[-1][1] == "Noted"
        await application.updater.stop()
        await application.stop()
    assert sandbox.pending_updates() == []
