"""SIGKILL at 50 random moments while 100 members check in: nothing acknowledged is lost, nothing is doubled.

The real bot process (`python -m bot run`) polls an in-process sandbox. It is killed with SIGKILL at seeded
random moments (some during start-up, most while it is handling a burst of updates) and started again each
time. Members check in throughout; some write crisis words; scheduled prompts fall due during the kills.
"""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.runtime import utc_now
from bot.sandbox import Sandbox, start_sandbox
from tests.conftest import BACKENDS, database_url_for, drop_postgres_database
from tests.e2e.harness import CANARY_TOKEN
from tests.faults.checkins import Step, mark_lost
from tests.faults.process import BotProcess, bot_environment
from tests.faults.scenario import (
    Community,
    audit,
    calibrate,
    expire_dead_leases,
    join_volunteers,
    onboard_members,
    prepare_database,
    schedule_prompts,
    wait_until_sent,
)

SEED = 20261128
KILLS = 50
MEMBERS = 100
DURING_START_UP = 10  # kills before the new process has polled even once
RUNNING_AFTER_POLL = (0.02, 0.8)  # seconds a process handles updates before it is killed


@pytest.mark.timeout(420)
@pytest.mark.parametrize("backend", BACKENDS)
async def test_sigkill_at_fifty_random_moments_loses_nothing_acknowledged(backend: str, tmp_path: Path) -> None:
    url = await database_url_for(backend, tmp_path)
    key = Fernet.generate_key().decode()
    invites = await prepare_database(url, key, volunteers=2)
    sandbox = Sandbox(token=CANARY_TOKEN)
    server = await start_sandbox(sandbox, "127.0.0.1", 0)
    bot = BotProcess(sandbox, bot_environment(server, url, key), tmp_path)
    community = Community(url, key, sandbox)
    began = time.monotonic()
    runs: list[asyncio.Task[None]] = []
    try:
        bot.start()
        await bot.wait_polling()
        await join_volunteers(community, invites)
        community.expected = await calibrate(community)
        await onboard_members(community, MEMBERS, crisis_every=10, seed=SEED)
        rng = random.Random(SEED)
        await schedule_prompts(community, within=60.0, seed=SEED)

        killing = True
        runs += [asyncio.create_task(member.run(lambda: killing, timeout=300)) for member in community.members]
        lost: list[Step] = []
        start_up_kills = set(rng.sample(range(KILLS), DURING_START_UP))
        busy_kills = 0
        for number in range(KILLS):
            if number:
                bot.start()
            if number in start_up_kills:
                await asyncio.sleep(rng.uniform(0.0, 1.5))
            else:
                await bot.wait_polling()
                await asyncio.sleep(rng.uniform(*RUNNING_AFTER_POLL))
            busy_kills += any(m.waiting is not None for m in community.members)
            bot.kill()
            await asyncio.sleep(0.2)  # what the dead process had already sent reaches the sandbox's handlers
            lost += mark_lost(community.members, sandbox)
        killing = False
        killed_at = time.monotonic()

        alive_since = utc_now()
        bot.start()
        await bot.wait_polling()
        polling_since = time.monotonic()
        while not all(run.done() for run in runs):
            lost += mark_lost(community.members, sandbox, grace=15.0, polling_since=polling_since)
            await asyncio.wait(runs, timeout=0.5)
        for run in runs:
            run.result()
        await expire_dead_leases(community, alive_since)
        await wait_until_sent(community)
        await asyncio.sleep(1.0)  # the last marks after Telegram answered
        bot.stop()

        figures = await audit(community, lost, prompts_due=True)
        print(
            f"\nsigkill[{backend}]: {bot.kills} kills ({DURING_START_UP} during start-up, {busy_kills} with members "
            f"waiting for an answer), {MEMBERS} members, kill phase {killed_at - began:.0f}s, "
            f"total {time.monotonic() - began:.0f}s; {figures.line()}"
        )
        assert bot.kills == KILLS
        assert busy_kills >= KILLS // 2, "most kills must land while the bot is handling members' updates"
        assert figures.completed >= MEMBERS
        assert figures.lost_answers == [], "\n".join(figures.lost_answers[:10] + figures.examples[:3])
        assert figures.lost_alerts == [], figures.lost_alerts[:10]
        assert figures.duplicated_replies == 0, "\n".join(figures.examples[:3])
        assert figures.duplicated_prompts == 0
        assert figures.prompts_lost == 0
    finally:
        for run in runs:
            run.cancel()
        bot.stop()
        await server.stop()
        if backend == "postgresql":
            await drop_postgres_database(url)
