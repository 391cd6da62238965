"""Our own send limiter: Telegram's overall rate and one message a second per chat, and a shared pause on 429."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable


class SendLimiter:
    """Spaces sends to at most `per_second` overall and one per `per_chat_interval` for each chat."""

    def __init__(
        self,
        per_second: float = 29.0,
        per_chat_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Set the limits; the default leaves a little headroom under Telegram's 30 a second."""
        self._interval = 1.0 / per_second
        self._per_chat = per_chat_interval
        self._clock = clock
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._chat_next: dict[int, float] = {}
        self._window: deque[float] = deque()
        self._window_size = max(1, int(per_second))
        self._lock = asyncio.Lock()

    async def acquire(self, chat_id: int) -> None:
        """Wait until this chat may be sent to without breaking either limit."""
        async with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot, self._paused_until, self._chat_next.get(chat_id, 0.0))
            self._next_slot = slot + self._interval
            self._chat_next[chat_id] = slot + self._per_chat
            if len(self._chat_next) > 10_000:
                self._chat_next = {chat: at for chat, at in self._chat_next.items() if at > now}
        delay = slot - self._clock()
        if delay > 0:
            await asyncio.sleep(delay)
        await self._respect_window()

    async def _respect_window(self) -> None:
        """Never let more than `per_second` sends start within any one second, even after the loop stalled."""
        async with self._lock:
            while True:
                now = self._clock()
                while self._window and now - self._window[0] >= 1.0:
                    self._window.popleft()
                if len(self._window) < self._window_size:
                    self._window.append(now)
                    return
                await asyncio.sleep(1.0 - (now - self._window[0]) + 0.001)

    def pause(self, seconds: float) -> None:
        """Hold every send for `seconds` (Telegram answered 429 with retry_after)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)
