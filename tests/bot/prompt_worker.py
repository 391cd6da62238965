"""A bot process that only runs the check-in prompt job, on a simulated clock (for the two-process test).

Usage: python -m tests.bot.prompt_worker DATABASE_URL DATA_KEY BOT_BASE_URL SIM_START_ISO WALL_ORIGIN SPEED MINUTES
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import datetime, timedelta

from bot.jobs.prompts import PromptJob
from bot.runtime import build_bot
from flows.texts import load_catalogue
from models.crypto import DataCipher
from models.database import create_engine, session_factory
from models.unit_of_work import UnitOfWorkFactory
from tests.e2e.harness import e2e_settings


async def main(url: str, key: str, base_url: str, start: datetime, origin: float, speed: float, minutes: float) -> None:
    """Tick the prompt job until the simulated clock has run `minutes` past `start`."""
    engine = create_engine(url)
    units = UnitOfWorkFactory(session_factory(engine), DataCipher((key,)))
    bot = build_bot(e2e_settings(url, (key,), base_url))
    clock = lambda: start + timedelta(seconds=(time.time() - origin) * speed)  # noqa: E731
    job = PromptJob(units, load_catalogue(), clock, batch=200)
    sent = 0
    await bot.initialize()
    try:
        while clock() < start + timedelta(minutes=minutes):
            sent += (await job.tick(bot)).sent
            await asyncio.sleep(0.05)
        sent += (await job.tick(bot)).sent
        print(f"sent={sent}")
    finally:
        await bot.shutdown()
        await engine.dispose()


if __name__ == "__main__":
    url, key, base, start, origin, speed, minutes = sys.argv[1:8]
    asyncio.run(main(url, key, base, datetime.fromisoformat(start), float(origin), float(speed), float(minutes)))
