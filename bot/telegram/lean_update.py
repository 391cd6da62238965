"""An update without what Cairn never reads and PTB spends most of its parsing on: the old keyboard.

A button press arrives with the whole message the button was on, its keyboard included. PTB builds every button
of that keyboard as a frozen object, which the bench (`python -m bench e2e`) found to be about a tenth of Cairn's
CPU per update. Cairn reads only that message's id (to clear its buttons), so the keyboard is left out before
parsing. The update as stored in the inbox is unchanged.
"""

from __future__ import annotations

from typing import Any

__all__ = ["without_old_keyboard"]


def without_old_keyboard(payload: dict[str, Any]) -> dict[str, Any]:
    """The update, minus the keyboard of the message a pressed button was on (a shallow copy; the rest shared)."""
    query = payload.get("callback_query")
    message = query.get("message") if isinstance(query, dict) else None
    if not isinstance(message, dict) or "reply_markup" not in message:
        return payload
    lean_message = {key: value for key, value in message.items() if key != "reply_markup"}
    return {**payload, "callback_query": {**query, "message": lean_message}}  # type: ignore[dict-item]
