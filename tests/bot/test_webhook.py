"""Webhook mode: the secret is checked first, every update is stored before 200, handled once, in order."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.settings import Settings, SettingsError
from bot.web.app import RunningWeb, start_web
from bot.web.webhook import (
    SECRET_HEADER,
    SENDER_KEY_PURPOSE,
    WEBHOOK_PATH,
    WebhookReceiver,
    add_webhook_route,
    sender_key,
)
from models.crypto import DataCipher
from models.inbox_tables import InboxUpdate
from models.tables import ConsentRecord
from tests.bot.webhook_harness import SECRET, start_webhook_bot
from tests.conftest import NOW, Database
from tests.e2e.harness import CANARY_TEXT


def message_update(update_id: int, user_id: int, text: str) -> dict[str, object]:
    chat = {"id": user_id, "type": "private"}
    sender = {"id": user_id, "is_bot": False, "first_name": "Sam"}
    return {
        "update_id": update_id,
        "message": {"message_id": update_id, "date": 0, "chat": chat, "from": sender, "text": text},
    }


class Endpoint:
    def __init__(self, database: Database, running: RunningWeb) -> None:
        self.database = database
        self.url = running.url + WEBHOOK_PATH
        self.woken = 0

    async def rows(self) -> list[tuple[int, object, bytes, str]]:
        async with self.database.units() as uow:
            query = select(
                InboxUpdate.update_id, InboxUpdate.leased_until, InboxUpdate.payload_encrypted, InboxUpdate.sender_key
            ).order_by(InboxUpdate.update_id)
            return [tuple(row) for row in (await uow.session.execute(query)).all()]


@pytest.fixture
async def endpoint(database: Database) -> AsyncIterator[Endpoint]:
    app = web.Application()
    holder: list[Endpoint] = []

    def wake() -> None:
        holder[0].woken += 1

    add_webhook_route(app, WebhookReceiver(database.units, SECRET, wake, clock=lambda: NOW))
    running = await start_web(app, "127.0.0.1", 0)
    holder.append(Endpoint(database, running))
    try:
        yield holder[0]
    finally:
        await running.stop()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {SECRET_HEADER: ""},
        {SECRET_HEADER: "wrong-secret"},
        {SECRET_HEADER: SECRET[:-1]},
        {SECRET_HEADER: SECRET + "x"},
    ],
    ids=["missing", "empty", "wrong", "prefix-only", "longer"],
)
async def test_a_request_without_the_right_secret_gets_403_and_nothing_is_stored(
    endpoint: Endpoint, headers: dict[str, str]
) -> None:
    update = message_update(1, 501, CANARY_TEXT)
    async with aiohttp.ClientSession() as client, client.post(endpoint.url, json=update, headers=headers) as response:
        assert response.status == 403
    assert await endpoint.rows() == [] and endpoint.woken == 0


async def test_the_secret_is_checked_before_the_body_is_read(endpoint: Endpoint) -> None:
    """A wrong secret is refused while the client is still sending the body: the server never waited for it."""
    release = asyncio.Event()

    async def slow_body() -> AsyncIterator[bytes]:
        yield b'{"update_id": 7, "message": '
        await release.wait()
        yield b"{}}"

    async with aiohttp.ClientSession() as client:
        request = client.post(endpoint.url, data=slow_body(), headers={SECRET_HEADER: "wrong"})
        response = await asyncio.wait_for(request, timeout=5)
        assert response.status == 403
        release.set()
        response.release()
    assert await endpoint.rows() == []


async def test_an_update_is_stored_encrypted_with_a_hashed_sender_before_200(endpoint: Endpoint) -> None:
    async with aiohttp.ClientSession() as client:
        for _ in range(2):  # the same update twice: stored once
            async with client.post(
                endpoint.url, json=message_update(41, 777001, CANARY_TEXT), headers={SECRET_HEADER: SECRET}
            ) as response:
                assert response.status == 200
        async with client.post(endpoint.url, data=b"not json", headers={SECRET_HEADER: SECRET}) as response:
            assert response.status == 400
    ((update_id, leased_until, payload, key),) = await endpoint.rows()
    assert update_id == 41 and leased_until is None and endpoint.woken == 2
    assert CANARY_TEXT.encode() not in bytes(payload)
    secret = DataCipher(endpoint.database.keys).derive_secret(SENDER_KEY_PURPOSE)
    assert "777001" not in key and key == sender_key(message_update(99, 777001, "other"), secret)
    unkeyed = {hashlib.sha256(f"{prefix}777001".encode()).hexdigest()[:40] for prefix in ("", "cairn-inbox:")}
    assert key not in unkeyed and key != sender_key(message_update(99, 777001, "x"), b"another deployment")


async def test_each_member_gets_only_their_oldest_update_and_nothing_while_one_is_in_flight(database: Database) -> None:
    async with database.units() as uow:
        for update_id, user in ((10, 1), (11, 2), (12, 1), (13, 3), (14, 2)):
            update = message_update(update_id, user, f"text {update_id}")
            assert await uow.inbox.add(update_id, sender_key(update, b"test"), update, NOW)
        await uow.commit()
    lease = timedelta(seconds=60)
    async with database.units() as uow:
        first = await uow.inbox.claim(NOW, 10, lease)
        await uow.commit()
    assert [item.update_id for item in first] == [10, 11, 13]
    assert first[0].payload["message"]["text"] == "text 10"
    async with database.units() as uow:
        assert await uow.inbox.claim(NOW, 10, lease) == []  # 12 and 14 wait for their member's update in flight
        await uow.inbox.done(10, 1)
        await uow.commit()
    async with database.units() as uow:
        assert [item.update_id for item in await uow.inbox.claim(NOW, 10, lease)] == [12]
        await uow.commit()
    async with database.units() as uow:  # an instance died holding 11: after its lease, 11 (not 14) comes again
        again = await uow.inbox.claim(NOW + lease + timedelta(seconds=1), 10, lease)
    assert [(item.update_id, item.attempts) for item in again] == [(11, 2), (12, 2), (13, 2)]


async def test_two_instances_claiming_at_once_never_take_the_same_member(database: Database) -> None:
    if database.backend != "postgresql":
        pytest.skip("several instances run on PostgreSQL; SQLite is the single-instance default")
    async with database.units() as uow:
        for update_id in range(1, 401):
            user = update_id % 50
            update = message_update(update_id, 1000 + user, "hi")
            await uow.inbox.add(update_id, sender_key(update, b"test"), update, NOW)
        await uow.commit()

    async def claim() -> list[int]:
        async with database.units() as uow:
            claimed = await uow.inbox.claim(NOW, 30, timedelta(seconds=60))
            await uow.commit()
        return [item.update_id for item in claimed]

    results = await asyncio.gather(*(claim() for _ in range(4)))
    taken = [update_id for result in results for update_id in result]
    assert len(taken) == len(set(taken)) == 50  # one per member, never twice
    assert sorted(taken) == list(range(1, 51))  # and each member's oldest


def test_webhook_mode_refuses_to_start_without_a_valid_secret() -> None:
    base = {"CAIRN_MODE": "webhook", "CAIRN_WEB_PORT": "8080"}
    for secret in (None, "", "has space", "x" * 257, "ünïcode"):
        env = dict(base) if secret is None else {**base, "CAIRN_WEBHOOK_SECRET": secret}
        with pytest.raises(SettingsError, match="CAIRN_WEBHOOK_SECRET"):
            Settings.from_env(env)
    with pytest.raises(SettingsError, match="CAIRN_WEB_PORT"):
        Settings.from_env({**base, "CAIRN_WEBHOOK_SECRET": SECRET, "CAIRN_WEB_PORT": "0"})
    assert Settings.from_env({**base, "CAIRN_WEBHOOK_SECRET": SECRET}).mode == "webhook"
    with pytest.raises(SettingsError, match="CAIRN_MODE"):
        Settings.from_env({"CAIRN_MODE": "carrier-pigeon"})


async def test_a_member_onboards_through_the_webhook_and_a_redelivered_update_has_one_effect(
    database: Database,
) -> None:
    bot = await start_webhook_bot(database.url, database.keys)
    try:
        member = bot.member(4401)
        await member.say("/start", expect=2)
        message = next(m for m in reversed(member.user.messages) if m.has_button("Yes, keep them"))
        update_id = await member.user.press(message.message_id, message.button("Yes, keep them").callback_data)
        await member.user.wait_for_messages(1)
        await bot.settled()
        async with database.units() as uow:
            consents = await uow.session.scalar(select(func.count()).select_from(ConsentRecord))
        seen = len(member.user.messages)
        delivered = bot.sandbox.webhook.delivered

        bot.sandbox.redeliver(update_id)
        for _ in range(100):
            if bot.sandbox.webhook.delivered > delivered:
                break
            await asyncio.sleep(0.05)
        await bot.settled()
        await asyncio.sleep(0.3)
        async with database.units() as uow:
            assert await uow.session.scalar(select(func.count()).select_from(ConsentRecord)) == consents
        assert len(member.user.messages) == seen, "a redelivered update has no second effect"
        assert await bot.stop()
    finally:
        await bot.close()


async def test_the_webhook_commands_set_show_and_delete_it_without_printing_secrets() -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    from bot.sandbox import Sandbox, start_sandbox
    from tests.e2e.harness import CANARY_TOKEN

    sandbox = Sandbox(token=CANARY_TOKEN)
    server = await start_sandbox(sandbox, "127.0.0.1", 0)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "TELEGRAM_BOT_TOKEN": CANARY_TOKEN,
        "TELEGRAM_API_BASE_URL": server.bot_base_url,
        "CAIRN_WEBHOOK_SECRET": SECRET,
        "CAIRN_WEBHOOK_URL": "http://127.0.0.1:9/telegram/webhook",
    }

    async def cli(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "bot", "webhook", *args], cwd=Path(__file__).resolve().parents[2],
            env={**env, **extra}, capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    try:
        made = await cli("secret")
        assert made.returncode == 0 and Settings.from_env(
            {"CAIRN_MODE": "webhook", "CAIRN_WEBHOOK_SECRET": made.stdout.strip()}
        )
        refused = await cli("set", CAIRN_WEBHOOK_URL="http://bot.example.org/telegram/webhook")
        assert refused.returncode == 2 and "https" in refused.stdout and not sandbox.webhook.active
        assert (await cli("set")).returncode == 0
        assert sandbox.webhook.url == env["CAIRN_WEBHOOK_URL"] and sandbox.webhook.secret_token == SECRET
        info = await cli("info")
        assert "url: http://127.0.0.1:9/telegram/webhook" in info.stdout and "pending updates: 0" in info.stdout
        assert SECRET not in info.stdout + info.stderr and "CANARY-TOKEN" not in info.stdout + info.stderr
        assert (await cli("delete")).returncode == 0 and not sandbox.webhook.active
        assert "(none: the bot polls)" in (await cli("info")).stdout
    finally:
        await server.stop()
