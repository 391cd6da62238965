"""Three bot processes in webhook mode on one PostgreSQL behind a round-robin proxy; 500 members check in at once.

Every prompt is sent once, every answer is stored once, and each member's two quick updates (a mood tap and,
without waiting, a note) are handled in order even when they land on different instances.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from bot.sandbox import Sandbox, start_sandbox
from bot.web.app import RunningWeb, start_web
from flows.consent import ConsentScope
from flows.schedule import CheckInPlan
from models.crypto import DataCipher
from models.inbox_tables import InboxUpdate
from models.tables import CheckIn, CheckInAnswer, Member, ProcessedUpdate, PromptDelivery
from tests.bot.webhook_harness import SECRET, free_port
from tests.conftest import Database
from tests.e2e.harness import CANARY_TOKEN
from tests.faults.test_webhook_sigkill import wait_until_alive

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = 500
INSTANCES = 3
FIRST_ID = 60_000
PROMPT = "time for your check-in"
NOTE_QUESTION = "anything on your mind"


@asynccontextmanager
async def round_robin(targets: list[str]) -> AsyncIterator[RunningWeb]:
    """A tiny load balancer: each request goes to the next bot, headers and body unchanged."""
    turn = itertools.cycle(targets)
    session = aiohttp.ClientSession()

    async def forward(request: web.Request) -> web.Response:
        body = await request.read()
        headers = {key: value for key, value in request.headers.items() if key.lower().startswith("x-telegram")}
        headers["Content-Type"] = "application/json"
        try:
            async with session.post(next(turn), data=body, headers=headers) as answer:
                return web.Response(status=answer.status)
        except aiohttp.ClientError:
            return web.Response(status=502)

    app = web.Application()
    app.router.add_post("/hook", forward)
    running = await start_web(app, "127.0.0.1", 0)
    try:
        yield running
    finally:
        await running.stop()
        await session.close()


async def seed_members(database: Database) -> None:
    """Members who agreed to keep their check-ins, each with a prompt due a moment ago."""
    now = datetime.now(UTC)
    plan = CheckInPlan(time_of_day=time(10, 0), instrument_id=None)
    async with database.units() as uow:
        organisation = await uow.organisations.add("hillside", "Hillside", now)
        for offset in range(MEMBERS):
            telegram_id = FIRST_ID + offset
            member = await uow.members.add(telegram_id, telegram_id, organisation.id, now)
            for scope, action in ((ConsentScope.STORE, "given"), (ConsentScope.SHARE_FLAGS, "declined")):
                record = {"scope": scope.value, "action": action, "share_level": None, "text_version": "v1",
                          "text_hash": "0" * 64, "method": "seed"}  # fmt: skip
                await uow.consents.append(member.id, record, None, now)
            news = {"scope": "news", "action": "declined", "share_level": None, "text_version": "v1",
                    "text_hash": "0" * 64, "method": "seed"}  # fmt: skip
            await uow.consents.append(member.id, news, None, now)
            await uow.plans.save(member.id, plan, now - timedelta(seconds=1), now)
        await uow.commit()


def bot_env(database: Database, api_base_url: str, port: int) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "TELEGRAM_BOT_TOKEN": CANARY_TOKEN,
        "TELEGRAM_API_BASE_URL": api_base_url,
        "DATABASE_URL": database.url,
        "CAIRN_DATA_KEYS": database.keys[0],
        "CAIRN_DEFAULT_ORGANISATION": "hillside",
        "CAIRN_LANGUAGE_MODEL": "off",
        "CAIRN_LANGUAGE_ID": "off",  # each process would load lingua's models (seconds, 400 MB)
        "CAIRN_MODE": "webhook",
        "CAIRN_WEBHOOK_SECRET": SECRET,
        "CAIRN_WEB_PORT": str(port),
        "CAIRN_TICK_SECONDS": "1",
        "CAIRN_SEND_RATE_PER_SECOND": "5000",
        "CAIRN_SEND_CHAT_INTERVAL_SECONDS": "0.001",
        "CAIRN_MAX_CONCURRENT_UPDATES": "32",
    }


async def check_in(sandbox: Sandbox, telegram_id: int) -> None:
    """Wait for the prompt, tap a mood and at once type a note, then wait for both answers."""
    user = sandbox.user(telegram_id)
    (prompt,) = await user.wait_for_messages(1, timeout=60)
    assert PROMPT in prompt.text
    tap = user.press(prompt.message_id, prompt.button("Okay").callback_data)
    await asyncio.gather(tap, user.send(f"note from {telegram_id}"))  # queued back to back: one after the other
    await user.wait_until(lambda u: any("Thank" in (m.text or "") for m in u.messages), timeout=120)


async def handled_counts(ports: list[int]) -> list[float]:
    """Read each process's /metrics: how many updates it handled."""
    counts = []
    async with aiohttp.ClientSession() as client:
        for port in ports:
            async with client.get(f"http://127.0.0.1:{port}/metrics") as response:
                text = await response.text()
            family = next(f for f in text_string_to_metric_families(text) if f.name == "cairn_updates_handled")
            counts.append(sum(sample.value for sample in family.samples if sample.name.endswith("_total")))
    return counts


