"""A real PTB Bot parses every result the sandbox answers with."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ChatAction, ParseMode
from telegram.error import InvalidToken

from bot.sandbox import DEFAULT_TOKEN, RunningSandbox, Sandbox, start_sandbox
from bot.sandbox.users import TINY_PNG

from .conftest import known_user, make_bot

YES_NO = InlineKeyboardMarkup(
    [[InlineKeyboardButton("Yes, please", callback_data="yes"), InlineKeyboardButton("No", callback_data="no")]]
)


async def test_get_me_describes_the_sandbox_bot(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.first_name, me.username) == (123456, True, "Cairn", "cairn_sandbox_bot")


async def test_send_message_with_inline_keyboard(sandbox: Sandbox, bot: Bot) -> None:
    user = await known_user(sandbox)
    message = await bot.send_message(user.user_id, "Check in?", reply_markup=YES_NO)
    assert message.text == "Check in?"
    assert message.chat.id == 1001 and message.chat.first_name == "Ada"
    assert message.from_user is not None and message.from_user.id == 123456
    assert message.reply_markup is not None
    assert message.reply_markup.inline_keyboard[0][0].callback_data == "yes"
    sent = await user.wait_for_message(timeout=1)
    assert sent.message_id == message.message_id
    assert sent.button("yes").callback_data == "yes"
    assert sent.button_labels == ["Yes, please", "No"]


async def test_send_message_html_is_stored_as_plain_text(sandbox: Sandbox, bot: Bot) -> None:
    user = await known_user(sandbox)
    message = await bot.send_message(1001, "<b>Hi</b> &amp; welcome", parse_mode=ParseMode.HTML)
    assert message.text == "Hi & welcome"
    assert user.messages[-1].raw_text == "<b>Hi</b> &amp; welcome"


async def test_send_document_bytes_and_download_it(sandbox: Sandbox, bot: Bot) -> None:
    user = await known_user(sandbox)
    message = await bot.send_document(1001, b'{"mood": 4}', filename="export.json", caption="Your data")
    assert message.document is not None
    assert (message.document.file_name, message.document.mime_type) == ("export.json", "application/json")
    assert message.document.file_size == 11 and message.caption == "Your data"
    telegram_file = await bot.get_file(message.document.file_id)
    assert bytes(await telegram_file.download_as_bytearray()) == b'{"mood": 4}'
    document = user.messages[-1].document
    assert document is not None and document.json() == {"mood": 4}


async def test_send_photo_bytes(sandbox: Sandbox, bot: Bot) -> None:
    user = await known_user(sandbox)
    message = await bot.send_photo(1001, TINY_PNG, caption="A dot")
    assert message.photo[-1].width == 1 and message.photo[-1].height == 1
    assert user.messages[-1].photo == TINY_PNG and user.messages[-1].caption == "A dot"


async def test_edit_text_and_reply_markup(sandbox: Sandbox, bot: Bot) -> None:
    user = await known_user(sandbox)
    sent = await bot.send_message(1001, "Question", reply_markup=YES_NO)
    edited = await bot.edit_message_text("Answered", chat_id=1001, message_id=sent.message_id, reply_markup=YES_NO)
    assert isinstance(edited, type(sent)) and edited.text == "Answered" and edited.edit_date is not None
    stripped = await bot.edit_message_reply_markup(chat_id=1001, message_id=sent.message_id)
    assert not isinstance(stripped, bool) and stripped.reply_markup is None
    current = user.message(sent.message_id)
    assert (current.text, current.buttons, current.edit_count) == ("Answered", [], 2)


async def test_edit_text_without_markup_removes_keyboard(sandbox: Sandbox, bot: Bot) -> None:
    user = await known_user(sandbox)
    sent = await bot.send_message(1001, "Question", reply_markup=YES_NO)
    await bot.edit_message_text("Done", chat_id=1001, message_id=sent.message_id)
    assert user.message(sent.message_id).buttons == []


async def test_answer_callback_query_reaches_the_user(sandbox: Sandbox, bot: Bot) -> None:
    user = await known_user(sandbox)
    sent = await bot.send_message(1001, "Question", reply_markup=YES_NO)
    await user.press_button(user.message(sent.message_id), "yes")
    updates = await bot.get_updates(timeout=1)
    query = updates[-1].callback_query
    assert query is not None and query.data == "yes"
    assert query.message is not None and query.message.message_id == sent.message_id
    assert await bot.answer_callback_query(query.id, text="Saved") is True
    assert user.callback_answers == [(query.id, "Saved")]


async def test_get_updates_long_polls_and_offset_confirms(sandbox: Sandbox, bot: Bot) -> None:
    user = sandbox.user(1001, first_name="Ada")
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=2))
    await asyncio.sleep(0.1)
    update_id = await user.send("hello")
    updates = await poll
    assert time.monotonic() - started < 1.5
    assert [u.update_id for u in updates] == [update_id]
    assert updates[0].message is not None and updates[0].message.text == "hello"
    assert len(await bot.get_updates(timeout=0)) == 1
    assert await bot.get_updates(offset=update_id + 1, timeout=0) == ()
    assert sandbox.pending_updates() == []


async def test_get_updates_times_out_empty(bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=0.3) == ()  # type: ignore[arg-type]
    assert 0.25 < time.monotonic() - started < 2


async def test_webhook_set_info_delete(sandbox: Sandbox, bot: Bot) -> None:
    assert await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="s3cret_-X") is True
    info = await bot.get_webhook_info()
    assert info.url == "http://127.0.0.1:9/hook" and info.pending_update_count == 0
    assert await bot.delete_webhook(drop_pending_updates=True) is True
    assert (await bot.get_webhook_info()).url == ""


async def test_commands_roundtrip(bot: Bot) -> None:
    assert await bot.set_my_commands([BotCommand("start", "Begin"), BotCommand("help", "Get help")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert await bot.get_my_commands(language_code="de") == ()
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()


async def test_delete_message_chat_action_close_and_log_out(sandbox: Sandbox, bot: Bot) -> None:
    user = await known_user(sandbox)
    sent = await bot.send_message(1001, "Temporary")
    assert await bot.send_chat_action(1001, ChatAction.TYPING)
    assert await bot.delete_message(1001, sent.message_id)
    assert user.message(sent.message_id).deleted
    assert await bot.close() is True
    assert await bot.log_out() is True


async def test_json_body_and_case_insensitive_method(sandbox: Sandbox, running: RunningSandbox) -> None:
    await known_user(sandbox)
    url = f"{running.url}/bot{DEFAULT_TOKEN}/SENDMESSAGE"
    async with aiohttp.ClientSession() as session, session.post(url, json={"chat_id": 1001, "text": "x"}) as r:
        body = await r.json()
    assert r.status == 200 and body["ok"] is True and body["result"]["text"] == "x"


@pytest.mark.parametrize(
    ("path", "status", "description"),
    [
        ("/bot999:WRONG/getMe", 401, "Unauthorized"),
        (f"/bot{DEFAULT_TOKEN}/sendTelepathy", 404, "Not Found"),
    ],
)
async def test_wrong_token_and_unknown_method(
    running: RunningSandbox, path: str, status: int, description: str
) -> None:
    async with aiohttp.ClientSession() as session, session.post(running.url + path) as response:
        body = await response.json()
    assert response.status == status
    assert body == {"ok": False, "error_code": status, "description": description}


async def test_ptb_reports_wrong_token(running: RunningSandbox) -> None:
    wrong = Bot("999:WRONG", base_url=running.bot_base_url)
    with pytest.raises(InvalidToken):
        await wrong.get_me()
    await wrong.shutdown()


async def test_make_bot_uses_base_file_url(sandbox: Sandbox, running: RunningSandbox) -> None:
    await known_user(sandbox)
    async with make_bot(running) as client:
        sent = await client.send_document(1001, b"abc", filename="a.txt")
        assert sent.document is not None
        telegram_file = await client.get_file(sent.document.file_id)
        assert telegram_file.file_path is not None and telegram_file.file_path.startswith(running.url)


async def test_stop_is_idempotent_and_restartable(sandbox: Sandbox, running: RunningSandbox) -> None:
    await running.stop()
    await running.stop()
    again = await start_sandbox(sandbox)
    async with make_bot(again) as client:
        assert (await client.get_me()).username == "cairn_sandbox_bot"
    await again.stop()
