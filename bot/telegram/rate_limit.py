"""PTB's rate-limiter hook, backed by our SendLimiter: every message the bot sends or edits takes one place.

Replies inside a conversation, the outbox, check-in prompts and broadcasts all share one budget this way, so
together they stay within Telegram's limits. PTB's own AIORateLimiter is not used: it leaves out the per-chat
limit and pauses everything on a 429 (see ../shared/FACTS.md).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.telegram.limiter import SendLimiter
from bot.telegram.sending import retry_seconds

# Bot API methods that put (or change) a message in a chat: what Telegram's flood limits count.
COUNTED_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendAudio",
        "sendVideo",
        "sendVoice",
        "sendAnimation",
        "sendSticker",
        "sendLocation",
        "sendContact",
        "sendMediaGroup",
        "copyMessage",
        "forwardMessage",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
        "editMessageMedia",
    }
)


class SharedSendLimit(BaseRateLimiter[None]):
    """Route each counted Bot API call through the shared SendLimiter; a 429 pauses every sender."""

    def __init__(self, limiter: SendLimiter) -> None:
        """Use this limiter for every counted call."""
        self.limiter = limiter

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Wait for a place when the call counts against the limits, then make it."""
        chat_id = _chat_id(data) if endpoint in COUNTED_METHODS else None
        if chat_id is None:
            return await callback(*args, **kwargs)
        async with self.limiter.slot(chat_id):
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                self.limiter.pause(retry_seconds(error.retry_after))
                raise


def _chat_id(data: dict[str, Any]) -> int | None:
    """The numeric chat of a call; None for inline messages and @channel names (not ours to count)."""
    try:
        return int(data["chat_id"])
    except (KeyError, TypeError, ValueError):
        return None
