"""The real bot in webhook mode, killed with SIGKILL right after answering 200: the update is handled after restart."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from bot.sandbox import Sandbox, start_sandbox
from models.database import create_engine
from models.inbox_tables import InboxUpdate
from models.migrate import upgrade_to_head
from tests.bot.webhook_harness import SECRET, free_port
from tests.e2e.harness import CANARY_TOKEN, Member

ROOT = Path(__file__).resolve().parents[2]


def start_process(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


async def wait_until_alive(port: int, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    async with aiohttp.ClientSession() as client:
        for _ in range(int(timeout * 10)):
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else "exited"
            try:
                async with client.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("the bot did not come up")


async def test_sigkill_after_200_loses_nothing_the_update_is_handled_after_restart(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/webhook.db"
    key = Fernet.generate_key().decode()
    engine = create_engine(url)
    await upgrade_to_head(engine)
    sandbox = Sandbox(token=CANARY_TOKEN)
    server = await start_sandbox(sandbox, "127.0.0.1", 0)
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "TELEGRAM_BOT_TOKEN": CANARY_TOKEN,
        "TELEGRAM_API_BASE_URL": server.bot_base_url,
        "DATABASE_URL": url,
        "CAIRN_DATA_KEYS": key,
        "CAIRN_LANGUAGE_MODEL": "off",
        "CAIRN_LANGUAGE_ID": "off",  # each process would load lingua's models (seconds, 400 MB)
        "CAIRN_MODE": "webhook",
        "CAIRN_WEBHOOK_SECRET": SECRET,
        "CAIRN_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook",
        "CAIRN_WEB_PORT": str(port),
        "CAIRN_TEST_HOLD_INBOX": "1",  # store, answer 200, but do not handle: the kill lands in between
    }
    process = start_process(env)
    try:
        await wait_until_alive(port, process)
        member = Member(sandbox.user(5501))
        for _ in range(200):
            if sandbox.webhook.active:
                break
            await asyncio.sleep(0.05)
        await member.user.send("/start")
        for _ in range(200):
            if sandbox.webhook.delivered == 1:
                break
            await asyncio.sleep(0.05)
        assert sandbox.webhook.delivered == 1 and sandbox.pending_updates() == [], "answered 200: Telegram forgets it"
        async with engine.connect() as connection:
            assert await connection.scalar(select(func.count()).select_from(InboxUpdate)) == 1
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        assert member.user.messages == [], "nothing was handled before the kill"

        env.pop("CAIRN_TEST_HOLD_INBOX")
        process = start_process(env)
        welcome = await member.user.wait_for_messages(2, timeout=60)
        assert "Cairn" in welcome[0].text
        assert sandbox.webhook.delivered == 1, "handled from our inbox, not redelivered by Telegram"
        async with engine.connect() as connection:
            for _ in range(50):
                if await connection.scalar(select(func.count()).select_from(InboxUpdate)) == 0:
                    break
                await asyncio.sleep(0.1)
            assert await connection.scalar(select(func.count()).select_from(InboxUpdate)) == 0
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        print("webhook sigkill: updates lost 0")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        await server.stop()
        await engine.dispose()
