"""Fan-out: N check-in prompts due in the same minute, sent to the sandbox enforcing Telegram's limits.

Figure: achieved rate divided by Telegram's overall limit (30 a second), and how many 429s we caused.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
from cryptography.fernet import Fernet
from sqlalchemy import insert

from bot.jobs.prompts import PromptJob
from bot.runtime import build_bot
from bot.settings import Settings
from flows.texts import load_catalogue
from models.crypto import DataCipher
from models.database import create_engine, session_factory
from models.migrate import upgrade_to_head
from models.tables import CheckInPlan, Member, Organisation
from models.unit_of_work import UnitOfWorkFactory

TOKEN = "999999:BENCH-TOKEN-not-a-secret-aaaaaaaaaaaa"  # noqa: S105
TELEGRAM_LIMIT = 30.0


@dataclass(frozen=True)
class FanoutResult:
    """One run's figures."""

    recipients: int
    seconds: float
    rate: float
    ratio: float
    limited_429: int
    injected_429: int
    delivered: int


async def seed(url: str, members: int, due: datetime) -> None:
    """Insert members whose prompts are all due at `due`."""
    engine = create_engine(url)
    await upgrade_to_head(engine)
    async with engine.begin() as connection:
        await connection.execute(insert(Organisation).values(id=1, slug="bench", name="Bench", created_at=due))
        rows = [
            {
                "id": i + 1,
                "telegram_user_id": 1_000_000 + i,
                "chat_id": 1_000_000 + i,
                "organisation_id": 1,
                "status": "active",
                "language": "en",
                "created_at": due,
            }
            for i in range(members)
        ]
        for start in range(0, members, 5000):
            await connection.execute(insert(Member), rows[start : start + 5000])
        plans = [
            {
                "member_id": i + 1,
                "frequency": "daily",
                "weekdays": "0,1,2,3,4,5,6",
                "time_of_day": "10:00",
                "timezone": "Europe/London",
                "instrument_id": None,
                "instrument_every": 7,
                "checkins_since_instrument": 0,
                "next_due_at": due,
                "updated_at": due,
            }
            for i in range(members)
        ]
        for start in range(0, members, 5000):
            await connection.execute(insert(CheckInPlan), plans[start : start + 5000])
    await engine.dispose()


async def _sandbox_process(port: int) -> subprocess.Popen[bytes]:
    """Start the sandbox in its own process, as Telegram is its own server, with the limits on."""
    process = subprocess.Popen(  # noqa: S603, ASYNC220 - our own interpreter and module, started once
        [
            sys.executable,
            "-m",
            "bot.sandbox",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--token",
            TOKEN,
            "--enforce-limits",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    async with aiohttp.ClientSession() as client:
        for _ in range(100):
            try:
                async with client.get(f"http://127.0.0.1:{port}/sandbox/api/stats") as response:
                    if response.status == 200:
                        return process
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
    raise RuntimeError("the sandbox did not start")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def run_prompt_fanout(members: int, rate: float = 30.0) -> FanoutResult:
    """Send `members` due prompts through the real job and Bot to the sandbox (own process, limits on)."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        due = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
        await seed(url, members, due)
        port = _free_port()
        sandbox = await _sandbox_process(port)
        base = f"http://127.0.0.1:{port}"
        engine = create_engine(url)
        units = UnitOfWorkFactory(session_factory(engine), DataCipher((Fernet.generate_key().decode(),)))
        settings = Settings(telegram_bot_token=TOKEN, telegram_api_base_url=f"{base}/bot", send_rate_per_second=rate)
        bot = build_bot(settings)
        try:
            async with aiohttp.ClientSession() as client:
                await client.post(f"{base}/sandbox/api/chats/known", json={"first": 1_000_000, "count": members})
                await bot.initialize()
                began = time.monotonic()
                clock = lambda: due + timedelta(seconds=time.monotonic() - began)  # noqa: E731
                job = PromptJob(units, load_catalogue(), clock)
                tick = await job.tick(bot)
                while tick.retried:
                    await asyncio.sleep(1)
                    tick = await job.tick(bot)
                async with client.get(f"{base}/sandbox/api/stats") as response:
                    stats = await response.json()
        finally:
            await bot.shutdown()
            sandbox.terminate()
            sandbox.wait(timeout=10)
            await engine.dispose()
        stamps = stats["send_timestamps"]
        seconds = max(stamps) - min(stamps)
        delivered = stats["accepted"].get("sendMessage", 0)
        achieved = (delivered - 1) / seconds if seconds else 0.0
        return FanoutResult(
            members,
            seconds,
            achieved,
            achieved / TELEGRAM_LIMIT,
            stats["too_many_requests"]["limit_exceeded"],
            stats["too_many_requests"]["injected"],
            delivered,
        )
