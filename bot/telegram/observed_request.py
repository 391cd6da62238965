"""A Bot API request that notes when the Bot API last answered, for /readyz and /metrics."""

from __future__ import annotations

from typing import Any

from bot.metrics import METRICS
from bot.telegram.aiohttp_request import AiohttpRequest


class ObservedRequest(AiohttpRequest):
    """Cairn's aiohttp request; any HTTP answer (even an error) shows that the Bot API is reachable."""

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        """Make the request and note the answer."""
        answer = await super().do_request(*args, **kwargs)
        if answer[0] < 500:
            METRICS.telegram_answered()
        return answer
