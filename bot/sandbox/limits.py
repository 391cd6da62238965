"""Telegram's flood limits: messages per second overall and per chat."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

WINDOW_SECONDS = 1.0


class RateLimiter:
    """Count accepted send/edit calls in a sliding one-second window."""

    def __init__(
        self,
        enabled: bool = False,
        global_per_second: int = 30,
        per_chat_burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.enabled = enabled
        self.global_per_second = global_per_second
        self.per_chat_burst = per_chat_burst
        self._clock = clock
        self._global: deque[float] = deque()
        self._per_chat: dict[int, deque[float]] = {}

    def _prune(self, window: deque[float], now: float) -> None:
        while window and window[0] <= now - WINDOW_SECONDS:
            window.popleft()

    def retry_after(self, chat_id: int) -> int | None:
        """Return the seconds to wait before another message to this chat, or None when allowed."""
        if not self.enabled:
            return None
        now = self._clock()
        waits: list[float] = []
        self._prune(self._global, now)
        if len(self._global) >= self.global_per_second:
            waits.append(self._global[-self.global_per_second] + WINDOW_SECONDS - now)
        chat_window = self._per_chat.get(chat_id)
        if chat_window is not None:
            self._prune(chat_window, now)
            if len(chat_window) >= self.per_chat_burst:
                waits.append(chat_window[-self.per_chat_burst] + WINDOW_SECONDS - now)
        if not waits:
            return None
        return max(1, math.ceil(max(waits)))

    def record(self, chat_id: int) -> None:
        """Count one accepted message to this chat."""
        now = self._clock()
        chat_window = self._per_chat.setdefault(chat_id, deque())
        for window in (self._global, chat_window):
            self._prune(window, now)
            window.append(now)

    def reset(self) -> None:
        """Forget every counted message."""
        self._global.clear()
        self._per_chat.clear()
