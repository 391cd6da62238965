"""A Bot that survives updates it cannot parse, without writing their content to any log."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ExtBot

from bot.telegram.limiter import SendLimiter
from bot.telegram.rate_limit import SharedSendLimit
from bot.telegram.render import NO_PREVIEW

log = logging.getLogger("cairn.telegram")

READ_MARGIN_SECONDS = 5.0  # a long poll's read timeout is its own timeout plus this (as PTB's get_updates does)


class TolerantBot(ExtBot[None]):
    """Replaces any update PTB cannot parse with a bare `{"update_id": N}`.

    Without this, one unparseable update fails the whole getUpdates batch: PTB logs the batch (member text
    included) and fetches the same batch again, so the loop is stuck. A bare update still advances the
    offset, and the handler ignores it. Cairn's own poller uses `fetch_updates`, which leaves this to the inbox
    (it parses each update once there, for its sender key).
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
        result = await super()._post("getUpdates", data, read_timeout=poll_seconds + READ_MARGIN_SECONDS)
        return [item for item in result if isinstance(item, dict)] if isinstance(result, list) else []

    async def send_text(self, chat_id: int, text: str, reply_markup: InlineKeyboardMarkup | None = None) -> None:
        """sendMessage (no link previews), without building PTB's Message from Telegram's answer: Cairn never reads
        it, and parsing it back (buttons and all) was a visible part of each reply's cost in the bench's profile.
        The request takes the same path as send_message: the shared send limit, retries' errors, the lot."""
        data: dict[str, Any] = {"chat_id": chat_id, "text": text, "link_preview_options": NO_PREVIEW}
        if reply_markup is not None:
            data["reply_markup"] = reply_markup
        await self._post("sendMessage", data)

    async def _post(self, endpoint: str, data: Any = None, **kwargs: Any) -> Any:
        """Post as usual; sanitise getUpdates results item by item."""
        result = await super()._post(endpoint, data, **kwargs)
        if endpoint == "getUpdates" and isinstance(result, list):
            return [self._parseable(item) for item in result]
        return result

    def _parseable(self, item: Any) -> Any:
        try:
            Update.de_json(item, self)
        except Exception as error:
            update_id = item.get("update_id") if isinstance(item, dict) else None
            log.error("update_unparseable update_id=%s error=%s", update_id, type(error).__name__)
            return {"update_id": update_id} if isinstance(update_id, int) else {"update_id": 0}
        return item
