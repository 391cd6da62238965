"""A button press is parsed without the old keyboard it came with, and reads exactly as before."""

from __future__ import annotations

import copy
from typing import Any

from telegram import Update

from bot.telegram.lean_update import without_old_keyboard
from bot.telegram.translate import translate
from tests.bot.test_webhook import message_update


def _pressed(update_id: int, data: str) -> dict[str, Any]:
    user = {"id": 77, "is_bot": False, "first_name": "Sam"}
    keyboard = {"inline_keyboard": [[{"text": f"{n}", "callback_data": f"ci:mood:{n}"} for n in range(1, 6)]]}
    message = {
        "message_id": 9,
        "date": 0,
        "chat": {"id": 77, "type": "private"},
        "text": "How?",
        "reply_markup": keyboard,
    }
    return {"update_id": update_id, "callback_query": {"id": "q1", "from": user, "chat_instance": "c", "data": data,
                                                       "message": message}}  # fmt: skip


def test_a_button_press_reads_the_same_without_the_old_keyboard() -> None:
    payload = _pressed(5, "ci:mood:4")
    stored = copy.deepcopy(payload)
    lean = without_old_keyboard(payload)
    assert "reply_markup" not in lean["callback_query"]["message"]
    assert payload == stored, "the stored update is not changed"
    full, trimmed = translate(Update.de_json(payload, None)), translate(Update.de_json(lean, None))
    assert full is not None and full == trimmed
    assert trimmed.callback_message_id == 9 and trimmed.callback_query_id == "q1"


def test_other_updates_pass_through_untouched() -> None:
    message = message_update(6, 77, "hello")
    assert without_old_keyboard(message) is message
    no_keyboard = _pressed(7, "ci:mood:2")
    del no_keyboard["callback_query"]["message"]["reply_markup"]
    assert without_old_keyboard(no_keyboard) is no_keyboard
    odd = {"update_id": 8, "callback_query": "not an object"}
    assert without_old_keyboard(odd) is odd
