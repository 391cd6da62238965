"""The Telegram edge's pure parts: splitting long texts, translating updates, parsing button data."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import Chat, Message, Update, User

from bot.telegram.ordering import PerMemberOrderedProcessor
from bot.telegram.render import MAX_TEXT, split_text
from bot.telegram.translate import translate
from flows.callbacks import MAX_CALLBACK_BYTES, button_data, parse_button_data
from flows.inbound import Command, TextMessage, UnsupportedMessage


@given(st.text(min_size=0, max_size=20_000))
@settings(max_examples=200, deadline=None)
def test_split_text_keeps_every_piece_within_the_limit_and_loses_only_break_whitespace(text: str) -> None:
    pieces = split_text(text)
    assert all(len(piece) <= MAX_TEXT for piece in pieces)
    assert "".join(pieces).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")


def test_split_text_prefers_paragraph_breaks() -> None:
    paragraph = ("word " * 500).strip()
    pieces = split_text("\n\n".join([paragraph] * 4))
    assert pieces == [paragraph] * 4


@given(st.text(max_size=100))
def test_button_data_parser_accepts_only_our_shape_and_never_raises(data: str) -> None:
    parsed = parse_button_data(data)
    if parsed is not None:
        assert len(data.encode()) <= MAX_CALLBACK_BYTES
        assert button_data(parsed.flow, parsed.step, parsed.choice) == data


@given(st.binary(max_size=80))
def test_button_data_parser_survives_any_bytes(raw: bytes) -> None:
    parse_button_data(raw.decode("utf-8", "replace"))


def _message_update(
    update_id: int, user_id: int, text: str | None, chat_type: str = "private", **extra: object
) -> Update:
    user = User(user_id, "Test", False)
    chat = Chat(user_id if chat_type == "private" else -100, chat_type)
    message = Message(1, datetime(2026, 1, 1, tzinfo=UTC), chat, from_user=user, text=text, **extra)  # type: ignore[arg-type]
    return Update(update_id, message=message)


def test_translate_commands_text_and_unsupported_messages() -> None:
    assert translate(_message_update(1, 5, "/Start@cairn_bot org_x")).inbound == Command("start", "org_x")  # type: ignore[union-attr]
    assert translate(_message_update(2, 5, "hello")).inbound == TextMessage("hello")  # type: ignore[union-attr]
    assert translate(_message_update(3, 5, None)).inbound == UnsupportedMessage("other")  # type: ignore[union-attr]
    assert translate(_message_update(4, 5, "/start", chat_type="group")) is None
    assert translate(Update(5)) is None


def test_media_keep_their_kind_and_the_words_that_came_with_them() -> None:
    from telegram import PhotoSize, Sticker, VideoNote, Voice

    photo = [PhotoSize("p", "up", 1, 1)]
    captioned = translate(_message_update(6, 5, None, photo=photo, caption="i want to end it"))
    assert captioned.inbound == UnsupportedMessage("photo", "i want to end it")  # type: ignore[union-attr]
    voice = translate(_message_update(7, 5, None, voice=Voice("v", "uv", 2)))
    assert voice.inbound == UnsupportedMessage("voice")  # type: ignore[union-attr]
    note = translate(_message_update(8, 5, None, video_note=VideoNote("n", "un", 240, 3)))
    assert note.inbound == UnsupportedMessage("video_note")  # type: ignore[union-attr]
    sticker = Sticker("s", "us", 512, 512, False, False, "regular")
    assert translate(_message_update(9, 5, None, sticker=sticker)).inbound == UnsupportedMessage("sticker")  # type: ignore[union-attr]
    user = User(5, "Test", False)
    edited = Message(1, datetime(2026, 1, 1, tzinfo=UTC), Chat(5, "private"), from_user=user, text="not ok now")
    assert translate(Update(10, edited_message=edited)).inbound == UnsupportedMessage("edited", "not ok now")  # type: ignore[union-attr]


def test_a_private_update_whose_sender_is_not_the_chat_is_refused_by_the_translation_both_modes_share() -> None:
    from telegram import CallbackQuery

    forged = _message_update(6, 2002, "/mydata")
    forged = Update(6, message=Message(1, forged.message.date, Chat(2001, "private"), from_user=User(2002, "S", False)))  # type: ignore[union-attr]
    assert translate(forged) is None
    query = CallbackQuery("q", User(2002, "S", False), "x", data="pv:menu:done", message=forged.message)
    assert translate(Update(7, callback_query=query)) is None
    honest = CallbackQuery("q", User(2001, "S", False), "x", data="pv:menu:done", message=forged.message)
    assert translate(Update(8, callback_query=honest)) is not None


async def test_ordering_keeps_each_members_updates_in_order_while_members_run_concurrently() -> None:
    processor = PerMemberOrderedProcessor(16)
    handled: dict[int, list[int]] = {}
    running = 0
    most_running = 0

    async def work(user_id: int, update_id: int) -> None:
        nonlocal running, most_running
        running += 1
        most_running = max(most_running, running)
        await asyncio.sleep(random.uniform(0, 0.01))
        handled.setdefault(user_id, []).append(update_id)
        running -= 1

    tasks = []
    for update_id in range(200):
        user_id = update_id % 7
        update = _message_update(update_id, user_id + 1, "x")
        tasks.append(asyncio.create_task(processor.process_update(update, work(user_id, update_id))))
    await asyncio.gather(*tasks)
    for user_id, order in handled.items():
        assert order == sorted(order), f"member {user_id} handled out of order"
    assert sum(len(order) for order in handled.values()) == 200
    assert most_running > 1, "different members run concurrently"
    assert processor.members_in_flight == 0, "nothing per member stays in memory"
