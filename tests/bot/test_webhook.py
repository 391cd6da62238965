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
    for secret in (None, "", "has space", "x" * 257, "ünïcode", "x", "x" * 31, "has space" + "x" * 30):
        env = dict(base) if secret is None else {**base, "CAIRN_WEBHOOK_SECRET": secret}
        with pytest.raises(SettingsError, match="CAIRN_WEBHOOK_SECRET"):
            Settings.from_env(env)
    with pytest.raises(SettingsError, match="CAIRN_WEB_PORT"):
        Settings.from_env({**base, "CAIRN_WEBHOOK_SECRET": SECRET, "CAIRN_WEB_PORT": "0"})
    assert Settings.from_env({**base, "CAIRN_WEBHOOK_SECRET": SECRET}).mode == "webhook"
    assert Settings.from_env({**base, "CAIRN_WEBHOOK_SECRET": "x" * 32}).mode == "webhook"
    with pytest.raises(SettingsError, match=r"32-256 characters.*python -m bot webhook secret"):
        Settings.from_env({**base, "CAIRN_WEBHOOK_SECRET": "short-secret"})
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


DEEP = b'{"update_id": 1, "message": ' + b'{"a": ' * 5000 + b"1" + b"}" * 5000 + b"}"
ODD_BODIES = {
    "update_id 2**63": b'{"update_id": 9223372036854775808}',
    "update_id 2**64": b'{"update_id": 18446744073709551616}',
    "update_id negative": b'{"update_id": -9223372036854775809}',
    "update_id huge": b'{"update_id": 1' + b"0" * 4000 + b"}",
    "update_id float": b'{"update_id": 1.5}',
    "update_id bool": b'{"update_id": true}',
    "update_id string": b'{"update_id": "7"}',
    "nested 5000 deep": DEEP,
    "list nested 5000 deep": b'{"update_id": 2, "x": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    "nested 100 deep": b'{"update_id": 3, "x": ' + b'{"a": ' * 100 + b"1" + b"}" * 100 + b"}",
    "not JSON": b"not json",
    "not UTF-8": b'{"update_id": 4, "x": "\xff\xfe"}',
    "empty": b"",
    "a list": b"[1, 2]",
    "a number": b"42",
    "null": b"null",
    "no update_id": b'{"message": {}}',
}


@pytest.mark.parametrize("body", ODD_BODIES.values(), ids=ODD_BODIES.keys())
async def test_an_authenticated_body_that_is_not_a_storable_update_gets_400_never_500(
    endpoint: Endpoint, body: bytes
) -> None:
    async with aiohttp.ClientSession() as client:
        async with client.post(endpoint.url, data=body, headers={SECRET_HEADER: SECRET}) as response:
            assert response.status == 400
        async with client.post(  # and the endpoint still stores a real update afterwards
            endpoint.url, json=message_update(77, 501, "hello"), headers={SECRET_HEADER: SECRET}
        ) as response:
            assert response.status == 200
    assert [row[0] for row in await endpoint.rows()] == [77]


async def test_an_update_with_the_largest_update_id_a_bigint_holds_is_stored(endpoint: Endpoint) -> None:
    async with aiohttp.ClientSession() as client:
        update = message_update(2**63 - 1, 501, "hello")
        async with client.post(endpoint.url, json=update, headers={SECRET_HEADER: SECRET}) as response:
            assert response.status == 200
    assert [row[0] for row in await endpoint.rows()] == [2**63 - 1]


async def test_an_address_that_keeps_sending_wrong_secrets_is_throttled_and_counted(database: Database) -> None:
    from bot.metrics import METRICS
    from bot.web.throttle import Throttle

    now = [0.0]
    refusals = Throttle(per_second=1.0, burst=3, clock=lambda: now[0])
    app = web.Application()
    add_webhook_route(app, WebhookReceiver(database.units, SECRET, lambda: None, refusals=refusals))
    running = await start_web(app, "127.0.0.1", 0)
    counted = METRICS.throttled.labels(endpoint="webhook")._value.get()
    url = running.url + WEBHOOK_PATH
    try:
        async with aiohttp.ClientSession() as client:

            async def post(secret: str, update_id: int = 1) -> int:
                update = message_update(update_id, 501, "hi")
                async with client.post(url, json=update, headers={SECRET_HEADER: secret}) as response:
                    return response.status

            assert [await post("wrong") for _ in range(3)] == [403, 403, 403]
            assert await post("wrong") == 429
            assert await post(SECRET) == 429, "while throttled no secret is compared: guessing gets no answer"
            now[0] += 1.0  # a token back after a second
            assert await post(SECRET, 5) == 200, "a right secret is never counted against the address"
            assert await post(SECRET, 6) == 200
            assert await post("wrong") == 403
            assert await post("wrong") == 429
    finally:
        await running.stop()
    assert METRICS.throttled.labels(endpoint="webhook")._value.get() == counted + 3


async def test_a_private_update_whose_sender_is_not_the_chat_is_refused_with_no_reply_and_not_retried(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """The review's forged /mydata: member 2002's command sent 'in' chat 2001 must answer nobody."""
    bot = await start_webhook_bot(database.url, database.keys)
    try:
        owner, other = bot.member(2002), bot.member(2001)
        await owner.say("/start", expect=2)
        await other.say("/start", expect=2)
        seen = (len(owner.user.messages), len(other.user.messages))
        forged = message_update(880001, 2002, "/mydata")
        forged["message"]["chat"] = {"id": 2001, "type": "private"}  # type: ignore[index]
        button = {
            "update_id": 880002,
            "callback_query": {
                "id": "forged-1",
                "from": {"id": 2002, "is_bot": False, "first_name": "Sam"},
                "chat_instance": "x",
                "data": "pv:menu:done",
                "message": {"message_id": 1, "date": 0, "chat": {"id": 2001, "type": "private"}, "text": "Hi"},
            },
        }
        assert bot.cairn is not None
        url = f"http://127.0.0.1:{bot.settings.web_port}{WEBHOOK_PATH}"
        with caplog.at_level("INFO"):
            async with aiohttp.ClientSession() as client:
                for update in (forged, button):
                    async with client.post(url, json=update, headers={SECRET_HEADER: SECRET}) as response:
                        assert response.status == 200
            await bot.settled()
            await asyncio.sleep(0.5)
        assert (len(owner.user.messages), len(other.user.messages)) == seen, "no reply to either chat"
        assert await bot.inbox_depth() == 0, "handled (refused) once, not kept for another try"
        refusals = [r.getMessage() for r in caplog.records if "sender_is_not_the_chat" in r.getMessage()]
        assert len(refusals) == 2
        assert not any(number in line for line in refusals for number in ("2001", "2002", "880001"))
        assert await bot.stop()
    finally:
        await bot.close()
