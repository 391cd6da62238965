"""PostgreSQL restarted under the running bot: it reconnects by itself and nothing acknowledged is lost.

A throwaway PostgreSQL (initdb on a free port) stands in for the shared one, which other tests use. The real
bot process polls the sandbox while members check in; the server is restarted twice mid-run: once with
`pg_ctl restart -m fast`, once stopped for two seconds and started again. Members who were told "something
went wrong on my side" try again, as the message asks them to.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.sandbox import Sandbox, start_sandbox
from tests.e2e.harness import CANARY_TOKEN
from tests.faults.process import BotProcess, bot_environment
from tests.faults.scenario import (
    Community,
    audit,
    calibrate,
    join_volunteers,
    onboard_members,
    prepare_database,
    wait_until_sent,
)
from tests.faults.throwaway_postgres import throwaway_postgres

MEMBERS = 30
OUTAGE_SECONDS = 2.0


@pytest.mark.timeout(300)
async def test_postgres_restarted_mid_run_the_bot_reconnects_and_loses_nothing(tmp_path: Path) -> None:
    async with throwaway_postgres() as postgres:
        url = await postgres.create_database()
        key = Fernet.generate_key().decode()
        invites = await prepare_database(url, key, volunteers=2)
        sandbox = Sandbox(token=CANARY_TOKEN)
        server = await start_sandbox(sandbox, "127.0.0.1", 0)
        bot = BotProcess(sandbox, bot_environment(server, url, key), tmp_path)
        community = Community(url, key, sandbox)
        runs: list[asyncio.Task[None]] = []
        try:
            bot.start()
            await bot.wait_polling()
            await join_volunteers(community, invites)
            community.expected = await calibrate(community)
            await onboard_members(community, MEMBERS, crisis_every=5, seed=3)

            busy = True
            runs += [asyncio.create_task(member.run(lambda: busy, timeout=200)) for member in community.members]
            await asyncio.sleep(3.0)
            before_restarts = sum(len(m.steps) for m in community.members)
            await postgres.restart()
            await asyncio.sleep(3.0)
            await postgres.stop("fast")
            await asyncio.sleep(OUTAGE_SECONDS)
            await postgres.start()
            restarted_at = time.monotonic()
            await asyncio.sleep(5.0)
            busy = False
            await asyncio.gather(*runs)
            await wait_until_sent(community)
            assert bot.process is not None and bot.process.poll() is None, "the bot kept running throughout"
            bot.stop()

            figures = await audit(community, prompts_due=False)
            steps = [s for m in community.members for s in m.steps]
            apologised = sum(s.apologised for s in steps)
            after = sum(s.acked and s.sent_at > restarted_at for s in steps)
            failed = len(bot.log_lines_matching("update_failed"))
            print(
                f"\npostgres restart: 2 restarts (fast; stopped {OUTAGE_SECONDS:.0f}s), {MEMBERS} members; "
                f"{figures.line()}; answered 'something went wrong' {apologised} times (update_failed logged "
                f"{failed}), steps before the restarts {before_restarts}, acknowledged after them {after}"
            )
            assert figures.lost_answers == [], figures.lost_answers[:10]
            assert figures.lost_alerts == [], figures.lost_alerts[:10]
            assert figures.duplicated_replies == 0, "\n".join(figures.examples[:3])
            assert figures.duplicated_alerts == 0
            assert all(s.acked or s.apologised for s in steps), "every step got its reply or an apology"
            assert apologised > 0, "the outage really hit members' updates"
            assert after >= MEMBERS, "after the restarts the bot handles updates again, with no help"
        finally:
            for run in runs:
                run.cancel()
            bot.stop()
            await server.stop()
