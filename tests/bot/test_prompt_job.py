"""The prompt job against the sandbox: on time, never twice, one after downtime, safe with two instances."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from telegram import Bot

from bot.jobs.prompts import PromptJob
from bot.metrics import METRICS
from bot.runtime import build_bot
from bot.sandbox import Sandbox, start_sandbox
from bot.sandbox.server import RunningSandbox
from flows.schedule import CheckInPlan, next_due
from flows.texts import load_catalogue
from models.database import create_engine, session_factory
from models.tables import PromptDelivery
from models.unit_of_work import UnitOfWork, UnitOfWorkFactory
from tests.conftest import Database
from tests.e2e.harness import CANARY_TOKEN, e2e_settings

CATALOGUE = load_catalogue()
TEN_AM = CheckInPlan(time_of_day=time(10, 0), instrument_id=None)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    database: Database
    sandbox: Sandbox
    server: RunningSandbox
    clock: Clock
    bot: Bot

    def job(self, units: UnitOfWorkFactory | None = None) -> PromptJob:
        return PromptJob(units or self.database.units, CATALOGUE, self.clock, batch=200)

    async def add_members(self, count: int, plan: CheckInPlan = TEN_AM, first_id: int = 10_000) -> list[int]:
        ids = []
        async with self.database.units() as uow:
            organisation = await uow.organisations.by_slug("hillside") or await uow.organisations.add(
                "hillside", "Hillside", self.clock.now
            )
            for offset in range(count):
                telegram_id = first_id + offset
                member = await uow.members.add(telegram_id, telegram_id, organisation.id, self.clock.now)
                member_plan = plan if count == 1 else _spread(plan, offset)
                await uow.plans.save(member.id, member_plan, next_due(member_plan, self.clock.now), self.clock.now)
                self.sandbox.user(telegram_id).chat.known = True
                ids.append(telegram_id)
            await uow.commit()
        return ids

    def prompts_to(self, telegram_id: int) -> int:
        return sum(
            1 for message in self.sandbox.user(telegram_id).messages if "time for your check-in" in (message.text or "")
        )


def _spread(plan: CheckInPlan, offset: int) -> CheckInPlan:
    from dataclasses import replace

    return replace(plan, time_of_day=time(10, offset % 10))


@pytest.fixture
async def world(database: Database) -> AsyncIterator[World]:
    sandbox = Sandbox(token=CANARY_TOKEN)
    server = await start_sandbox(sandbox, "127.0.0.1", 0)
    bot = build_bot(e2e_settings(database.url, database.keys, server.bot_base_url))
    await bot.initialize()
    try:
        yield World(database, sandbox, server, Clock(datetime(2026, 1, 15, 9, 59, tzinfo=UTC)), bot)
    finally:
        await bot.shutdown()
        await server.stop()


async def test_a_prompt_comes_at_the_due_time_and_only_once(world: World) -> None:
    (member,) = await world.add_members(1)
    job = world.job()
    assert (await job.tick(world.bot)).claimed == 0
    world.clock.now = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
    tick = await job.tick(world.bot)
    assert (tick.claimed, tick.sent) == (1, 1)
    await job.tick(world.bot)
    world.clock.now += timedelta(minutes=30)
    await job.tick(world.bot)
    assert world.prompts_to(member) == 1
    message = world.sandbox.user(member).messages[-1]
    assert (
        message.has_button("Great")
        and message.has_button("Remind me in an hour")
        and message.has_button("Get help now")
    )


async def test_after_the_bot_was_down_for_days_one_prompt_is_sent_not_one_per_missed_slot(world: World) -> None:
    (member,) = await world.add_members(1)
    world.clock.now = datetime(2026, 1, 18, 13, 0, tzinfo=UTC)  # three days and three hours later
    tick = await world.job().tick(world.bot)
    assert (tick.claimed, tick.sent) == (1, 1)
    assert world.prompts_to(member) == 1
    async with world.database.units() as uow:
        member_row = await uow.members.by_telegram_user(member)
        plan = await uow.plans.get(member_row.id)
    assert plan.next_due_at == datetime(2026, 1, 19, 10, 0, tzinfo=UTC)


async def test_paused_or_stopped_members_get_no_prompt_and_pending_ones_are_cancelled(world: World) -> None:
    paused, stopped = await world.add_members(2)
    async with world.database.units() as uow:
        for telegram_id, status in ((paused, "paused"), (stopped, "stopped")):
            row = await uow.members.by_telegram_user(telegram_id)
            await uow.members.set_status(row.id, status)
        await uow.commit()
    world.clock.now = datetime(2026, 1, 15, 10, 30, tzinfo=UTC)
    tick = await world.job().tick(world.bot)
    assert tick.claimed == 0 and world.prompts_to(paused) == world.prompts_to(stopped) == 0


async def test_a_prompt_refused_with_429_is_sent_after_retry_after_and_never_twice(world: World) -> None:
    (member,) = await world.add_members(1)
    world.sandbox.faults.add(kind="429", count=1, methods={"sendMessage"}, retry_after=1)
    world.clock.now = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
    job = world.job()
    first = await job.tick(world.bot)
    assert (first.sent, first.retried) == (0, 1)
    await job.tick(world.bot)
    assert world.prompts_to(member) == 0, "nothing is sent before retry_after has passed"
    world.clock.now += timedelta(seconds=2)
    second = await job.tick(world.bot)
    assert second.sent == 1 and world.prompts_to(member) == 1


async def test_two_instances_on_one_database_send_each_due_prompt_exactly_once(world: World) -> None:
    if world.database.backend != "postgresql":
        pytest.skip("several instances run on PostgreSQL; SQLite is the single-instance default")
    members = await world.add_members(2000)
    second_engine = create_engine(world.database.url)
    second_units = UnitOfWorkFactory(session_factory(second_engine), world.database.units.cipher)
    first_job, second_job = world.job(), world.job(second_units)
    try:
        for minute in range(10):
            world.clock.now = datetime(2026, 1, 15, 10, minute, 30, tzinfo=UTC)
            await asyncio.gather(first_job.tick(world.bot), second_job.tick(world.bot))
    finally:
        await second_engine.dispose()
    counts = [world.prompts_to(member) for member in members]
    assert counts.count(1) == 2000, f"duplicates: {sum(c > 1 for c in counts)}, missing: {counts.count(0)}"
    async with world.database.units() as uow:
        sent = await uow.session.scalar(select(func.count()).where(PromptDelivery.status == "sent"))
    assert sent == 2000


async def test_a_regular_member_who_stops_answering_gets_one_gentle_message(world: World) -> None:
    (member,) = await world.add_members(1)
    async with world.database.units() as uow:
        row = await uow.members.by_telegram_user(member)
        for _ in range(3):
            await uow.plans.count_checkin(row.id, instrument_done=False)
        await uow.commit()
    job = world.job()
    for day in range(4):
        world.clock.now = datetime(2026, 1, 15 + day, 10, 0, tzinfo=UTC)
        await job.tick(world.bot)
    async with world.database.units() as uow:
        from models.tables import OutboxMessage

        nudges = (await uow.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "watch"))).all()
    assert len(nudges) == 1, "exactly one gentle message after three unanswered prompts, and no alert"


async def test_a_member_who_blocked_the_bot_is_marked_unreachable_and_gets_no_more_prompts(world: World) -> None:
    blocked, other = await world.add_members(2)
    world.sandbox.user(blocked).chat.blocked = True
    job = world.job()
    world.clock.now = datetime(2026, 1, 15, 10, 30, tzinfo=UTC)
    first = await job.tick(world.bot)
    assert (first.sent, first.failed) == (1, 1)
    async with world.database.units() as uow:
        row = await uow.members.by_telegram_user(blocked)
        assert await uow.broadcast_deliveries.is_unreachable(row.id)
    world.clock.now = datetime(2026, 1, 16, 10, 30, tzinfo=UTC)
    second = await job.tick(world.bot)
    assert (second.claimed, second.sent, second.failed) == (2, 1, 0), "the blocked member's prompt is cancelled"
    assert world.prompts_to(other) == 2 and world.prompts_to(blocked) == 0


class JumpingClock(Clock):
    """A clock that leaps forward once, at its n-th reading (a sender that waited far too long)."""

    def __init__(self, now: datetime, leap_at: int, leap: timedelta) -> None:
        super().__init__(now)
        self.readings, self.leap_at, self.leap = 0, leap_at, leap

    def __call__(self) -> datetime:
        self.readings += 1
        if self.readings == self.leap_at:
            self.now += self.leap
        return self.now


async def test_a_prompt_whose_lease_ran_out_while_waiting_is_handed_back_and_sent_once(world: World) -> None:
    (member,) = await world.add_members(1)
    # readings: 1 the tick, 2 the lease, 3 the send check, which finds the two-minute lease nearly gone
    clock = JumpingClock(datetime(2026, 1, 15, 10, 0, tzinfo=UTC), leap_at=3, leap=timedelta(seconds=110))
    job = PromptJob(world.database.units, CATALOGUE, clock, batch=200)
    first = await job.tick(world.bot)
    assert (first.sent, first.retried) == (0, 1) and world.prompts_to(member) == 0
    second = await job.tick(world.bot)
    assert second.sent == 1 and world.prompts_to(member) == 1
    async with world.database.units() as uow:
        (row,) = (await uow.session.execute(select(PromptDelivery.status, PromptDelivery.attempts))).all()
    assert tuple(row) == ("sent", 2), "handed back once, then leased and sent"


async def test_a_result_is_not_written_once_another_lease_has_taken_the_prompt(world: World) -> None:
    await world.add_members(1)
    world.clock.now = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
    async with world.database.units() as uow:
        await uow.prompts.claim_due(world.clock.now, 10, next_due)
        (first,) = await uow.prompts.lease(world.clock.now, 10)
        await uow.commit()
    async with world.database.units() as uow:
        (second,) = await uow.prompts.lease(world.clock.now + timedelta(minutes=3), 10)  # the first lease ran out
        await uow.commit()
    async with world.database.units() as uow:
        assert not await uow.prompts.mark_sent(first, world.clock.now)
        await uow.prompts.retry_at(first, world.clock.now, give_up=True)
        assert await uow.prompts.mark_sent(second, world.clock.now)
        await uow.commit()
    async with world.database.units() as uow:
        statuses = (await uow.session.scalars(select(PromptDelivery.status))).all()
    assert statuses == ["sent"]


async def test_prompts_leased_when_the_bot_starts_stopping_go_back_to_pending_not_failed(world: World) -> None:
    await world.add_members(3)
    readings = iter([False, False])  # claim, then lease; every later look says "stopping"
    job = PromptJob(world.database.units, CATALOGUE, world.clock, batch=200, stopping=lambda: next(readings, True))
    world.clock.now = datetime(2026, 1, 15, 10, 30, tzinfo=UTC)
    tick = await job.tick(world.bot)
    assert tick.sent == 0 and tick.failed == 0
    async with world.database.units() as uow:
        statuses = (await uow.session.scalars(select(PromptDelivery.status))).all()
    assert sorted(statuses) == ["pending"] * 3
    resumed = await world.job().tick(world.bot)
    assert resumed.sent == 3


def in_doubt_counted() -> float:
    return METRICS.registry.get_sample_value("cairn_deliveries_total", {"job": "prompts", "result": "uncertain"}) or 0.0


async def delivery_rows(world: World) -> list[tuple[str, int]]:
    async with world.database.units() as uow:
        rows = (await uow.session.execute(select(PromptDelivery.status, PromptDelivery.attempts))).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_a_prompt_left_sending_by_a_dead_process_is_not_sent_again_and_the_plan_moves_on(world: World) -> None:
    (member,) = await world.add_members(1)
    world.clock.now = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
    async with world.database.units() as uow:  # a process leases the prompt and marks it sending ...
        await uow.prompts.claim_due(world.clock.now, 10, next_due)
        (leased,) = await uow.prompts.lease(world.clock.now, 10)
        await uow.commit()
    async with world.database.units() as uow:
        assert await uow.prompts.mark_sending(leased)
        await uow.commit()
    await world.bot.send_message(leased.chat_id, "Hi, time for your check-in")  # ... Telegram takes it, then: killed
    counted_before = in_doubt_counted()
    job = world.job()
    still_leased = await job.tick(world.bot)
    assert (still_leased.sent, still_leased.in_doubt) == (0, 0) and await delivery_rows(world) == [("sending", 1)]

    world.clock.now += timedelta(minutes=3)  # the dead process's lease has run out
    after = await job.tick(world.bot)
    assert (after.claimed, after.sent, after.retried, after.in_doubt) == (0, 0, 0, 1)
    assert world.prompts_to(member) == 1, "the prompt in doubt is not sent a second time"
    assert await delivery_rows(world) == [("uncertain", 1)]
    assert in_doubt_counted() == counted_before + 1
    world.clock.now += timedelta(minutes=30)
    assert (await job.tick(world.bot)).in_doubt == 0, "counted once"
    async with world.database.units() as uow:
        member_row = await uow.members.by_telegram_user(member)
        assert member_row is not None
        plan = await uow.plans.get(member_row.id)
    assert plan is not None and plan.next_due_at == datetime(2026, 1, 16, 10, 0, tzinfo=UTC), "moved on"

    world.clock.now = datetime(2026, 1, 16, 10, 0, tzinfo=UTC)
    next_day = await job.tick(world.bot)
    assert (next_day.claimed, next_day.sent) == (1, 1) and world.prompts_to(member) == 2


@pytest.mark.parametrize("fault", ["429", "502"])
async def test_a_definite_not_sent_answer_clears_the_sending_mark_and_the_prompt_is_sent_later(
    world: World, fault: str
) -> None:
    (member,) = await world.add_members(1)
    world.sandbox.faults.add(kind=fault, count=1, methods={"sendMessage"}, retry_after=1)
    world.clock.now = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
    job = world.job()
    first = await job.tick(world.bot)
    assert (first.sent, first.retried, first.in_doubt) == (0, 1, 0) and world.prompts_to(member) == 0
    assert await delivery_rows(world) == [("pending", 1)], "the mark is cleared: the prompt waits for its retry"
    world.clock.now += timedelta(minutes=3)  # long past the lease: still nothing in doubt
    second = await job.tick(world.bot)
    assert (second.sent, second.in_doubt) == (1, 0) and world.prompts_to(member) == 1
    assert await delivery_rows(world) == [("sent", 2)]


class WatchingBot:
    """The real bot, but each prompt's delivery row is read just before its request goes to Telegram."""

    def __init__(self, bot: Bot, database: Database) -> None:
        self.bot, self.database, self.seen = bot, database, list[str]()

    async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> object:
        async with self.database.units() as uow:  # another session: only what was committed
            self.seen += (await uow.session.scalars(select(PromptDelivery.status))).all()
        return await self.bot.send_message(chat_id, text, **kwargs)


