"""Render outcomes for Telegram: the one place that builds Telegram markup and splits long texts."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import CallbackQueryLimit, MessageLimit

from flows.outcome import Outcome, Reply
from flows.texts import Catalogue

MAX_TEXT = int(MessageLimit.MAX_TEXT_LENGTH)
MAX_NOTICE = int(CallbackQueryLimit.ANSWER_CALLBACK_QUERY_TEXT_LENGTH)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
"""Replies and outbox messages never carry link previews: Telegram would fetch a dashboard login link."""


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split text into pieces of at most `limit` characters, at paragraph, line or word breaks when possible."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = next(
            (found for found in (window.rfind(sep) for sep in ("\n\n", "\n", " ")) if found >= limit // 2), limit
        )
        pieces.append(rest[:cut])
        rest = rest[cut:].lstrip("\n ") if cut < limit else rest[cut:]
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def keyboard(reply: Reply, catalogue: Catalogue) -> InlineKeyboardMarkup | None:
    """Build the inline keyboard of a reply, or None."""
    if not reply.buttons:
        return None
    rows = [
        [InlineKeyboardButton(catalogue.render(button.label), callback_data=button.data) for button in row]
        for row in reply.buttons
    ]
    return InlineKeyboardMarkup(rows)


def notice_text(text: str) -> str:
    """Trim a button notice to Telegram's limit."""
    return text[:MAX_NOTICE]


Message = tuple[str, list[list[tuple[str, str]]]]
"""One Telegram message: its text and its button rows of (label, callback data)."""


def reply_messages(catalogue: Catalogue, outcome: Outcome) -> list[Message]:
    """Render an outcome's replies into Telegram-sized messages, the buttons on the last piece of each reply."""
    messages: list[Message] = []
    for reply in outcome.replies:
        chunks = split_text(catalogue.render_reply(reply))
        rows = catalogue.render_buttons(reply)
        messages += [(chunk, rows if index == len(chunks) - 1 else []) for index, chunk in enumerate(chunks)]
    return messages
