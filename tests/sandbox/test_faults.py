"""Injected faults reach PTB as RetryAfter, NetworkError and TimedOut."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot
from telegram.error import NetworkError, RetryAfter, TimedOut

from bot.sandbox import RunningSandbox, Sandbox

from .conftest import known_user, make_bot, retry_seconds

# PTB 22 warns about RetryAfter.retry_after becoming a timedelta whenever it builds the error.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


async def test_injected_429_carries_retry_after(sandbox: Sandbox, bot: Bot) -> None:
    await known_user(sandbox)
    sandbox.faults.add(kind="429", count=2, methods={"sendMessage"}, retry_after=3)
    for _ in range(2):
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(1001, "hi")
        assert retry_seconds(caught.value) == 3
    await bot.get_me()
    await bot.send_message(1001, "third time lucky")
    assert sandbox.stats.too_many_requests_injected == 2
    assert sandbox.stats.too_many_requests_limited == 0
    assert sandbox.stats.accepted["sendMessage"] == 1


@pytest.mark.parametrize("kind", ["500", "502", "503"])
async def test_server_errors_are_network_errors(sandbox: Sandbox, bot: Bot, kind: str) -> None:
    await known_user(sandbox)
    sandbox.faults.add(kind=kind, count=1, methods={"sendmessage"})
    with pytest.raises(NetworkError) as caught:
        await bot.send_message(1001, "hi")
    assert not isinstance(caught.value, TimedOut)
    await bot.send_message(1001, "hi again")
    assert sandbox.stats.faults_injected[kind] == 1


async def test_fault_for_all_methods(sandbox: Sandbox, bot: Bot) -> None:
    sandbox.faults.add(kind=503, count=1)
    with pytest.raises(NetworkError):
        await bot.get_me()
    await bot.get_me()


async def test_slow_answer_times_out_then_answers_normally(sandbox: Sandbox, running: RunningSandbox) -> None:
    await known_user(sandbox)
    async with make_bot(running, read_timeout=0.3) as impatient:
        sandbox.faults.add(kind="slow", count=1, methods={"sendMessage"}, delay=1.0)
        with pytest.raises(TimedOut):
            await impatient.send_message(1001, "hi")
        sandbox.faults.add(kind="slow", count=1, methods={"sendMessage"}, delay=0.1)
        assert (await impatient.send_message(1001, "slowly")).text == "slowly"


async def test_drop_closes_the_connection(sandbox: Sandbox, bot: Bot) -> None:
    await known_user(sandbox)
    sandbox.faults.add(kind="drop", count=1, methods={"sendMessage"})
    with pytest.raises(NetworkError):
        await bot.send_message(1001, "hi")
    assert (await bot.send_message(1001, "again")).text == "again"
    assert sandbox.stats.faults_injected["drop"] == 1


async def test_storm_fails_calls_for_its_duration(sandbox: Sandbox, bot: Bot) -> None:
    await known_user(sandbox)
    sandbox.faults.storm(kinds=["503", "429"], probability=1.0, seconds=0.3, methods={"sendMessage"}, seed=7)
    for _ in range(3):
        with pytest.raises((NetworkError, RetryAfter)):
            await bot.send_message(1001, "hi")
    await asyncio.sleep(0.35)
    await bot.send_message(1001, "calm again")


async def test_storm_probability_is_respected(sandbox: Sandbox) -> None:
    sandbox.faults.storm(kinds=["500"], probability=0.3, seconds=5, seed=1)
    picks = [sandbox.faults.pick("sendMessage") for _ in range(1000)]
    failures = sum(pick is not None for pick in picks)
    assert 230 < failures < 370


async def test_clear_removes_faults(sandbox: Sandbox, bot: Bot) -> None:
    sandbox.faults.add(kind="500", count=5)
    sandbox.faults.storm(kinds=["500"], probability=1.0, seconds=10)
    sandbox.faults.clear()
    await bot.get_me()
    assert sandbox.faults.describe() == {"rules": [], "storm": None}


def test_unknown_fault_kind_is_rejected(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        sandbox.faults.add(kind="404")


async def test_timeout_holds_the_call_then_drops_it_without_acting(sandbox: Sandbox, running: RunningSandbox) -> None:
    user = await known_user(sandbox)
    async with make_bot(running, read_timeout=0.3) as impatient:
        sandbox.faults.add(kind="timeout", count=1, methods={"sendMessage"}, delay=0.5)
        with pytest.raises(TimedOut):
            await impatient.send_message(1001, "lost on the way")
        await asyncio.sleep(0.4)
        sandbox.faults.add(kind="timeout", count=1, methods={"sendMessage"}, delay=0.05)
        with pytest.raises(NetworkError):
            await impatient.send_message(1001, "cut off")
        assert (await impatient.send_message(1001, "made it")).text == "made it"
    assert [m.text for m in user.messages] == ["made it"], "a timed-out call never happened"
    assert sandbox.stats.faults_injected["timeout"] == 2


async def test_every_call_is_recorded_with_its_chat_status_and_retry_after(sandbox: Sandbox, bot: Bot) -> None:
    await known_user(sandbox)
    sandbox.stats.reset()
    sandbox.faults.add(kind="429", count=1, methods={"sendMessage"}, retry_after=4)
    sandbox.faults.add(kind="drop", count=1, methods={"sendMessage"})
    with pytest.raises(RetryAfter):
        await bot.send_message(1001, "too soon")
    with pytest.raises(NetworkError):
        await bot.send_message(1001, "dropped")
    await bot.send_message(1001, "fine")
    await bot.get_me()
    records = [(r.method, r.chat_id, r.status, r.retry_after) for r in sandbox.stats.requests]
    assert records == [
        ("sendMessage", 1001, 429, 4),
        ("sendMessage", 1001, 0, None),
        ("sendMessage", 1001, 200, None),
        ("getMe", None, 200, None),
    ]
    times = [r.at for r in sandbox.stats.requests]
    assert times == sorted(times)
    sandbox.stats.reset()
    assert sandbox.stats.requests == []
