"""Telegram misbehaving in a storm (429 with retry_after, 5xx, timeouts, dropped connections, getUpdates too).

Members check in throughout, some write crisis words, and scheduled prompts fall due. After the storm every
reply, alert and prompt arrives, none twice; and no request reaches a chat before the retry_after of a 429
answered in that chat has passed (checked against the sandbox's own record of every request).
tests/e2e/test_alert_storms.py keeps the two-minute storm over alerts alone.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.sandbox import RequestRecord
from bot.telegram.rate_limit import COUNTED_METHODS
from tests.conftest import BACKENDS, LOG_CAPTURE, database_url_for, drop_postgres_database
from tests.e2e.harness import start_bot
from tests.faults.scenario import (
    Community,
    audit,
    calibrate,
    join_volunteers,
    onboard_members,
    prepare_database,
    schedule_prompts,
    wait_until_sent,
)

STORM_SECONDS = 15.0
MEMBERS = 30
STORM_METHODS = {"sendMessage", "editMessageText", "editMessageReplyMarkup", "answerCallbackQuery", "getUpdates"}
RETRY_AFTER = 2
TIMEOUT_HOLD = 5.5  # longer than the bot's read timeout (5 s): the bot gives up on the call, which never happened

# PTB 22 warns about RetryAfter.retry_after becoming a timedelta whenever it builds the error.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


def sends_inside_retry_after(records: list[RequestRecord], margin: float = 0.05) -> tuple[int, int]:
    """Count sends that reached a chat before the retry_after of a 429 answered in that chat had passed.

    Second figure: sends to *other* chats that arrived well after (`margin`) such a 429, inside its retry_after,
    i.e. started after the bot knew of it (our limiter pauses every sender on a 429).
    """
    windows = [(r.chat_id, r.at, r.at + r.retry_after) for r in records if r.status == 429 and r.retry_after]
    windows = [window for window in windows if window[0] is not None]
    same_chat = other_chats = 0
    for record in records:
        if record.method not in COUNTED_METHODS or record.chat_id is None:
            continue
        inside = [chat for chat, opened, closes in windows if opened < record.at < closes - 0.001]
        late = [chat for chat, opened, closes in windows if opened + margin < record.at < closes - 0.001]
        same_chat += record.chat_id in inside
        other_chats += any(chat != record.chat_id for chat in late)
    return same_chat, other_chats


@pytest.mark.timeout(300)
@pytest.mark.parametrize("backend", BACKENDS)
async def test_after_a_storm_everything_arrives_once_and_no_chat_is_written_inside_retry_after(
    backend: str, tmp_path: Path
) -> None:
    url = await database_url_for(backend, tmp_path)
    key = Fernet.generate_key().decode()
    invites = await prepare_database(url, key, volunteers=2)
    bot = await start_bot(url, (key,))
    community = Community(url, key, bot.sandbox)
    runs: list[asyncio.Task[None]] = []
    try:
        await join_volunteers(community, invites)
        community.expected = await calibrate(community)
        await onboard_members(community, MEMBERS, crisis_every=5, seed=11)
        await schedule_prompts(community, within=STORM_SECONDS - 3, seed=11)
        deferred_before = sum("replies_deferred_to_outbox" in line for line in LOG_CAPTURE.lines)
        bot.sandbox.stats.reset()

        bot.sandbox.faults.storm(
            kinds=["429", "500", "502", "503", "timeout", "drop"],
            probability=0.5,
            seconds=STORM_SECONDS,
            methods=STORM_METHODS,
            retry_after=RETRY_AFTER,
            delay=TIMEOUT_HOLD,
            seed=29,
        )
        storm_ends = time.monotonic() + STORM_SECONDS
        runs += [
            asyncio.create_task(member.run(lambda: time.monotonic() < storm_ends, timeout=150))
            for member in community.members
        ]
        await asyncio.gather(*runs)
        calm_at = time.monotonic()
        await wait_until_sent(community, timeout=90)
        await asyncio.sleep(0.5)

        figures = await audit(community, prompts_due=True)
        stats = bot.sandbox.stats
        same_chat, other_chats = sends_inside_retry_after(stats.requests)
        answered = Counter(record.status for record in stats.requests)
        deferred = sum("replies_deferred_to_outbox" in line for line in LOG_CAPTURE.lines) - deferred_before
        print(
            f"\nstorm[{backend}]: {STORM_SECONDS:.0f}s, faults injected {dict(stats.faults_injected)}, "
            f"answers by status {dict(sorted(answered.items()))}; all delivered "
            f"{time.monotonic() - calm_at:.1f}s after the members' last step; {figures.line()}; "
            f"replies deferred to the outbox {deferred}; requests inside a 429's retry_after: same chat "
            f"{same_chat}, other chats (sent after the 429 was answered) {other_chats}"
        )
        assert stats.faults_injected["429"] and stats.faults_injected["timeout"] and stats.faults_injected["drop"]
        assert figures.lost_answers == [], figures.lost_answers[:10]
        assert figures.lost_alerts == [], figures.lost_alerts[:10]
        assert figures.prompts_lost == 0
        assert figures.duplicated_replies == 0, "\n".join(figures.examples[:3])
        assert figures.duplicated_prompts == 0 and figures.duplicated_alerts == 0
        assert all(s.acked for m in community.members for s in m.steps), "every step was answered"
        assert same_chat == 0, "a chat was written to before the retry_after it was given had passed"
    finally:
        for run in runs:
            run.cancel()
        await bot.stop()
        await bot.server.stop()
        if backend == "postgresql":
            await drop_postgres_database(url)
