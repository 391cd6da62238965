"""Update delivery: offsets, redelivery, groups, raw updates, webhooks and conflicts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import Conflict

from bot.sandbox import RunningSandbox, Sandbox

from .conftest import make_bot

POLL = {
    "id": "poll-1",
    "question": "Tea?",
    "options": [{"text": "Yes", "voter_count": 1, "persistent_id": "opt-1"}],
    "total_voter_count": 1,
    "is_closed": False,
    "is_anonymous": True,
    "type": "regular",
    "allows_multiple_answers": False,
    "allows_revoting": False,
    "members_only": False,
}


async def test_redeliver_repeats_a_confirmed_update_with_the_same_id(sandbox: Sandbox, bot: Bot) -> None:
    user = sandbox.user(1001, first_name="Ada")
    first = await user.send("one")
    second = await user.send("two")
    assert [u.update_id for u in await bot.get_updates()] == [first, second]
    assert await bot.get_updates(offset=second + 1, timeout=0) == ()
    sandbox.redeliver(first)
    again = await bot.get_updates(offset=second + 1, timeout=1)
    assert [u.update_id for u in again] == [first]
    assert again[0].message is not None and again[0].message.text == "one"
    assert await bot.get_updates(offset=second + 1, timeout=0) == ()


async def test_redelivered_update_goes_before_new_ones(sandbox: Sandbox, bot: Bot) -> None:
    user = sandbox.user(1001)
    first = await user.send("one")
    await bot.get_updates(offset=first + 1, timeout=0)
    third = await user.send("three")
    sandbox.redeliver(first)
    assert [u.update_id for u in await bot.get_updates(offset=first + 1)] == [first, third]


def test_redeliver_unknown_update_fails(sandbox: Sandbox) -> None:
    with pytest.raises(KeyError):
        sandbox.redeliver(42)


async def test_group_chat_messages(sandbox: Sandbox, bot: Bot) -> None:
    group = sandbox.group(chat_id=-100123, title="Walkers")
    update_id = await group.send(1002, "/checkin@cairn_sandbox_bot")
    updates = await bot.get_updates()
    message = updates[0].message
    assert updates[0].update_id == update_id and message is not None
    assert (message.chat.id, message.chat.type, message.chat.title) == (-100123, "supergroup", "Walkers")
    assert message.from_user is not None and message.from_user.id == 1002
    assert message.entities[0].type == "bot_command" and message.entities[0].length == 26
    sent = await bot.send_message(-100123, "Hello walkers")
    assert (await group.wait_for_message(timeout=1)).text == "Hello walkers"
    await group.press(1003, sent.message_id, "join")
    query = (await bot.get_updates(offset=update_id + 1))[-1].callback_query
    assert query is not None and query.from_user.id == 1003 and query.data == "join"
    assert query.message is not None and query.message.chat.id == -100123


async def test_raw_updates_of_any_type(sandbox: Sandbox, bot: Bot) -> None:
    poll_id = sandbox.push_raw_update({"poll": POLL})
    odd_id = sandbox.push_raw_update({"update_id": 500, "brand_new_kind": {"x": 1}})
    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [poll_id, 500] and odd_id == 500
    assert updates[0].poll is not None and updates[0].poll.question == "Tea?"
    assert sandbox.user(1001) and await sandbox.user(1001).send("next") == 501


async def test_negative_offset_keeps_the_last_updates(sandbox: Sandbox, bot: Bot) -> None:
    user = sandbox.user(1001)
    ids = [await user.send(str(n)) for n in range(4)]
    assert [u.update_id for u in await bot.get_updates(offset=-1)] == ids[-1:]
    assert [u["update_id"] for u in sandbox.pending_updates()] == ids[-1:]


async def test_limit_and_allowed_updates(sandbox: Sandbox, bot: Bot) -> None:
    user = sandbox.user(1001)
    await user.send("a")
    sandbox.push_raw_update({"poll": POLL})
    await user.send("b")
    assert len(await bot.get_updates(limit=1)) == 1
    updates = await bot.get_updates(allowed_updates=["message"])
    assert [u.message.text for u in updates if u.message] == ["a", "b"] and len(updates) == 2


async def test_newer_get_updates_ends_the_older_one(sandbox: Sandbox, bot: Bot, running: RunningSandbox) -> None:
    async with make_bot(running) as other:
        older = asyncio.create_task(bot.get_updates(timeout=2))
        await asyncio.sleep(0.1)
        newer = asyncio.create_task(other.get_updates(timeout=2))
        with pytest.raises(Conflict, match=r"(?i)terminated by other getupdates request"):
            await older
        await sandbox.user(1001).send("hi")
        assert len(await newer) == 1


class WebhookReceiver:
    """A local HTTP endpoint that fails the first `failures` posts."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.received: list[tuple[dict[str, Any], str | None]] = []
        self.arrived = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        if self.failures > 0:
            self.failures -= 1
            return web.Response(status=500)
        self.received.append((await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
        self.arrived.set()
        return web.Response(text="ok")


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[WebhookReceiver, str]]:
    hook = WebhookReceiver(failures=2)
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield hook, f"http://127.0.0.1:{port}/hook"
    await runner.cleanup()


async def test_webhook_delivery_retries_in_order_with_secret(
    sandbox: Sandbox, bot: Bot, receiver: tuple[WebhookReceiver, str]
) -> None:
    hook, url = receiver
    user = sandbox.user(1001)
    ids = [await user.send("first"), await user.send("second")]
    await bot.set_webhook(url, secret_token="hook-secret")
    async with asyncio.timeout(3):
        while len(hook.received) < 2:
            hook.arrived.clear()
            await hook.arrived.wait()
    assert [body["update_id"] for body, _ in hook.received] == ids
    assert {secret for _, secret in hook.received} == {"hook-secret"}
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 0 and info.last_error_message is not None
    sandbox.redeliver(ids[0])
    async with asyncio.timeout(3):
        while len(hook.received) < 3:
            hook.arrived.clear()
            await hook.arrived.wait()
    assert hook.received[2][0]["update_id"] == ids[0]


async def test_set_webhook_drop_pending(sandbox: Sandbox, bot: Bot) -> None:
    await sandbox.user(1001).send("old")
    await bot.set_webhook("http://127.0.0.1:9/hook", drop_pending_updates=True)
    assert sandbox.pending_updates() == []
    await bot.delete_webhook()
    assert await bot.get_updates(timeout=0) == ()
