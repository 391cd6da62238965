"""The HTTP user-side API, the control API and the web chat page."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import RetryAfter

from bot.sandbox import RunningSandbox, Sandbox

from .conftest import retry_seconds

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


@pytest.fixture
async def client(running: RunningSandbox) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=running.url) as session:
        yield session


async def call(client: aiohttp.ClientSession, method: str, path: str, body: Any = None) -> Any:
    """Call the user API and return its JSON answer, asserting success."""
    async with client.request(method, path, json=body) as response:
        assert response.status == 200, await response.text()
        return await response.json()


@pytest.mark.parametrize("path", ["/", "/chat"])
async def test_chat_page_is_served(client: aiohttp.ClientSession, path: str) -> None:
    async with client.get(path) as response:
        page = await response.text()
    assert response.status == 200 and response.content_type == "text/html"
    assert "Cairn sandbox — a local stand-in for Telegram. Nothing leaves this computer." in page
    assert '<label for="text"' in page and '<label for="user-select"' in page
    assert 'name="viewport"' in page


async def test_users_send_and_conversation_both_ways(sandbox: Sandbox, bot: Bot, client: aiohttp.ClientSession) -> None:
    created = await call(client, "POST", "/sandbox/api/users", {"id": 1001, "first_name": "Ada"})
    assert created["id"] == 1001 and created["known"] is False
    assert [u["first_name"] for u in (await call(client, "GET", "/sandbox/api/users"))["users"]] == ["Ada"]
    sent = await call(client, "POST", "/sandbox/api/users/1001/send", {"text": "/start"})
    assert sandbox.pending_updates()[0]["update_id"] == sent["update_id"]
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Export", callback_data="export")]])
    await bot.send_message(1001, "Welcome", reply_markup=markup)
    await bot.send_document(1001, b'{"a": 1}', filename="data.json")
    chat = await call(client, "GET", "/sandbox/api/chats/1001/messages")
    assert [(m["from"], m["kind"]) for m in chat["messages"]] == [
        ("user", "text"),
        ("bot", "text"),
        ("bot", "document"),
    ]
    assert chat["messages"][1]["buttons"] == [[{"text": "Export", "callback_data": "export", "url": None}]]
    document = chat["messages"][2]["document"]
    assert document["file_name"] == "data.json"
    async with client.get(document["url"]) as response:
        assert await response.read() == b'{"a": 1}'
        assert "attachment" in response.headers["Content-Disposition"]
    pressed = await call(client, "POST", "/sandbox/api/users/1001/press", {"message_id": 2, "callback_data": "export"})
    update = (await bot.get_updates())[-1]
    assert update.update_id == pressed["update_id"] and update.callback_query is not None
    await bot.answer_callback_query(update.callback_query.id, text="Preparing")
    later = await call(client, "GET", f"/sandbox/api/chats/1001/messages?after={chat['last_seq']}")
    assert later["callback_answers"][0]["text"] == "Preparing" and later["messages"] == []


async def test_messages_long_poll_returns_on_change(sandbox: Sandbox, bot: Bot, client: aiohttp.ClientSession) -> None:
    user = sandbox.user(1001)
    await user.send("hi")
    first = await call(client, "GET", "/sandbox/api/chats/1001/messages")
    started = time.monotonic()
    waiting = asyncio.create_task(
        call(client, "GET", f"/sandbox/api/chats/1001/messages?after={first['last_seq']}&wait=3")
    )
    await asyncio.sleep(0.1)
    sent = await bot.send_message(1001, "there")
    later = await waiting
    assert time.monotonic() - started < 2
    assert [m["text"] for m in later["messages"]] == ["there"]
    await bot.edit_message_text("there!", chat_id=1001, message_id=sent.message_id)
    edited = await call(client, "GET", f"/sandbox/api/chats/1001/messages?after={later['last_seq']}&wait=1")
    assert [(m["message_id"], m["text"], m["edit_count"]) for m in edited["messages"]] == [(2, "there!", 1)]


async def test_block_and_other_kinds(sandbox: Sandbox, client: aiohttp.ClientSession) -> None:
    assert (await call(client, "POST", "/sandbox/api/users/1001/block"))["blocked"] is True
    assert (await call(client, "POST", "/sandbox/api/users/1001/unblock"))["blocked"] is False
    for kind in ("sticker", "photo", "voice", "location"):
        await call(client, "POST", "/sandbox/api/users/1001/send", {"kind": kind})
    kinds = [m["kind"] for m in (await call(client, "GET", "/sandbox/api/chats/1001/messages"))["messages"]]
    assert kinds == ["sticker", "photo", "voice", "location"]


async def test_bad_requests_are_json_errors(client: aiohttp.ClientSession) -> None:
    async with client.post("/sandbox/api/users/1001/press", json={"message_id": 9, "callback_data": "x"}) as r:
        assert r.status == 404 and "error" in await r.json()
    async with client.post("/sandbox/api/users", json={"id": "abc"}) as r:
        assert r.status == 400
    async with client.get("/sandbox/api/chats/777/messages") as r:
        assert r.status == 404


async def test_faults_stats_and_limits_over_http(sandbox: Sandbox, bot: Bot, client: aiohttp.ClientSession) -> None:
    await sandbox.user(1001).send("/start")
    faults = await call(
        client, "POST", "/sandbox/api/faults", {"kind": "429", "count": 1, "methods": ["sendMessage"], "retry_after": 2}
    )
    assert faults["rules"][0]["remaining"] == 1
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(1001, "x")
    assert retry_seconds(caught.value) == 2
    await call(client, "POST", "/sandbox/api/faults/storm", {"kinds": ["503"], "probability": 0.5, "seconds": 5})
    assert (await call(client, "DELETE", "/sandbox/api/faults")) == {"rules": [], "storm": None}
    stats = await call(client, "GET", "/sandbox/api/stats")
    assert stats["too_many_requests"] == {"injected": 1, "limit_exceeded": 0}
    limits = await call(client, "POST", "/sandbox/api/limits", {"enforce": True, "per_chat_burst": 2})
    assert limits == {"enforce": True, "global_per_second": 30, "per_chat_burst": 2}
    assert sandbox.enforce_limits and sandbox.limits.per_chat_burst == 2
    async with client.post("/sandbox/api/faults", json={"kind": "teapot"}) as response:
        assert response.status == 400


async def test_raw_update_pending_and_redeliver_over_http(bot: Bot, client: aiohttp.ClientSession) -> None:
    pushed = await call(client, "POST", "/sandbox/api/updates", {"my_chat_member_unknown": {"x": 1}})
    pending = await call(client, "GET", "/sandbox/api/updates/pending")
    assert [u["update_id"] for u in pending["updates"]] == [pushed["update_id"]]
    await bot.get_updates(offset=pushed["update_id"] + 1)
    await call(client, "POST", f"/sandbox/api/updates/{pushed['update_id']}/redeliver")
    assert [u.update_id for u in await bot.get_updates(offset=pushed["update_id"] + 1)] == [pushed["update_id"]]
    async with client.post("/sandbox/api/updates/999/redeliver") as response:
        assert response.status == 404


async def test_group_send_over_http(bot: Bot, client: aiohttp.ClientSession) -> None:
    body = {"from_user_id": 1002, "text": "hello group", "title": "Walkers"}
    await call(client, "POST", "/sandbox/api/groups/-100555/send", body)
    message = (await bot.get_updates())[-1].message
    assert message is not None and message.chat.title == "Walkers"
