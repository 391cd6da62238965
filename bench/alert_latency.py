"""Alert latency: from a member's crisis message to the volunteer's alert, under background load.

It runs on PostgreSQL (the several-instance setup). The sandbox runs without Telegram's limits here
(background replies alone would exceed 30 a second), so the figure is the bot's own latency: update handling,
detection, the alert transaction and the outbox.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass

from cryptography.fernet import Fernet

from models.database import create_engine
from models.migrate import upgrade_to_head
from tests.conftest import create_postgres_database, drop_postgres_database
from tests.e2e.harness import Member, start_bot


@dataclass(frozen=True)
class LatencyResult:
    """Latency figures in milliseconds."""

    samples: int
    p50_ms: float
    p99_ms: float
    background_rate: float


async def _background(members: list[Member], rate: float, stop: asyncio.Event, sent: list[int]) -> None:
    index = 0
    while not stop.is_set():
        await members[index % len(members)].user.send("just saying hello, nice weather today")
        sent[0] += 1
        index += 1
        await asyncio.sleep(1.0 / rate)


async def run_alert_latency(samples: int = 40, background_rate: float = 50.0) -> LatencyResult:
    """Measure `samples` crisis messages one after another while background members chat at `background_rate`."""
    url = await create_postgres_database()
    engine = create_engine(url)
    await upgrade_to_head(engine)
    await engine.dispose()
    try:
        bot = await start_bot(url, (Fernet.generate_key().decode(),), language_model=True)
        try:
            volunteer = await bot.staff(9_000_001, "Ash")
            chatter = [bot.member(9_100_000 + i) for i in range(20)]
            for person in chatter:
                await person.onboard(store=False, share=None, news=False)
            crisis = [bot.member(9_200_000 + i) for i in range(samples)]
            for person in crisis:
                await person.onboard(store=False, share="flag_only", news=False)
            stop, sent = asyncio.Event(), [0]
            load = asyncio.create_task(_background(chatter, background_rate, stop, sent))
            started_load = time.perf_counter()
            latencies = []
            for person in crisis:
                seen = sum(m.has_button("Claim") for m in volunteer.user.messages)
                begin = time.perf_counter()
                await person.user.send("I want to kill myself")
                await volunteer.user.wait_until(
                    lambda u, seen=seen: sum(m.has_button("Claim") for m in u.messages) > seen, timeout=30
                )
                latencies.append((time.perf_counter() - begin) * 1000)
            stop.set()
            await load
            achieved = sent[0] / (time.perf_counter() - started_load)
        finally:
            await bot.stop()
            await bot.server.stop()
    finally:
        await drop_postgres_database(url)
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return LatencyResult(len(ordered), statistics.median(ordered), p99, achieved)
