"""Fixtures: a sandbox served on 127.0.0.1 and a real PTB Bot pointed at it."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from telegram import Bot
from telegram.error import RetryAfter
from telegram.request import HTTPXRequest

from bot.sandbox import DEFAULT_TOKEN, RunningSandbox, Sandbox, SimUser, start_sandbox


def make_bot(running: RunningSandbox, read_timeout: float = 3.0) -> Bot:
    """Return a PTB Bot talking to the running sandbox."""
    return Bot(
        DEFAULT_TOKEN,
        base_url=running.bot_base_url,
        base_file_url=running.bot_base_file_url,
        request=HTTPXRequest(connect_timeout=2.0, read_timeout=read_timeout, write_timeout=2.0),
        get_updates_request=HTTPXRequest(connect_timeout=2.0, read_timeout=read_timeout, write_timeout=2.0),
    )


@pytest.fixture
def sandbox() -> Sandbox:
    """Return a fresh sandbox with limits off."""
    return Sandbox(DEFAULT_TOKEN)


@pytest.fixture
async def running(sandbox: Sandbox) -> AsyncIterator[RunningSandbox]:
    """Serve the sandbox on a free local port."""
    served = await start_sandbox(sandbox, host="127.0.0.1", port=0)
    yield served
    await served.stop()


@pytest.fixture
async def bot(running: RunningSandbox) -> AsyncIterator[Bot]:
    """Return an initialized PTB Bot pointed at the sandbox."""
    client = make_bot(running)
    async with client:
        yield client


def retry_seconds(error: RetryAfter) -> float:
    """Return RetryAfter.retry_after in seconds whether PTB gives an int or a timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def known_user(sandbox: Sandbox, user_id: int = 1001, first_name: str = "Ada") -> SimUser:
    """Return a user who has written to the bot, so the bot may answer."""
    user = sandbox.user(user_id, first_name=first_name)
    await user.send("/start")
    return user
