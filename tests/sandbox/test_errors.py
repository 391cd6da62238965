"""Validation errors have Telegram's shape and surface in PTB as the right exceptions."""

from __future__ import annotations

import aiohttp
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Conflict, Forbidden

from bot.sandbox import DEFAULT_TOKEN, RunningSandbox, Sandbox

from .conftest import known_user


async def post(running: RunningSandbox, method: str, data: dict[str, str]) -> tuple[int, dict[str, object]]:
    """POST a form to the Bot API and return (status, body)."""
    url = f"{running.url}/bot{DEFAULT_TOKEN}/{method}"
    async with aiohttp.ClientSession() as session, session.post(url, data=data) as response:
        return response.status, await response.json()


def keyboard(callback_data: str) -> InlineKeyboardMarkup:
    """Return a one-button keyboard."""
    return InlineKeyboardMarkup([[InlineKeyboardButton("Tap", callback_data=callback_data)]])


async def test_empty_and_long_text(sandbox: Sandbox, bot: Bot) -> None:
    await known_user(sandbox)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(1001, "   ")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(1001, "x" * 4097)
    assert (await bot.send_message(1001, "x" * 4096)).text == "x" * 4096


async def test_long_caption(sandbox: Sandbox, bot: Bot) -> None:
    await known_user(sandbox)
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await bot.send_document(1001, b"a", filename="a.txt", caption="c" * 1025)


@pytest.mark.parametrize("callback_data", ["d" * 65, "é" * 33])
async def test_callback_data_over_64_bytes(sandbox: Sandbox, bot: Bot, callback_data: str) -> None:
    await known_user(sandbox)
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(1001, "Pick", reply_markup=keyboard(callback_data))


async def test_callback_data_of_64_bytes_is_fine(sandbox: Sandbox, bot: Bot) -> None:
    await known_user(sandbox)
    await bot.send_message(1001, "Pick", reply_markup=keyboard("é" * 32))


@pytest.mark.parametrize(
    "markup", ["{not json", '{"inline_keyboard": "nope"}', '{"inline_keyboard": [[{"callback_data": "x"}]]}', "[]"]
)
async def test_malformed_reply_markup(sandbox: Sandbox, running: RunningSandbox, markup: str) -> None:
    await known_user(sandbox)
    status, body = await post(running, "sendMessage", {"chat_id": "1001", "text": "x", "reply_markup": markup})
    assert status == 400
    assert body == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: can't parse reply keyboard markup JSON object",
    }


async def test_empty_callback_data_over_http(sandbox: Sandbox, running: RunningSandbox) -> None:
    await known_user(sandbox)
    markup = '{"inline_keyboard": [[{"text": "a", "callback_data": ""}]]}'
    status, body = await post(running, "sendMessage", {"chat_id": "1001", "text": "x", "reply_markup": markup})
    assert (status, body["description"]) == (400, "Bad Request: BUTTON_DATA_INVALID")


async def test_unknown_chat(sandbox: Sandbox, running: RunningSandbox, bot: Bot) -> None:
    sandbox.user(2002, first_name="Never wrote")
    for chat_id in (2002, 3003):
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.send_message(chat_id, "hello?")
    status, body = await post(running, "sendMessage", {"chat_id": "3003", "text": "x"})
    assert (status, body["description"]) == (400, "Bad Request: chat not found")


async def test_blocked_user_is_forbidden(sandbox: Sandbox, running: RunningSandbox, bot: Bot) -> None:
    user = await known_user(sandbox)
    user.block()
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(1001, "still there?")
    status, body = await post(running, "sendMessage", {"chat_id": "1001", "text": "x"})
    assert (status, body["description"]) == (403, "Forbidden: bot was blocked by the user")
    user.unblock()
    await bot.send_message(1001, "welcome back")


async def test_edit_errors(sandbox: Sandbox, bot: Bot) -> None:
    await known_user(sandbox)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=1001, message_id=999)
    sent = await bot.send_message(1001, "same", reply_markup=keyboard("a"))
    with pytest.raises(BadRequest, match=r"(?i)message is not modified: specified new message content"):
        await bot.edit_message_text("same", chat_id=1001, message_id=sent.message_id, reply_markup=keyboard("a"))
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(chat_id=1001, message_id=sent.message_id, reply_markup=keyboard("a"))
    with pytest.raises(BadRequest, match=r"(?i)message can't be edited"):
        await bot.edit_message_text("mine", chat_id=1001, message_id=1)


async def test_not_modified_description_is_exact(sandbox: Sandbox, running: RunningSandbox, bot: Bot) -> None:
    await known_user(sandbox)
    sent = await bot.send_message(1001, "same")
    form = {"chat_id": "1001", "message_id": str(sent.message_id), "text": "same"}
    status, body = await post(running, "editMessageText", form)
    assert status == 400
    assert body["description"] == (
        "Bad Request: message is not modified: specified new message content and reply markup are exactly "
        "the same as a current content and reply markup of the message"
    )


async def test_answer_callback_query_errors(sandbox: Sandbox, bot: Bot) -> None:
    user = await known_user(sandbox)
    with pytest.raises(BadRequest, match=r"(?i)query is too old and response timeout expired"):
        await bot.answer_callback_query("nope")
    sent = await bot.send_message(1001, "Q", reply_markup=keyboard("a"))
    await user.press(sent.message_id, "a")
    query_id = user.last_query_id
    assert query_id is not None
    with pytest.raises(BadRequest):
        await bot.answer_callback_query(query_id, text="t" * 201)
    assert await bot.answer_callback_query(query_id, text="t" * 200)
    with pytest.raises(BadRequest, match=r"(?i)query id is invalid"):
        await bot.answer_callback_query(query_id)


async def test_html_parse_errors(sandbox: Sandbox, bot: Bot) -> None:
    await known_user(sandbox)
    with pytest.raises(BadRequest, match=r'(?i)can.t parse entities: unsupported start tag "br"'):
        await bot.send_message(1001, "a<br>b", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)can't find end tag"):
        await bot.send_message(1001, "<b>bold", parse_mode="HTML")


async def test_get_updates_conflicts_with_webhook(bot: Bot) -> None:
    await bot.set_webhook("http://127.0.0.1:9/hook")
    with pytest.raises(Conflict, match=r"(?i)can't use getupdates method while webhook is active"):
        await bot.get_updates()