@pytest.mark.timeout(240)
async def test_three_webhook_instances_500_members_checking_in_at_once(database: Database, tmp_path: Path) -> None:
    if database.backend != "postgresql":
        pytest.skip("several instances run on PostgreSQL; SQLite is the single-instance default")
    await seed_members(database)
    sandbox = Sandbox(token=CANARY_TOKEN)
    server = await start_sandbox(sandbox, "127.0.0.1", 0)
    for offset in range(MEMBERS):
        sandbox.user(FIRST_ID + offset).chat.known = True
    ports = [free_port() for _ in range(INSTANCES)]
    logs = [(tmp_path / f"bot-{index}.log").open("wb") for index in range(INSTANCES)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=ROOT,
            env=bot_env(database, server.bot_base_url, port),
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        for port, log in zip(ports, logs, strict=True)
    ]
    try:
        async with round_robin([f"http://127.0.0.1:{port}/telegram/webhook" for port in ports]) as proxy:
            for port, process in zip(ports, processes, strict=True):
                await wait_until_alive(port, process)
            env = {**bot_env(database, server.bot_base_url, ports[0]), "CAIRN_WEBHOOK_URL": f"{proxy.url}/hook"}
            setting = await asyncio.to_thread(
                subprocess.run, [sys.executable, "-m", "bot", "webhook", "set"], cwd=ROOT, env=env,
                capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            assert setting.returncode == 0, setting.stdout + setting.stderr
            info = await asyncio.to_thread(
                subprocess.run, [sys.executable, "-m", "bot", "webhook", "info"], cwd=ROOT, env=env,
                capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            assert f"url: {proxy.url}/hook" in info.stdout
            assert SECRET not in info.stdout + info.stderr and CANARY_TOKEN.split(":")[1] not in info.stdout

            await asyncio.gather(*(check_in(sandbox, FIRST_ID + offset) for offset in range(MEMBERS)))
            shares = await handled_counts(ports)
        for process in processes:
            process.send_signal(signal.SIGTERM)
        codes = [await asyncio.to_thread(process.wait, 30) for process in processes]
    except BaseException:
        for index in range(INSTANCES):  # what the bots said, to see why
            lines = (tmp_path / f"bot-{index}.log").read_text().splitlines()
            print(f"--- bot {index}\n" + "\n".join(line for line in lines if "checkin_finished" not in line)[-4000:])
        raise
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
        await server.stop()
        for log in logs:
            log.close()

    assert codes == [0] * INSTANCES
    assert sum(shares) == 2 * MEMBERS and all(share > 0 for share in shares), f"every instance took a share: {shares}"
    prompts_per_member = [
        sum(PROMPT in (m.text or "") for m in sandbox.user(FIRST_ID + offset).messages) for offset in range(MEMBERS)
    ]
    assert prompts_per_member == [1] * MEMBERS, "every prompt sent once"
    for offset in range(MEMBERS):
        texts = [m.text or "" for m in sandbox.user(FIRST_ID + offset).messages]
        order = [
            next(i for i, t in enumerate(texts) if PROMPT in t),
            next(i for i, t in enumerate(texts) if NOTE_QUESTION in t.lower()),
            next(i for i, t in enumerate(texts) if "Thank" in t),
        ]
        assert order == sorted(order) and len(texts) == 3, f"member {offset}: replies in order, once: {texts}"
    async with database.units() as uow:
        session = uow.session
        assert await session.scalar(select(func.count()).where(PromptDelivery.status == "sent")) == MEMBERS
        assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 2 * MEMBERS
        assert await session.scalar(select(func.count()).select_from(InboxUpdate)) == 0
        rows = (
            await session.execute(
                select(Member.telegram_user_id, CheckIn.status, CheckIn.note_encrypted, CheckIn.id).join(
                    CheckIn, CheckIn.member_id == Member.id
                )
            )
        ).all()
        answers = (await session.execute(select(CheckInAnswer.checkin_id, CheckInAnswer.item_id))).all()
    assert len(rows) == MEMBERS, "one check-in per member"
    assert sorted(answers) == sorted((row[3], "mood") for row in rows), "every answer stored once"
    for telegram_id, status, note, _ in rows:
        assert status == "completed" and database_cipher(database).decrypt(note) == f"note from {telegram_id}"
    print(f"three webhook instances: updates handled per instance {shares}, prompts 500/500, answers 500/500")


def database_cipher(database: Database) -> DataCipher:
    return DataCipher(database.keys)
