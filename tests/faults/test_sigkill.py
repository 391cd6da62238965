"""The real bot process killed with SIGKILL mid-flight: after a restart nothing acknowledged is lost."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import func, select

from bot.operator import create_invite, create_organisation
from bot.runtime import utc_now
from bot.sandbox import Sandbox, start_sandbox
from models.crypto import DataCipher
from models.database import create_engine, session_factory
from models.migrate import upgrade_to_head
from models.tables import Alert, OutboxMessage
from models.unit_of_work import UnitOfWorkFactory
from tests.e2e.harness import CANARY_TOKEN, Member

ROOT = Path(__file__).resolve().parents[2]


def start_process(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


async def wait_for(check, timeout: float = 20.0) -> None:
    for _ in range(int(timeout * 10)):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not met in time")


async def test_sigkill_after_the_crisis_message_loses_neither_the_alert_nor_the_reply(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/kill.db"
    key = Fernet.generate_key().decode()
    engine = create_engine(url)
    await upgrade_to_head(engine)
    units = UnitOfWorkFactory(session_factory(engine), DataCipher((key,)))
    await create_organisation(units, "hillside", "Hillside Community Hub", utc_now())
    invite = await create_invite(units, "hillside", "volunteer", utc_now())
    sandbox = Sandbox(token=CANARY_TOKEN)
    server = await start_sandbox(sandbox, "127.0.0.1", 0)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "TELEGRAM_BOT_TOKEN": CANARY_TOKEN,
        "TELEGRAM_API_BASE_URL": server.bot_base_url,
        "DATABASE_URL": url,
        "CAIRN_DATA_KEYS": key,
        "CAIRN_DEFAULT_ORGANISATION": "hillside",
        "CAIRN_LANGUAGE_MODEL": "off",
        "CAIRN_LANGUAGE_ID": "off",  # each process would load lingua's models (seconds, 400 MB)
        "CAIRN_TICK_SECONDS": "1",
    }
    process = start_process(env)
    try:
        volunteer = Member(sandbox.user(3101, first_name="Ash"))
        await volunteer.say(f"/start {invite}", timeout=30)
        await volunteer.say("/duty on")
        member = Member(sandbox.user(3102))
        await member.onboard(store=False, share="flag_only", news=False)

        sandbox.faults.add(kind="503", count=10_000, methods={"sendMessage"})
        await member.user.send("I'm going to end my life")

        async def alert_committed() -> bool:
            async with units() as uow:
                alerts = await uow.session.scalar(select(func.count()).select_from(Alert))
                replies = await uow.session.scalar(
                    select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "reply")
                )
            return bool(alerts) and bool(replies)

        await wait_for(alert_committed, timeout=40)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        assert not any("116 123" in (m.text or "") for m in member.user.messages), "nothing reached the member yet"
        assert volunteer.user.unread == []

        sandbox.faults.clear()
        process = start_process(env)
        await member.user.wait_until(lambda u: any("116 123" in (m.text or "") for m in u.messages), timeout=40)
        await volunteer.user.wait_until(lambda u: any(m.has_button("Claim") for m in u.messages), timeout=40)
        print("sigkill: alerts lost 0, crisis replies lost 0")
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        await server.stop()
        await engine.dispose()
