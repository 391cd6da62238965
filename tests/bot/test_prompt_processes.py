"""Two bot processes on one PostgreSQL, ten simulated minutes, 2,000 members due: one prompt each, exactly."""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.sandbox import Sandbox, start_sandbox
from models.tables import PromptDelivery
from tests.bot.test_prompt_job import TEN_AM, Clock, World
from tests.conftest import Database
from tests.e2e.harness import CANARY_TOKEN

SIMULATED_START = datetime(2026, 1, 15, 9, 59, 30, tzinfo=UTC)
SPEED = 30.0  # ten simulated minutes in twenty seconds
MINUTES = 11.0


@pytest.mark.timeout(240)
async def test_two_bot_processes_send_each_due_prompt_exactly_once(database: Database) -> None:
    if database.backend != "postgresql":
        pytest.skip("several instances run on PostgreSQL; SQLite is the single-instance default")
    sandbox = Sandbox(token=CANARY_TOKEN)
    server = await start_sandbox(sandbox, "127.0.0.1", 0)
    world = World(database, sandbox, server, Clock(SIMULATED_START), bot=None)
    try:
        members = await world.add_members(2000, TEN_AM)  # due 10:00 to 10:09, two hundred a minute
        origin = time.time()
        workers = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.bot.prompt_worker",
                database.url,
                database.keys[0],
                server.bot_base_url,
                SIMULATED_START.isoformat(),
                str(origin),
                str(SPEED),
                str(MINUTES),
                stdout=asyncio.subprocess.PIPE,
            )
            for _ in range(2)
        ]
        outputs = await asyncio.gather(*(worker.communicate() for worker in workers))
    finally:
        await server.stop()
    assert [worker.returncode for worker in workers] == [0, 0]
    shares = [int(stdout.decode().strip().rsplit("sent=", 1)[1]) for stdout, _ in outputs]
    assert sum(shares) == 2000 and all(share > 0 for share in shares), f"each process sent a share: {shares}"
    counts = [world.prompts_to(member) for member in members]
    print(
        f"two processes (shares {shares}): {counts.count(1)} members with one prompt, "
        f"{sum(c > 1 for c in counts)} duplicated, "
        f"{counts.count(0)} missing"
    )
    assert counts.count(1) == 2000, f"duplicates: {sum(c > 1 for c in counts)}, missing: {counts.count(0)}"
    async with database.units() as uow:
        sent = await uow.session.scalar(select(func.count()).where(PromptDelivery.status == "sent"))
    assert sent == 2000
