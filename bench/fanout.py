"""Fan-out: N check-in prompts due in the same minute, sent to the sandbox enforcing Telegram's limits.

Figure: achieved rate divided by Telegram's overall limit (30 a second), and how many 429s we caused.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.fernet import Fernet
from sqlalchemy import insert

from bot.jobs.prompts import PromptJob
from bot.runtime import build_bot
from bot.sandbox import Sandbox, start_sandbox
from bot.settings import Settings
from bot.telegram.limiter import SendLimiter
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


async def run_prompt_fanout(members: int, rate: float = 29.0) -> FanoutResult:
    """Send `members` due prompts through the real job, the real Bot and the sandbox with limits on."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        due = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
        await seed(url, members, due)
        sandbox = Sandbox(token=TOKEN, enforce_limits=True)
        for i in range(members):
            sandbox.user(1_000_000 + i).chat.known = True
        server = await start_sandbox(sandbox, "127.0.0.1", 0)
        engine = create_engine(url)
        units = UnitOfWorkFactory(session_factory(engine), DataCipher((Fernet.generate_key().decode(),)))
        settings = Settings(
            telegram_bot_token=TOKEN, telegram_api_base_url=server.bot_base_url, send_rate_per_second=rate
        )
        bot = build_bot(settings)
        await bot.initialize()
        began = time.monotonic()
        job = PromptJob(
            units,
            load_catalogue(),
            SendLimiter(rate),
            lambda: due + timedelta(seconds=time.monotonic() - began),
            batch=1000,
        )
        try:
            started = time.perf_counter()
            tick = await job.tick(bot)
            while tick.retried:
                await asyncio.sleep(1)
                tick = await job.tick(bot)
            stamps = sandbox.stats.send_timestamps
            seconds = (max(stamps) - min(stamps)) if len(stamps) > 1 else time.perf_counter() - started
        finally:
            await bot.shutdown()
            await server.stop()
            await engine.dispose()
        delivered = sandbox.stats.accepted.get("sendMessage", 0)
        achieved = (delivered - 1) / seconds if seconds else 0.0
        return FanoutResult(
            members,
            seconds,
            achieved,
            achieved / TELEGRAM_LIMIT,
            sandbox.stats.too_many_requests_limited,
            sandbox.stats.too_many_requests_injected,
            delivered,
        )


__all__ = ["FanoutResult", "run_prompt_fanout"]
