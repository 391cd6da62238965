"""A Bot whose update fetching survives updates PTB cannot parse, and whose replies skip parsing the answer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardMarkup
from telegram.ext import ExtBot

from bot.telegram.limiter import SendLimiter
from bot.telegram.rate_limit import SharedSendLimit
from bot.telegram.render import NO_PREVIEW

READ_MARGIN_SECONDS = 5.0  # a long poll's read timeout is its own timeout plus this (as PTB's get_updates does)


class TolerantBot(ExtBot[None]):
    """PTB's bot with the calls Cairn's hot path makes its own way.

    `fetch_updates` returns getUpdates' items as Telegram sent them, unparsed: one update PTB cannot parse would
    otherwise fail the whole batch (PTB logs it, member text included, and the loop is stuck). The inbox parses each
    update once, for its sender key, and stores one PTB cannot parse bare (bot/inbox.py `store_updates`).
    `send_text` sends a reply, and `clear_buttons` takes a pressed message's buttons away, without parsing
    Telegram's answer back.
    """

    @property
    def send_limiter(self) -> SendLimiter:
        """The limiter every counted call of this bot goes through."""
        shared = self.rate_limiter
        if not isinstance(shared, SharedSendLimit):
            raise RuntimeError("this bot was built without the shared send limit")
        return shared.limiter

    async def fetch_updates(
        self, offset: int | None, poll_seconds: float, allowed_updates: Sequence[str], limit: int = 100
    ) -> list[dict[str, Any]]:
        """Call getUpdates and return the updates as Telegram sent them, for the inbox (bot/inbox.py
        `store_updates` parses each once, and stores one PTB cannot parse bare).

        Calling it with `offset` confirms every update below it: Telegram will not send those again.
        """
        data = {"offset": offset, "timeout": poll_seconds, "limit": limit, "allowed_updates": list(allowed_updates)}
        result = await self._post("getUpdates", data, read_timeout=poll_seconds + READ_MARGIN_SECONDS)
        return [item for item in result if isinstance(item, dict)] if isinstance(result, list) else []

    async def send_text(self, chat_id: int, text: str, reply_markup: InlineKeyboardMarkup | None = None) -> None:
        """sendMessage (no link previews), without building PTB's Message from Telegram's answer: Cairn never reads
        it, and parsing it back (buttons and all) was a visible part of each reply's cost in the bench's profile.
        The request takes the same path as send_message: the shared send limit, retries' errors, the lot."""
        data: dict[str, Any] = {"chat_id": chat_id, "text": text, "link_preview_options": NO_PREVIEW}
        if reply_markup is not None:
            data["reply_markup"] = reply_markup
        await self._post("sendMessage", data)

    async def clear_buttons(self, chat_id: int, message_id: int) -> None:
        """editMessageReplyMarkup with no markup (the buttons go), as edit_message_reply_markup(reply_markup=None)
        does, without building PTB's Message from Telegram's answer."""
        await self._post("editMessageReplyMarkup", {"chat_id": chat_id, "message_id": message_id})
