"""The shared send limit: however late a request lands, the server never sees more than the limits allow."""

from __future__ import annotations

import asyncio
import itertools
import random
import time

from telegram.error import RetryAfter

from bot.runtime import build_bot
from bot.sandbox import Sandbox, start_sandbox
from bot.telegram.limiter import SendLimiter
from tests.e2e.harness import CANARY_TOKEN, e2e_settings


async def _send_through(limiter: SendLimiter, chat_id: int, arrivals: list[tuple[float, int]], latency: float) -> None:
    """A request that reaches the 'server' at a random moment of its round trip."""
    async with limiter.slot(chat_id):
        lands = random.uniform(0, latency)
        await asyncio.sleep(lands)
        arrivals.append((time.monotonic(), chat_id))
        await asyncio.sleep(latency - lands)


def _most_in_any_window(moments: list[float], window: float) -> int:
    moments = sorted(moments)
    most, first = 0, 0
    for last, moment in enumerate(moments):
        while moments[first] <= moment - window:
            first += 1
        most = max(most, last - first + 1)
    return most


async def test_late_requests_never_make_a_burst_at_the_server() -> None:
    random.seed(7)
    limiter = SendLimiter(per_second=20, per_chat_interval=0.5)
    arrivals: list[tuple[float, int]] = []
    # 60 sends to 40 chats, 12 at once, each landing anywhere within a round trip of up to 120 ms
    chats = [index % 40 for index in range(60)]
    gate = asyncio.Semaphore(12)

    async def one(chat: int) -> None:
        async with gate:
            await _send_through(limiter, chat, arrivals, latency=random.uniform(0.001, 0.12))

    await asyncio.gather(*(one(chat) for chat in chats))
    assert len(arrivals) == 60
    assert _most_in_any_window([moment for moment, _ in arrivals], 1.0) <= 20
    for chat in set(chats):
        times = sorted(moment for moment, to in arrivals if to == chat)
        assert all(later - earlier > 0.5 for earlier, later in itertools.pairwise(times))


async def test_a_pause_holds_every_sender() -> None:
    limiter = SendLimiter(per_second=1000, per_chat_interval=0.0)
    async with limiter.slot(1):
        pass
    limiter.pause(0.3)
    began = time.monotonic()
    async with limiter.slot(2):
        waited = time.monotonic() - began
    assert waited >= 0.29


async def test_a_cancelled_wait_does_not_block_the_chat_behind_it() -> None:
    limiter = SendLimiter(per_second=1000, per_chat_interval=0.2)
    async with limiter.slot(5):
        pass
    waiting = asyncio.create_task(limiter.acquire(5))
    await asyncio.sleep(0.01)
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    await asyncio.wait_for(limiter.acquire(5), timeout=2)


async def test_the_bot_keeps_the_sandbox_limits_with_no_429(tmp_path: object) -> None:
    """Replies, several to one chat, and a fan-out, all through one bot against a sandbox enforcing 10/s."""
    sandbox = Sandbox(token=CANARY_TOKEN, enforce_limits=True, global_per_second=10, per_chat_burst=1)
    server = await start_sandbox(sandbox, "127.0.0.1", 0)
    settings = e2e_settings(f"sqlite+aiosqlite:///{tmp_path}/unused.db", ("unused",), server.bot_base_url)
    settings = type(settings)(**{**settings.__dict__, "send_rate_per_second": 10, "send_chat_interval_seconds": 1.0})
    bot = build_bot(settings)
    await bot.initialize()
    chats = list(range(500, 530))
    for chat in [*chats, 999]:
        sandbox.user(chat).chat.known = True
    refused: list[int] = []

    async def send(chat: int, text: str) -> None:
        try:
            await bot.send_message(chat, text)
        except RetryAfter:
            refused.append(chat)

    try:
        await asyncio.gather(*(send(chat, "news") for chat in chats), *(send(999, f"part {part}") for part in range(3)))
    finally:
        await bot.shutdown()
        await server.stop()
    assert refused == []
    assert sandbox.stats.too_many_requests_limited == 0
    assert [message.text for message in sandbox.user(999).messages] == ["part 0", "part 1", "part 2"]
    assert all(len(sandbox.user(chat).messages) == 1 for chat in chats)
