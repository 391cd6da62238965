"""Check message text, captions, keyboards and commands the way Telegram does."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError, bad_request
from .formatting import plain_text

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_CALLBACK_DATA_BYTES = 64
INLINE_BUTTON_ACTIONS = (
    "callback_data", "url", "login_url", "switch_inline_query", "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat", "callback_game", "pay", "web_app", "copy_text",
)  # fmt: skip
COMMAND_PATTERN = re.compile(r"[a-z0-9_]{1,32}")
URL_PATTERN = re.compile(r"(https?|tg)://\S+", re.IGNORECASE)


@dataclass(frozen=True)
class ParsedMarkup:
    """A validated reply_markup: an inline keyboard, a reply keyboard, or a removal."""

    inline_keyboard: list[list[dict[str, Any]]] | None = None
    keyboard: list[list[str]] | None = None
    remove_keyboard: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def markup_error() -> ApiError:
    """Build the error Telegram gives for a malformed reply_markup."""
    return bad_request("can't parse reply keyboard markup JSON object")


def message_text(raw: str | None, parse_mode: str | None) -> str:
    """Validate message text and return it as Telegram would store it."""
    if raw is None or not raw.strip():
        raise bad_request("message text is empty")
    text = plain_text(raw, parse_mode)
    if not text.strip():
        raise bad_request("message text is empty")
    if len(text) > MAX_TEXT_LENGTH:
        raise bad_request("message is too long")
    return text


def caption(raw: str | None, parse_mode: str | None) -> str | None:
    """Validate an optional caption and return it as Telegram would store it."""
    if raw is None or raw == "":
        return None
    text = plain_text(raw, parse_mode)
    if len(text) > MAX_CAPTION_LENGTH:
        raise bad_request("message caption is too long")
    return text or None


def _inline_button(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict) or not isinstance(raw.get("text"), str):
        raise markup_error()
    if not raw["text"].strip():
        raise bad_request("can't parse inline keyboard button: Text must be non-empty")
    actions = [name for name in INLINE_BUTTON_ACTIONS if name in raw]
    if not actions:
        raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
    data = raw.get("callback_data")
    data_is_valid = isinstance(data, str) and 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
    if "callback_data" in raw and not data_is_valid:
        raise bad_request("BUTTON_DATA_INVALID")
    url = raw.get("url")
    if "url" in raw and (not isinstance(url, str) or not URL_PATTERN.fullmatch(url)):
        raise bad_request("BUTTON_URL_INVALID")
    return dict(raw)


def _keyboard_label(raw: Any) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, dict) and isinstance(raw.get("text"), str):
        return str(raw["text"])
    raise markup_error()


def _rows(raw: Any) -> list[Any]:
    if not isinstance(raw, list) or not all(isinstance(row, list) for row in raw):
        raise markup_error()
    return raw


def reply_markup(raw: Any) -> ParsedMarkup | None:
    """Parse and validate reply_markup given as a JSON string or an already decoded object."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise markup_error() from None
    if not isinstance(raw, dict):
        raise markup_error()
    if "inline_keyboard" in raw:
        rows = [[_inline_button(button) for button in row] for row in _rows(raw["inline_keyboard"])]
        return ParsedMarkup(inline_keyboard=[row for row in rows if row] or None)
    if "keyboard" in raw:
        labels = [[_keyboard_label(button) for button in row] for row in _rows(raw["keyboard"])]
        return ParsedMarkup(keyboard=labels, extra={k: v for k, v in raw.items() if k != "keyboard"})
    if raw.get("remove_keyboard") is True:
        return ParsedMarkup(remove_keyboard=True)
    if raw.get("force_reply") is True:
        return ParsedMarkup(extra=dict(raw))
    raise markup_error()


def callback_answer_text(text: str | None) -> str | None:
    """Validate the notification text of answerCallbackQuery."""
    if text is not None and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
        raise bad_request("MESSAGE_TOO_LONG")
    return text or None


def bot_commands(raw: Any) -> list[dict[str, str]]:
    """Validate the commands list of setMyCommands."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise bad_request("can't parse commands JSON object") from None
    if not isinstance(raw, list) or len(raw) > 100:
        raise bad_request("can't parse commands JSON object")
    commands: list[dict[str, str]] = []
    for item in raw:
        if not isinstance(item, dict):
            raise bad_request("can't parse commands JSON object")
        command = str(item.get("command", "")).removeprefix("/")
        description = str(item.get("description", ""))
        if not COMMAND_PATTERN.fullmatch(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad_request("command description is empty" if not description else "BOT_COMMAND_INVALID")
        commands.append({"command": command, "description": description})
    return commands
