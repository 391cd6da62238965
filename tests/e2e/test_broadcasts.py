"""Broadcasts through the real bot and the sandbox: each member in the audience gets exactly one copy."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, update

from bench.broadcast import Cohort, seed_members
from bot.runtime import utc_now
from bot.sandbox import Sandbox, start_sandbox
from flows.broadcast_model import AudienceFilter
from models.broadcast_tables import Broadcast, BroadcastDelivery
from tests.conftest import BACKENDS, drop_postgres_database, migrated_database_url
from tests.e2e.harness import CANARY_TOKEN, Member, RunningBot, e2e_settings

SANDBOX_RATE = 300  # Telegram's 30 a second, scaled by ten so that 3,000 sends take seconds, not minutes
BOT_RATE = 250.0
NEWS = "Spring walk on Saturday, meet at the Links at ten"


@pytest.fixture(params=BACKENDS)
async def limited_bot(request: pytest.FixtureRequest, tmp_path: object) -> AsyncIterator[RunningBot]:
    """A real Cairn against a sandbox that answers 429 above its limits (scaled: 300 a second, 1 a second a chat)."""
    url = await migrated_database_url(request.param, tmp_path)
    sandbox = Sandbox(token=CANARY_TOKEN, enforce_limits=True, global_per_second=SANDBOX_RATE)
    server = await start_sandbox(sandbox, "127.0.0.1", 0)
    settings = replace(
        e2e_settings(url, (Fernet.generate_key().decode(),), server.bot_base_url),
        send_rate_per_second=BOT_RATE,
        send_chat_interval_seconds=1.0,
    )
    running = RunningBot(sandbox, server, settings)
    running.backend = request.param  # type: ignore[attr-defined]
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
        await server.stop()
        if request.param == "postgresql":
            await drop_postgres_database(url)


async def all_broadcasts_done(bot: RunningBot, count: int, timeout: float) -> None:
    """Wait until `count` broadcasts exist and every one of them is done."""
    assert bot.cairn is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async with bot.cairn.units() as uow:
            statuses = list(await uow.session.scalars(select(Broadcast.status)))
        if len(statuses) == count and all(status == "done" for status in statuses):
            return
        await asyncio.sleep(0.25)
    raise AssertionError(f"broadcasts not done in {timeout}s: {statuses}")


def copies(bot: RunningBot, user_id: int, text: str = NEWS) -> int:
    """How many messages with the news the sandbox delivered to one chat."""
    chat = bot.sandbox.state.chats.get(user_id)
    return 0 if chat is None else sum(1 for entry in chat.bot_entries() if text in (entry.text or ""))


async def progress_when_done(coordinator: Member) -> str:
    """The coordinator's progress message (edited as it goes), once it says Done."""

    def progress(user: object) -> str:
        shown = [m.text or "" for m in coordinator.user.messages if (m.text or "").startswith("📣")]
        return shown[-1] if shown else ""

    await coordinator.user.wait_until(lambda user: "Done." in progress(user), timeout=30)
    return progress(coordinator.user)


async def compose(coordinator: Member, text: str, area: str | None = None) -> tuple[str, str]:
    """Write a broadcast, pick an area, preview it; return the audience line and the preview's count line."""
    coordinator.user.mark_read()  # progress messages of earlier broadcasts
    await coordinator.say("/broadcast")
    (audience,) = await coordinator.say(text)
    if area is not None:
        await coordinator.tap("Choose an area")
        (audience,) = await coordinator.tap(area)
    _intro, _shown, summary = await coordinator.tap("Preview", expect=3)
    return audience.text or "", summary.text or ""


@pytest.mark.timeout(300)
async def test_a_broadcast_to_3000_members_under_limits_and_429s_reaches_each_once_and_nobody_else(
    limited_bot: RunningBot,
) -> None:
    bot = limited_bot
    cohorts = [
        Cohort("audience", 3000),
        Cohort("other_area", 200, area="EH7"),
        Cohort("declined", 100, news=("declined",)),
        Cohort("withdrew", 100, news=("given", "withdrawn")),
        Cohort("other_organisation", 100, organisation="riverside"),
        Cohort("never_asked", 50, news=()),
    ]
    ranges = await seed_members(bot.settings.database_url, cohorts, 300_000, utc_now() - timedelta(days=1))
    for users in ranges.values():
        for user_id in users:
            bot.sandbox.user(user_id).chat.known = True
    coordinator = await bot.staff(4001, "Sam", role="coordinator", on_duty=False)

    audience, summary = await compose(coordinator, NEWS, area="EH6")
    assert "3,000 people" in audience and summary == "This will go to 3,000 people."
    bot.sandbox.faults.storm(["429"], probability=0.01, seconds=20, methods={"sendMessage"}, retry_after=1, seed=5)
    began = time.monotonic()
    answers = await coordinator.tap("Send", expect=2)  # the answer and the progress message, in either order
    assert any("on its way to 3,000 people" in (answer.text or "") for answer in answers)
    await all_broadcasts_done(bot, 1, timeout=240)
    seconds = time.monotonic() - began
    bot.sandbox.faults.clear()

    received = {name: [copies(bot, user) for user in users] for name, users in ranges.items()}
    assert set(received["audience"]) == {1}, "every member in the audience gets exactly one copy"
    for name in ("other_area", "declined", "withdrew", "other_organisation", "never_asked"):
        assert set(received[name]) == {0}, f"{name} got news they should not have"
    assert "Sent at least 3,000 · failed 0 · left 0\nDone." in await progress_when_done(coordinator)
    stats = bot.sandbox.stats
    assert stats.too_many_requests_injected > 0, "the sandbox injected 429s on the way"
    assert stats.too_many_requests_limited == 0, "our own sending never went over the limits"
    print(
        f"broadcast 3,000 ({getattr(bot, 'backend', '')}): {seconds:.1f} s, "
        f"429 injected {stats.too_many_requests_injected}, over the limits {stats.too_many_requests_limited}"
    )