async def test_a_prompt_is_marked_sending_before_its_request_then_sent_once(world: World) -> None:
    (member,) = await world.add_members(1)
    watching = WatchingBot(world.bot, world.database)
    world.clock.now = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
    job = world.job()
    tick = await job.tick(watching)  # type: ignore[arg-type]
    assert (tick.claimed, tick.sent, tick.retried, tick.failed, tick.in_doubt) == (1, 1, 0, 0, 0)
    assert watching.seen == ["sending"], "the mark is committed before the request"
    async with world.database.units() as uow:
        (sent_at,) = (await uow.session.scalars(select(PromptDelivery.sent_at))).all()
    assert await delivery_rows(world) == [("sent", 1)] and sent_at is not None
    assert sent_at.replace(tzinfo=UTC) == world.clock.now
    world.clock.now += timedelta(minutes=5)
    later = await job.tick(watching)  # type: ignore[arg-type]
    assert (later.sent, later.in_doubt) == (0, 0) and world.prompts_to(member) == 1 and watching.seen == ["sending"]


class PausingUnits:
    """Storage through which the member pauses as soon as their prompt is leased, before it is marked sending."""

    def __init__(self, units: UnitOfWorkFactory) -> None:
        self.units, self.paused = units, False

    def __call__(self) -> AbstractAsyncContextManager[UnitOfWork]:
        return self._open()

    @asynccontextmanager
    async def _open(self) -> AsyncIterator[UnitOfWork]:
        if not self.paused:
            async with self.units() as uow:
                leased = (await uow.session.scalars(select(PromptDelivery).where(PromptDelivery.attempts > 0))).all()
                for row in leased:
                    await uow.prompts.cancel_pending(row.member_id)  # what /pause does
                    self.paused = True
                await uow.commit()
        async with self.units() as uow:
            yield uow


async def test_a_prompt_cancelled_between_its_lease_and_its_send_is_not_sent(world: World) -> None:
    (member,) = await world.add_members(1)
    pausing = PausingUnits(world.database.units)
    world.clock.now = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
    tick = await world.job(pausing).tick(world.bot)  # type: ignore[arg-type]
    assert pausing.paused and (tick.claimed, tick.sent, tick.retried, tick.failed) == (1, 0, 0, 0)
    assert world.prompts_to(member) == 0 and await delivery_rows(world) == [("cancelled", 1)]
