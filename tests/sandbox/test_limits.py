"""Flood limits: about 30 messages a second overall and a per-chat burst."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot
from telegram.error import RetryAfter
from telegram.request import HTTPXRequest

from bot.sandbox import DEFAULT_TOKEN, RunningSandbox, Sandbox
from bot.sandbox.limits import RateLimiter

from .conftest import known_user, retry_seconds

# PTB 22 warns about RetryAfter.retry_after becoming a timedelta whenever it builds the error.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


def wide_bot(running: RunningSandbox) -> Bot:
    """Return a Bot that can run 50 requests at once."""
    request = HTTPXRequest(connection_pool_size=50, pool_timeout=3.0, read_timeout=3.0)
    return Bot(DEFAULT_TOKEN, base_url=running.bot_base_url, request=request)


async def burst(bot: Bot, chat_ids: list[int]) -> list[object]:
    """Send one message to each chat at once; return results and exceptions."""
    return await asyncio.gather(*(bot.send_message(chat_id, "ping") for chat_id in chat_ids), return_exceptions=True)


async def test_global_limit_answers_429_to_a_burst(sandbox: Sandbox, running: RunningSandbox) -> None:
    chat_ids = [5000 + index for index in range(40)]
    for chat_id in chat_ids:
        await known_user(sandbox, chat_id, "Burst")
    sandbox.enforce_limits = True
    async with wide_bot(running) as bot:
        results = await burst(bot, chat_ids)
    limited = [result for result in results if isinstance(result, RetryAfter)]
    assert limited, "a burst of 40 should exceed 30 messages a second"
    assert all(retry_seconds(error) >= 1 for error in limited)
    assert len(results) - len(limited) <= 30
    assert sandbox.stats.too_many_requests_limited == len(limited)
    assert sandbox.stats.too_many_requests_injected == 0
    assert len(sandbox.stats.send_timestamps) == len(results) - len(limited)


async def test_limits_are_off_by_default(sandbox: Sandbox, running: RunningSandbox) -> None:
    chat_ids = [6000 + index for index in range(40)]
    for chat_id in chat_ids:
        await known_user(sandbox, chat_id, "Burst")
    async with wide_bot(running) as bot:
        results = await burst(bot, chat_ids)
    assert not any(isinstance(result, Exception) for result in results)
    assert sandbox.stats.accepted["sendMessage"] == 40


async def test_second_message_to_a_chat_within_a_second_is_limited(sandbox: Sandbox, bot: Bot) -> None:
    await known_user(sandbox)
    sandbox.enforce_limits = True
    await bot.send_message(1001, "one")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(1001, "two")
    assert retry_seconds(caught.value) >= 1
    with pytest.raises(RetryAfter):
        await bot.edit_message_text("edited", chat_id=1001, message_id=2)


async def test_per_chat_burst_is_configurable(running: RunningSandbox, sandbox: Sandbox, bot: Bot) -> None:
    await known_user(sandbox)
    sandbox.enforce_limits = True
    sandbox.limits.per_chat_burst = 3
    for text in ("one", "two", "three"):
        await bot.send_message(1001, text)
    with pytest.raises(RetryAfter):
        await bot.send_message(1001, "four")


def test_window_slides_with_the_clock() -> None:
    now = [100.0]
    limiter = RateLimiter(enabled=True, global_per_second=2, per_chat_burst=1, clock=lambda: now[0])
    limiter.record(1)
    assert limiter.retry_after(1) == 1
    limiter.record(2)
    assert limiter.retry_after(3) == 1
    now[0] += 1.01
    assert limiter.retry_after(1) is None and limiter.retry_after(3) is None
