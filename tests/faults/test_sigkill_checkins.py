"""SIGKILL at 50 random moments while 100 members check in: no update is lost, nothing is doubled.

The real bot process (`python -m bot run`, polling) talks to an in-process sandbox. It is killed with SIGKILL at
seeded random moments (some during start-up, most while it is handling a burst of updates) and started again
each time. Members check in throughout; some write crisis words; scheduled prompts fall due during the kills.

Members send each step once and wait for its reply for as long as the bot holds their update (Telegram has not
been told it arrived, or it is stored in the inbox), however many restarts that takes. At the end every step is
accounted for: answered, still with Telegram, stored in the inbox, handled with its reply lost after the commit
(an ordinary reply; a reply that signposts help is kept with its update until sent), or lost. Lost means the bot
took the update from Telegram and kept it nowhere: that must never happen (hazard H13).
"""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from bot.runtime import utc_now
from bot.sandbox import Sandbox, start_sandbox
from models.inbox_tables import InboxUpdate
from tests.conftest import BACKENDS, database_url_for, drop_postgres_database
from tests.e2e.harness import CANARY_TOKEN
from tests.faults.checkins import Step
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
# A prompt is marked "sending" just before its request and never sent again after a crash (hazard H14), so a kill
# that lands between that mark's commit and the request going out costs its member that prompt. The window is only
# that gap (no I/O of ours in between), so a handful across 50 kills: at most one kill's worth, the prompt job's 8
# senders (bot/jobs/prompts.py). On SQLite their marks now commit back to back (writes wait their turn in the
# process instead of sleeping in SQLite's busy handler), so a kill in the window can catch all 8 at once: 0 in
# three runs on their own on a slow 2-core machine, 8 in one full-suite run there (it was 3 before).
MAX_PROMPTS_IN_DOUBT_NEVER_SENT = 8
DURING_START_UP = 10  # kills before the new process has polled even once
RUNNING_AFTER_POLL = (0.02, 0.8)  # seconds a process handles updates before it is killed


class Holding:
    """What the bot still holds, looked at a few times a second: updates Telegram keeps, and the inbox."""

    def __init__(self, community: Community) -> None:
        self.community = community
        self.ids: set[int] = set()
        self.at = 0.0

    async def watch(self) -> None:
        engine, units = self.community.units()
        try:
            while True:
                at = time.monotonic()
                pending = {update["update_id"] for update in self.community.sandbox.pending_updates()}  # first:
                async with units() as uow:  # an update is stored before Telegram is told, so none slips between
                    stored = set(await uow.session.scalars(select(InboxUpdate.update_id)))
                self.ids, self.at = pending | stored, at
                await asyncio.sleep(0.3)
        finally:
            await engine.dispose()

    def released(self, step: Step) -> bool:
        """The bot holds the step's update no more (it was handled, or lost)."""
        return self.at > step.sent_at and step.update_id not in self.ids


async def wait_until_handled(community: Community, timeout: float = 60.0) -> None:
    """Wait until Telegram holds nothing unconfirmed and the inbox is empty."""
    engine, units = community.units()
    deadline = time.monotonic() + timeout
    try:
        while True:
            async with units() as uow:
                stored = await uow.session.scalar(select(func.count()).select_from(InboxUpdate))
            pending = len(community.sandbox.pending_updates())
            if not stored and not pending:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"still unhandled after {timeout}s: inbox {stored}, with Telegram {pending}")
            await asyncio.sleep(0.3)
    finally:
        await engine.dispose()


@pytest.mark.timeout(540)
@pytest.mark.parametrize("backend", BACKENDS)
async def test_sigkill_at_fifty_random_moments_loses_no_update(backend: str, tmp_path: Path) -> None:
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
        holding = Holding(community)
        watching = asyncio.create_task(holding.watch())
        runs.append(watching)  # (cancelled with the members' runs if the test fails)
        for member in community.members:
            member.released = holding.released
        members = [asyncio.create_task(member.run(lambda: killing, timeout=420)) for member in community.members]
        runs += members
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
        killing = False
        killed_at = time.monotonic()

        alive_since = utc_now()
        bot.start()
        await bot.wait_polling()
        for run in asyncio.as_completed(members):
            await run  # each member finishes the check-in under way
        watching.cancel()
        await wait_until_handled(community)
        await expire_dead_leases(community, alive_since)  # outbox and prompt rows held by the dead processes
        await wait_until_sent(community)
        await asyncio.sleep(1.0)  # the last marks after Telegram answered
        bot.stop()

        figures = await audit(community, prompts_due=True)
        print(
            f"\nsigkill[{backend}]: {bot.kills} kills ({DURING_START_UP} during start-up, {busy_kills} with members "
            f"waiting for an answer), {MEMBERS} members, kill phase {killed_at - began:.0f}s, "
            f"total {time.monotonic() - began:.0f}s; {figures.line()}"
        )
        assert bot.kills == KILLS
        assert busy_kills >= KILLS // 2, "most kills must land while the bot is handling members' updates"
        assert figures.lost_updates == [], "\n".join(figures.lost_updates[:10] + figures.examples[:3])
        assert figures.lost_crisis == 0
        assert figures.left_with_telegram == 0 and figures.left_in_inbox == 0, "the last bot handled everything"
        assert figures.crisis_replies_lost_after_commit == 0, "a crisis reply is kept with its update until sent"
        assert figures.lost_alerts == [], figures.lost_alerts[:10]
        assert figures.lost_answers == [], "\n".join(figures.lost_answers[:10] + figures.examples[:3])
        assert figures.answered_twice == 0, "\n".join(figures.examples[:3])  # re-sent copies are counted, not 0:
        # a safety reply is kept with its update until the update is finished, so a kill after it went out resends it
        # an alert sent just before a kill is sent again (hazard H2); a prompt never is (hazard H14): one left
        # "sending" by a killed process is counted in doubt and not resent
        assert figures.duplicated_prompts == 0
        assert figures.prompts_lost == 0
        assert figures.prompts_in_doubt_unsent <= MAX_PROMPTS_IN_DOUBT_NEVER_SENT
        # the members really checked in; an ordinary reply lost between commit and send leaves its member waiting
        # (counted above as replies lost after commit, hazard H13's residual risk), so not every check-in ends
        assert figures.completed >= MEMBERS // 2
        assert figures.unanswered == figures.replies_lost_after_commit, "every step was answered or accounted for"
    finally:
        for run in runs:
            run.cancel()
        bot.stop()
        await server.stop()
        if backend == "postgresql":
            await drop_postgres_database(url)
