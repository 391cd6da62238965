"""SIGTERM to the real bot mid-work: it stops taking work, finishes what it holds, exits 0 in time, loses nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from bot.sandbox import Sandbox, start_sandbox
from models.database import create_engine
from models.inbox_tables import InboxUpdate
from models.migrate import upgrade_to_head
from models.tables import ProcessedUpdate
from tests.bot.webhook_harness import SECRET, free_port
from tests.faults.test_webhook_sigkill import wait_until_alive

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = 16
SHUTDOWN_SECONDS = 20


def environment(mode: str, url: str, api_base_url: str, port: int) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "TELEGRAM_BOT_TOKEN": "424242:CANARY-TOKEN-q8Zt2Lw9xVb4Nc7Rk3Hs",
        "TELEGRAM_API_BASE_URL": api_base_url,
        "DATABASE_URL": url,
        "CAIRN_DATA_KEYS": Fernet.generate_key().decode(),
        "CAIRN_LANGUAGE_MODEL": "off",
        "CAIRN_LANGUAGE_ID": "off",  # each process would load lingua's models (seconds, 400 MB)
        "CAIRN_MAX_CONCURRENT_UPDATES": "4",
        "CAIRN_SHUTDOWN_SECONDS": str(SHUTDOWN_SECONDS),
        "CAIRN_WEB_PORT": str(port),
        "CAIRN_MODE": mode,
    }
    if mode == "webhook":
        env |= {"CAIRN_WEBHOOK_SECRET": SECRET, "CAIRN_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook"}
    return env


def start(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


@pytest.mark.timeout(180)
@pytest.mark.parametrize("mode", ["webhook", "polling"])
async def test_sigterm_mid_work_exits_0_within_the_bound_and_loses_nothing(mode: str, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/term.db"
    engine = create_engine(url)
    await upgrade_to_head(engine)
    sandbox = Sandbox(token="424242:CANARY-TOKEN-q8Zt2Lw9xVb4Nc7Rk3Hs")
    server = await start_sandbox(sandbox, "127.0.0.1", 0)
    port = free_port()
    env = environment(mode, url, server.bot_base_url, port)
    process = start(env)
    try:
        await wait_until_alive(port, process)
        users = [sandbox.user(7000 + index) for index in range(MEMBERS)]
        sandbox.faults.add(kind="slow", count=10_000, methods={"sendMessage"}, delay=1.0)  # every reply takes a second
        for user in users:
            await user.send("/start")
        await sandbox.state.changed.wait_for(lambda: any(user.messages for user in users), 30)

        process.send_signal(signal.SIGTERM)  # mid-work: some members answered, some in flight, some waiting
        code = await asyncio.to_thread(process.wait, SHUTDOWN_SECONDS + 15)
        assert code == 0, process.stderr.read().decode()[-2000:] if process.stderr else code
        answered = [len(user.messages) for user in users]
        assert set(answered) <= {0, 2}, f"what was in flight was finished, nothing half-done: {answered}"
        assert 0 < answered.count(2) < MEMBERS or mode == "polling", answered

        sandbox.faults.clear()
        process = start(env)
        await wait_until_alive(port, process)
        for user in users:
            await user.wait_until(lambda u: len(u.messages) >= 2, timeout=60)
        await asyncio.sleep(1.0)
        assert [len(user.messages) for user in users] == [2] * MEMBERS, "every /start answered once, none lost"
        async with engine.connect() as connection:
            assert await connection.scalar(select(func.count()).select_from(ProcessedUpdate)) == MEMBERS
            assert await connection.scalar(select(func.count()).select_from(InboxUpdate)) == 0
        process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(process.wait, SHUTDOWN_SECONDS + 15) == 0
    finally:
        if process.poll() is None:
            process.kill()
        await server.stop()
        await engine.dispose()


async def test_work_that_cannot_finish_is_cut_off_at_the_bound(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/stuck.db"
    engine = create_engine(url)
    await upgrade_to_head(engine)
    sandbox = Sandbox(token="424242:CANARY-TOKEN-q8Zt2Lw9xVb4Nc7Rk3Hs")
    server = await start_sandbox(sandbox, "127.0.0.1", 0)
    port = free_port()
    env = environment("webhook", url, server.bot_base_url, port) | {"CAIRN_SHUTDOWN_SECONDS": "2"}
    process = start(env)
    try:
        await wait_until_alive(port, process)
        # a reply that hangs and never lands: the effects are committed, the member has no answer yet
        sandbox.faults.add(kind="timeout", count=10_000, methods={"sendMessage"}, delay=60.0)
        user = sandbox.user(7100)
        await user.send("/start")
        async with engine.connect() as connection:
            for _ in range(100):
                leased = await connection.scalar(
                    select(func.count()).select_from(InboxUpdate).where(InboxUpdate.leased_until.is_not(None))
                )
                if leased:
                    break
                await asyncio.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(process.wait, 2 + 15) == 1, "cut short: exit status 1"
        async with engine.connect() as connection:  # the update's lease was handed back for the next start
            assert (
                await connection.scalar(
                    select(func.count()).select_from(InboxUpdate).where(InboxUpdate.leased_until.is_(None))
                )
                == 1
            )
            assert await connection.scalar(select(func.count()).select_from(ProcessedUpdate)) == 1, "committed"
        assert user.messages == []

        sandbox.faults.clear()  # after a restart the replies cut off at shutdown still reach the member, once
        process = start(env)
        await wait_until_alive(port, process)
        await user.wait_until(lambda u: len(u.messages) >= 2, timeout=30)
        await asyncio.sleep(1.0)
        assert len(user.messages) == 2, [message.text for message in user.messages]
        async with engine.connect() as connection:
            assert await connection.scalar(select(func.count()).select_from(InboxUpdate)) == 0
        process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(process.wait, 2 + 15) == 0
    finally:
        if process.poll() is None:
            process.kill()
        await server.stop()
        await engine.dispose()
