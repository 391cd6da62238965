"""Our own send limiter: Telegram's overall rate and one message a second per chat, and a shared pause on 429.

Telegram counts a message when it reaches its server, which lies somewhere between the moment we start the
request and the moment its answer arrives. Spacing request *starts* is not enough: a request delayed on the way
(an event-loop stall, a slow connection) lands next to the ones after it, and the server sees a burst. So the
hard rule here uses *completions*: a send may start only after the send `capacity` places before it has been
answered for a whole window, and a chat's next send only after its previous one was answered `per_chat_interval`
ago. Whatever the delays in between, the server can then never see more than `capacity` messages in any window,
nor two in one chat within `per_chat_interval`. On top of that, starts are spaced evenly so sends flow smoothly.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

WINDOW_SECONDS = 1.0
HUNG_SECONDS = 5.0
_PRUNE_AT = 10_000


@dataclass
class _Send:
    """One send's place in the queue: when it was answered (or given up)."""

    finished: asyncio.Event = field(default_factory=asyncio.Event)
    ended_at: float = 0.0


class SendLimiter:
    """Keeps every send within `per_second` overall and one per `per_chat_interval` in each chat."""

    def __init__(
        self,
        per_second: float = 30.0,
        per_chat_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Set the limits; a fractional rate is spaced evenly and its window holds the whole part of it."""
        self._interval = 1.0 / per_second
        self._capacity = max(1, math.floor(per_second))
        self._per_chat = per_chat_interval
        self._clock = clock
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._recent: deque[_Send] = deque()
        self._chat_last: dict[int, _Send] = {}
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def slot(self, chat_id: int) -> AsyncIterator[None]:
        """Wait for a place, then hold it while the request runs; the answer's time frees the place."""
        send = await self._reserve(chat_id)
        try:
            yield
        finally:
            self._finish(send)

    async def acquire(self, chat_id: int) -> None:
        """Wait for a place for a send that is counted from now (prefer `slot`, which counts from the answer)."""
        self._finish(await self._reserve(chat_id))

    def pause(self, seconds: float) -> None:
        """Hold every send for `seconds` (Telegram answered 429 with retry_after)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    async def _reserve(self, chat_id: int) -> _Send:
        send = _Send()
        previous = self._chat_last.get(chat_id)
        self._chat_last[chat_id] = send  # the next send to this chat queues behind this one
        try:
            if previous is not None:
                await previous.finished.wait()
                await self._sleep_until(previous.ended_at + self._per_chat)
            async with self._lock:
                window_opens = 0.0
                if len(self._recent) >= self._capacity:
                    oldest = self._recent.popleft()
                    with contextlib.suppress(TimeoutError):  # a hung request must not hold up everyone for long
                        await asyncio.wait_for(oldest.finished.wait(), HUNG_SECONDS)
                    window_opens = (oldest.ended_at if oldest.finished.is_set() else self._clock()) + WINDOW_SECONDS
                start = max(self._clock(), self._next_slot, window_opens)
                self._next_slot = start + self._interval
                self._recent.append(send)
                await self._sleep_until(start)
                while self._clock() < self._paused_until:
                    await self._sleep_until(self._paused_until)
        except BaseException:
            self._finish(send)
            raise
        if len(self._chat_last) > _PRUNE_AT:
            self._prune()
        return send

    def _finish(self, send: _Send) -> None:
        if not send.finished.is_set():
            send.ended_at = self._clock()
            send.finished.set()

    def _prune(self) -> None:
        """Forget chats whose last send was answered long enough ago not to matter."""
        horizon = self._clock() - self._per_chat
        self._chat_last = {
            chat: send
            for chat, send in self._chat_last.items()
            if not send.finished.is_set() or send.ended_at > horizon
        }

    async def _sleep_until(self, moment: float) -> None:
        delay = moment - self._clock()
        if delay > 0:
            await asyncio.sleep(delay)
