"""Alerts survive Telegram misbehaving: 5xx, 429 and dropped connections in a storm, then all arrive."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from models.tables import OutboxMessage
from tests.e2e.harness import RunningBot

STORM_SECONDS = {"sqlite": 120, "postgresql": 20}  # two minutes once; shorter on the second backend to bound CI


@pytest.mark.timeout(400)
async def test_alerts_raised_during_a_storm_all_arrive_afterwards(bot: RunningBot) -> None:
    storm_seconds = STORM_SECONDS[bot.backend]  # type: ignore[attr-defined]
    volunteers = [await bot.staff(4100 + i, f"V{i}") for i in range(2)]
    members = [bot.member(4200 + i) for i in range(4)]
    for member in members:
        await member.onboard(store=False, share="flag_only", news=False)
    bot.sandbox.faults.storm(
        kinds=["500", "502", "429", "drop"],
        probability=0.8,
        seconds=storm_seconds,
        methods={"sendMessage", "editMessageText"},
        retry_after=2,
        seed=7,
    )
    for member in members:
        await member.user.send("I want to kill myself")
    await asyncio.sleep(storm_seconds)
    for member in members:
        await member.user.wait_until(lambda u: any("116 123" in (m.text or "") for m in u.messages), timeout=30)
    for volunteer in volunteers:
        await volunteer.user.wait_until(lambda u: sum(m.has_button("Claim") for m in u.messages) == 4, timeout=60)
    stats = bot.sandbox.stats
    assert stats.faults_injected, "the storm really happened"
    print(
        f"storm: faults injected {dict(stats.faults_injected)}; alerts delivered 8 of 8; "
        f"429 from limits {stats.too_many_requests_limited}"
    )
    assert bot.cairn is not None
    for _ in range(100):  # the job marks rows sent just after Telegram answers
        async with bot.cairn.units() as uow:
            query = select(OutboxMessage.status).where(OutboxMessage.kind == "alert")
            statuses = sorted((await uow.session.scalars(query)).all())
        if statuses == ["sent"] * 8:
            break
        await asyncio.sleep(0.1)
    assert statuses == ["sent"] * 8
