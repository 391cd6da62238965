"""Broadcast: one coordinator's news to N members, sent to the sandbox (its own process) enforcing Telegram's limits.

Figure: achieved delivery rate divided by Telegram's overall limit (30 a second), and the 429s we caused by
going over the limits (the sandbox counts them apart from any it injects). `seed_members` is also used by the
broadcast tests to put thousands of members in place with bulk inserts.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
from cryptography.fernet import Fernet
from sqlalchemy import insert, select

from bench.fanout import TELEGRAM_LIMIT, _sandbox_process, run_token, wait_for_others
from bench.runs import completed, median_lines, run_once
from bot.jobs.broadcasts import BroadcastJob
from bot.runtime import build_bot
from bot.settings import Settings
from flows.broadcast_model import AudienceFilter
from flows.texts import load_catalogue
from models.crypto import DataCipher
from models.database import create_engine, session_factory
from models.member_activity_tables import ActivityPreference
from models.migrate import upgrade_to_head
from models.tables import ConsentRecord, Member, Organisation
from models.unit_of_work import UnitOfWorkFactory

CHUNK = 5000


@dataclass(frozen=True)
class Cohort:
    """Members alike: their organisation, their NEWS records (oldest first), area and interests."""

    name: str
    count: int
    organisation: str = "hillside"
    news: tuple[str, ...] = ("given",)
    area: str | None = "EH6"
    interests: str = ""
    status: str = "active"


@dataclass(frozen=True)
class BroadcastResult:
    """One run's figures."""

    recipients: int
    delivered: int
    seconds: float
    rate: float
    ratio: float
    limited_429: int
    injected_429: int
    progress_edits: int


async def seed_members(url: str, cohorts: Sequence[Cohort], first_user_id: int, now: datetime) -> dict[str, range]:
    """Insert cohorts of members (and any organisation named and missing); return each cohort's Telegram ids."""
    engine = create_engine(url)
    ranges: dict[str, range] = {}
    try:
        async with engine.begin() as connection:
            slugs = {cohort.organisation for cohort in cohorts}
            known = dict((await connection.execute(select(Organisation.slug, Organisation.id))).all())
            for slug in sorted(slugs - set(known)):
                await connection.execute(insert(Organisation).values(slug=slug, name=slug.title(), created_at=now))
            known = dict((await connection.execute(select(Organisation.slug, Organisation.id))).all())
            next_id = first_user_id
            for cohort in cohorts:
                ranges[cohort.name] = range(next_id, next_id + cohort.count)
                next_id += cohort.count
                await _insert_cohort(connection, cohort, known[cohort.organisation], ranges[cohort.name], now)
    finally:
        await engine.dispose()
    return ranges


async def _insert_cohort(connection: object, cohort: Cohort, organisation_id: int, users: range, now: datetime) -> None:
    execute = connection.execute  # type: ignore[attr-defined]
    members = [
        {"telegram_user_id": user, "chat_id": user, "organisation_id": organisation_id, "status": cohort.status,
         "language": "en", "created_at": now}
        for user in users
    ]  # fmt: skip
    for start in range(0, len(members), CHUNK):
        await execute(insert(Member), members[start : start + CHUNK])
    found = await execute(
        select(Member.id).where(Member.telegram_user_id >= users.start, Member.telegram_user_id < users.stop)
    )
    member_ids = [row[0] for row in found.all()]
    records = [
        {"member_id": member_id, "scope": "news", "action": action, "share_level": None, "text_version": "bench",
         "text_hash": "0" * 64, "method": "seed", "update_id": None, "recorded_at": now + timedelta(seconds=step)}
        for member_id in member_ids
        for step, action in enumerate(cohort.news)
    ]  # fmt: skip
    for start in range(0, len(records), CHUNK):
        await execute(insert(ConsentRecord), records[start : start + CHUNK])
    preferences = [
        {"member_id": member_id, "area": cohort.area, "interests": cohort.interests, "updated_at": now}
        for member_id in member_ids
    ]
    for start in range(0, len(preferences), CHUNK):
        await execute(insert(ActivityPreference), preferences[start : start + CHUNK])