@pytest.mark.timeout(120)
async def test_a_clean_restart_mid_broadcast_hands_back_its_lease_and_sends_the_rest_once(
    limited_bot: RunningBot,
) -> None:
    bot = limited_bot
    assert bot.cairn is not None
    cohorts = [Cohort("coordinator", 1, news=()), Cohort("audience", 800)]
    ranges = await seed_members(bot.settings.database_url, cohorts, 600_000, utc_now() - timedelta(days=1))
    for users in ranges.values():
        for user_id in users:
            bot.sandbox.user(user_id).chat.known = True
    async with bot.cairn.units() as uow:
        author = await uow.members.by_telegram_user(ranges["coordinator"][0])
        assert author is not None
        members = await uow.broadcasts.audience_members(author.organisation_id, AudienceFilter())
        await uow.broadcasts.create(author.organisation_id, author.id, NEWS, None, AudienceFilter(), members, utc_now())
        await uow.commit()
    deadline = time.monotonic() + 30
    while sum(copies(bot, user) for user in ranges["audience"]) < 150 and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    units = bot.cairn.units
    await bot.stop()
    at_stop = sum(copies(bot, user) for user in ranges["audience"])
    async with units() as uow:
        stopped = set(await uow.session.scalars(select(BroadcastDelivery.status)))
    assert at_stop < 800 and stopped == {"sent", "pending"}, "stopped mid-way, the unsent lease handed back"
    await bot.start()
    await all_broadcasts_done(bot, 1, timeout=60)
    assert {copies(bot, user) for user in ranges["audience"]} == {1}
    async with bot.cairn.units() as uow:
        statuses = set(await uow.session.scalars(select(BroadcastDelivery.status)))
    assert statuses == {"sent"}, "a clean stop leaves nothing in doubt"


async def test_stop_these_messages_and_a_blocked_member_are_respected_by_later_broadcasts(bot: RunningBot) -> None:
    assert bot.cairn is not None
    ash, bo, cy = bot.member(8601), bot.member(8602), bot.member(8603)
    await asyncio.gather(*(person.onboard(store=False, share=None, news=True) for person in (ash, bo, cy)))
    coordinator = await bot.staff(8600, "Sam", role="coordinator", on_duty=False)
    bo.user.block()

    audience, summary = await compose(coordinator, NEWS)
    assert "fewer than 10 people" in audience and summary == "This will go to fewer than 10 people."
    await coordinator.tap("Send")
    await all_broadcasts_done(bot, 1, timeout=30)
    assert (copies(bot, 8601), copies(bot, 8602), copies(bot, 8603)) == (1, 0, 1)
    assert "Sent fewer than 10 · failed fewer than 10 · left 0\nDone." in await progress_when_done(coordinator)
    async with bot.cairn.units() as uow:
        ash_row, bo_row = await uow.members.by_telegram_user(8601), await uow.members.by_telegram_user(8602)
        assert ash_row is not None and bo_row is not None
        assert await uow.broadcast_deliveries.is_unreachable(bo_row.id)
        # another broadcast owes Ash a copy later: stopping news must skip it too
        later = await uow.broadcasts.create(
            ash_row.organisation_id, None, "Later news", None, AudienceFilter(), [ash_row.id], utc_now()
        )
        await uow.session.execute(
            update(BroadcastDelivery)
            .where(BroadcastDelivery.broadcast_id == later)
            .values(next_attempt_at=utc_now() + timedelta(days=1))
        )
        await uow.commit()

    ash.user.mark_read()
    (answer,) = await ash.tap("Stop these messages")
    assert answer.text == "You won't get news any more. You can turn it back on with /privacy."
    async with bot.cairn.units() as uow:
        history = await uow.consents.history(ash_row.id)
        assert (history[-1].scope, history[-1].action) == ("news", "withdrawn")
        pending = await uow.session.scalar(
            select(BroadcastDelivery.status).where(BroadcastDelivery.broadcast_id == later)
        )
        assert pending == "skipped"

    audience, summary = await compose(coordinator, "Second news")
    assert summary == "This will go to fewer than 10 people."
    await coordinator.tap("Send")
    await all_broadcasts_done(bot, 3, timeout=30)
    assert (copies(bot, 8601, "Second news"), copies(bot, 8603, "Second news")) == (0, 1)
    assert copies(bot, 8602, "Second news") == 0

    bo.user.unblock()
    await bo.say("/start")  # writing to the bot again makes Bo reachable again
    async with bot.cairn.units() as uow:
        assert not await uow.broadcast_deliveries.is_unreachable(bo_row.id)
