"""The real bot in polling mode, killed with SIGKILL at the two moments that used to lose a message (hazard H13).

1. After the poller confirmed a batch to Telegram and before it was handled: the batch is in the inbox, and
   the next process handles it (Telegram does not send it again).
2. After the crisis message's effects were committed and before its reply reached the member: the reply was
   kept with the update, and the next process sends it.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import func, select

from bot.sandbox import Sandbox, start_sandbox
from models.database import create_engine
from models.inbox_tables import InboxUpdate
from models.migrate import upgrade_to_head
from models.tables import Alert, ProcessedUpdate
from tests.e2e.harness import CANARY_TOKEN, Member
from tests.faults.process import BotProcess, bot_environment
from tests.faults.scenario import onboard


async def wait_for(check: Callable[[], Awaitable[bool]], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_sigkill_after_the_batch_was_confirmed_loses_nothing_it_is_handled_after_restart(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/polling.db"
    engine = create_engine(url)
    await upgrade_to_head(engine)
    sandbox = Sandbox(token=CANARY_TOKEN)
    server = await start_sandbox(sandbox, "127.0.0.1", 0)
    key = Fernet.generate_key().decode()
    held = bot_environment(server, url, key, CAIRN_TEST_HOLD_INBOX="1")  # store and confirm, but do not handle
    bot = BotProcess(sandbox, held, tmp_path)
    try:
        bot.start()
        await bot.wait_polling()
        member = Member(sandbox.user(5601))
        update_id = await member.user.send("/start")

        async def stored() -> bool:
            async with engine.connect() as connection:
                return bool(await connection.scalar(select(func.count()).select_from(InboxUpdate)))

        await wait_for(stored)
        polls = sandbox.poll_generation

        async def asked_again() -> bool:  # the next getUpdates, whose offset confirms the stored batch
            return sandbox.poll_generation > polls

        await wait_for(asked_again)
        assert sandbox.pending_updates() == [], "confirmed: Telegram has forgotten it"
        bot.kill()
        assert member.user.messages == [], "nothing was handled before the kill"

        bot.env = {name: value for name, value in held.items() if name != "CAIRN_TEST_HOLD_INBOX"}
        bot.start()
        welcome = await member.user.wait_for_messages(2, timeout=60)
        assert "Cairn" in (welcome[0].text or "")
        async with engine.connect() as connection:
            assert await connection.scalar(select(ProcessedUpdate.update_id)) == update_id
        print("polling sigkill after confirmation: updates lost 0")
    finally:
        bot.stop()
        await server.stop()
        await engine.dispose()


async def test_sigkill_after_the_crisis_message_was_committed_the_next_process_sends_the_kept_reply(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/reply.db"
    engine = create_engine(url)
    await upgrade_to_head(engine)
    sandbox = Sandbox(token=CANARY_TOKEN)
    server = await start_sandbox(sandbox, "127.0.0.1", 0)
    bot = BotProcess(sandbox, bot_environment(server, url, Fernet.generate_key().decode()), tmp_path)
    try:
        bot.start()
        await bot.wait_polling()
        member = Member(sandbox.user(5701))
        await onboard(member, share=False)
        before = len(member.user.messages)
        # the reply never lands: Telegram holds each sendMessage, then drops it without acting on it
        sandbox.faults.add(kind="timeout", count=10_000, methods={"sendMessage"}, delay=60.0)
        update_id = await member.user.send("I want to end my life")

        async def committed_with_its_reply() -> bool:
            async with engine.connect() as connection:
                handled = await connection.scalar(
                    select(func.count()).select_from(ProcessedUpdate).where(ProcessedUpdate.update_id == update_id)
                )
                kept = await connection.scalar(
                    select(func.count())
                    .select_from(InboxUpdate)
                    .where(InboxUpdate.update_id == update_id, InboxUpdate.reply_encrypted.is_not(None))
                )
            return bool(handled and kept)

        await wait_for(committed_with_its_reply)
        bot.kill()
        assert len(member.user.messages) == before, "the reply had not reached the member"

        sandbox.faults.clear()
        bot.start()
        await member.user.wait_until(lambda u: any("116 123" in (m.text or "") for m in u.messages), timeout=60)
        await asyncio.sleep(1.0)
        replies = [m.text or "" for m in member.user.messages[before:]]
        assert sum("116 123" in text for text in replies) == 1, replies
        assert bot.log_lines_matching("kept_reply_resent messages=")
        async with engine.connect() as connection:
            assert await connection.scalar(select(func.count()).select_from(Alert)) == 0, "private: no alert"

            async def forgotten() -> bool:
                return not await connection.scalar(select(func.count()).select_from(InboxUpdate))

            await wait_for(forgotten)
        print("polling sigkill after commit: crisis replies lost 0")
    finally:
        if bot.process is not None and bot.process.poll() is None:
            bot.process.send_signal(signal.SIGTERM)
            try:
                bot.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                bot.process.kill()
        await server.stop()
        await engine.dispose()