async def run_broadcast(members: int, rate: float = 30.0, start: threading.Barrier | None = None) -> BroadcastResult:
    """Send one broadcast to `members` through the real job and Bot to the sandbox (own process, limits on); with
    `start`, only once the other runs sharing it are ready too."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        now = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
        engine = create_engine(url)
        await upgrade_to_head(engine)
        units = UnitOfWorkFactory(session_factory(engine), DataCipher((Fernet.generate_key().decode(),)))
        first = 2_000_000
        await seed_members(url, [Cohort("coordinator", 1, news=()), Cohort("audience", members)], first, now)
        async with units() as uow:
            organisation = await uow.organisations.by_slug("hillside")
            author = await uow.members.by_telegram_user(first)
            assert organisation is not None and author is not None
            recipients = await uow.broadcasts.audience_members(organisation.id, AudienceFilter())
            await uow.broadcasts.create(
                organisation.id, author.id, "Spring walk on Saturday", None, AudienceFilter(), recipients, now
            )
            await uow.commit()
        token = run_token()
        sandbox, base = await _sandbox_process(token)
        settings = Settings(telegram_bot_token=token, telegram_api_base_url=f"{base}/bot", send_rate_per_second=rate)
        bot = build_bot(settings)
        try:
            async with aiohttp.ClientSession() as client:
                await client.post(f"{base}/sandbox/api/chats/known", json={"first": first, "count": members + 1})
                await bot.initialize()
                await wait_for_others(start)
                began = time.monotonic()
                clock = lambda: now + timedelta(seconds=time.monotonic() - began)  # noqa: E731
                job = BroadcastJob(units, load_catalogue(), clock, rate=rate)
                while True:
                    await job.tick(bot)
                    async with units() as uow:
                        if not await uow.broadcasts.progress_targets():
                            break
                    await asyncio.sleep(1)
                async with client.get(f"{base}/sandbox/api/stats") as response:
                    stats = await response.json()
        finally:
            await bot.shutdown()
            sandbox.terminate()
            sandbox.wait(timeout=10)
            await engine.dispose()
    delivered = stats["accepted"].get("sendMessage", 0) - 1  # less the coordinator's progress message
    stamps = sorted(stats["send_timestamps"])
    seconds = stamps[-1] - stamps[0] if len(stamps) > 1 else 0.0
    achieved = (len(stamps) - 1) / seconds if seconds else 0.0
    return BroadcastResult(
        members,
        delivered,
        seconds,
        achieved,
        achieved / TELEGRAM_LIMIT,
        stats["too_many_requests"]["limit_exceeded"],
        stats["too_many_requests"]["injected"],
        stats["accepted"].get("editMessageText", 0),
    )


CONFIGURED = Settings().send_rate_per_second  # the deployment default the bot runs at here


def broadcast_once(members: int, start: threading.Barrier | None = None) -> BroadcastResult:
    """One broadcast run in a process of its own (a worker of a process pool)."""
    return run_once(run_broadcast, members, start)


def broadcast_lines(members: int, results: Sequence[object], concurrent: str) -> list[str]:
    """The broadcast section: a row per run and the median ratio; `concurrent` says what ran at the same time."""
    lines = [
        f"## Broadcast: {members:,} recipients (sandbox in its own process enforcing 30/s overall, 1/s per chat)",
        "",
        *([concurrent, ""] if concurrent else []),
        "| run | delivered | seconds | rate (msg/s) | ratio to Telegram's 30/s | ratio to the configured "
        f"{CONFIGURED:g}/s | 429 caused by us | progress edits |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(results):
        if not isinstance(r, BroadcastResult):  # the exception that ended the run
            lines.append(f"| {i + 1} | did not complete ({type(r).__name__}) | | | | | | |")
        else:
            lines.append(
                f"| {i + 1} | {r.delivered:,} | {r.seconds:.1f} | {r.rate:.2f} | {r.ratio:.3f} |"
                f" {r.rate / CONFIGURED:.3f} | {r.limited_429} | {r.progress_edits} |"
            )
    done = completed(results, BroadcastResult, "broadcast")
    return [*lines, *median_lines(done, "target at least 0.95, with no 429 caused by us")]
