"""Polling mode, durably: a batch is confirmed to Telegram only once it is in the inbox; faults are waited out."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.inbox import LEASE, InboxProcessor, store_updates
from bot.metrics import METRICS
from bot.poller import UpdatePoller
from bot.runtime import build_bot
from bot.sandbox import Sandbox, SimUser, start_sandbox
from bot.sandbox.server import RunningSandbox
from bot.telegram.tolerant_bot import TolerantBot
from models.inbox import GIVE_UP_AFTER, MAX_ATTEMPTS
from models.inbox_tables import InboxUpdate
from tests.bot.test_inbox_leases import Clock
from tests.bot.test_webhook import message_update
from tests.conftest import LOG_CAPTURE, NOW, Database
from tests.e2e.harness import CANARY_TEXT, CANARY_TOKEN, e2e_settings

# PTB 22 warns about RetryAfter.retry_after becoming a timedelta whenever it builds the error.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


@dataclass
class Polling:
    """A sandbox, our bot and a poller storing into the test database (or failing to, when told)."""

    database: Database
    sandbox: Sandbox
    server: RunningSandbox
    bot: TolerantBot
    store_fails: bool = False
    stored_batches: list[list[int]] = field(default_factory=list)
    woken: int = 0

    async def store(self, updates: list[dict[str, Any]]) -> int:
        if self.store_fails:
            raise OSError("the database is away")
        self.stored_batches.append([update["update_id"] for update in updates])
        return await store_updates(self.database.units, updates, NOW)

    def poller(self, poll_seconds: float = 0.5) -> UpdatePoller:
        return UpdatePoller(self.bot, self.store, self.wake, poll_seconds=poll_seconds)

    def wake(self) -> None:
        self.woken += 1

    async def stored_ids(self) -> list[int]:
        async with self.database.units() as uow:
            return list(await uow.session.scalars(select(InboxUpdate.update_id).order_by(InboxUpdate.update_id)))

    def pending_ids(self) -> list[int]:
        return [update["update_id"] for update in self.sandbox.pending_updates()]


@pytest.fixture
async def polling(database: Database) -> AsyncIterator[Polling]:
    sandbox = Sandbox(token=CANARY_TOKEN)
    server = await start_sandbox(sandbox, "127.0.0.1", 0)
    bot = build_bot(e2e_settings(database.url, database.keys, server.bot_base_url))
    await bot.initialize()
    try:
        yield Polling(database, sandbox, server, bot)
    finally:
        await bot.shutdown()
        await server.stop()


@contextlib.asynccontextmanager
async def running(poller: UpdatePoller) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(poller.run())
    try:
        yield task
    finally:
        poller.stop()
        await asyncio.wait_for(task, 10)


async def eventually(check: Callable[[], Any], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if await result if asyncio.iscoroutine(result) else result:
            return
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def log_lines(needle: str) -> list[str]:
    return [line for line in LOG_CAPTURE.lines if needle in line]


async def test_a_batch_is_confirmed_to_telegram_only_after_it_is_committed_to_the_inbox(polling: Polling) -> None:
    user: SimUser = polling.sandbox.user(8101)
    ids = [await user.send(f"{CANARY_TEXT} {n}") for n in range(3)]
    polling.store_fails = True
    failed_before = len(log_lines("polling_store_failed"))
    poller = polling.poller()
    async with running(poller):
        await eventually(lambda: len(log_lines("polling_store_failed")) >= failed_before + 2)
        assert polling.pending_ids() == ids, "fetched twice, stored never: Telegram still holds every update"
        assert await polling.stored_ids() == []
        assert "polling_store_failed error=OSError failures=" in log_lines("polling_store_failed")[-1]

        polling.store_fails = False  # the database is back: the same batch comes again and is kept

        async def stored() -> bool:
            return await polling.stored_ids() == ids

        await eventually(stored)
        await eventually(lambda: polling.pending_ids() == [])  # the next getUpdates confirmed it
        later = await user.send("and one more")
        await eventually(lambda: polling.stored_batches[-1:] == [[later]])
        assert polling.woken >= 2
    assert polling.stored_batches[0] == ids and all(later not in batch for batch in polling.stored_batches[:-1])


async def test_storing_is_idempotent_on_update_id(database: Database) -> None:
    batch = [message_update(31, 7, "hello"), message_update(32, 8, "hi")]
    assert await store_updates(database.units, batch, NOW) == 2
    assert await store_updates(database.units, batch, NOW) == 0, "Telegram sent the batch again: nothing new"
    async with database.units() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(InboxUpdate)) == 2


async def test_a_batch_is_stored_in_one_go_and_an_update_ptb_cannot_parse_is_kept_bare(database: Database) -> None:
    broken = {"update_id": 35, "message": {"text": CANARY_TEXT, "chat": "not a chat"}}
    batch = [message_update(33, 7, "hello"), message_update(34, 7, "again"), broken]
    assert await store_updates(database.units, [*batch, batch[0]], NOW) == 3, "a repeat within the batch is one"
    async with database.units() as uow:
        payloads = {update_id: await uow.inbox.payload(update_id) for update_id in (33, 34, 35)}
        keys = dict((await uow.session.execute(select(InboxUpdate.update_id, InboxUpdate.sender_key))).all())
    assert payloads[33] == batch[0] and payloads[34] == batch[1]
    assert payloads[35] == {"update_id": 35}, "its content is not kept"
    assert keys[33] == keys[34] != keys[35] == "update:35", "one member's updates share a key; the bare one has its own"
    assert any("update_unparseable update_id=35" in line for line in LOG_CAPTURE.lines)
    assert not any(CANARY_TEXT in line for line in LOG_CAPTURE.lines)


async def test_rate_limits_server_errors_and_dropped_connections_are_waited_out_and_lose_nothing(
    polling: Polling,
) -> None:
    user = polling.sandbox.user(8201)
    faults = polling.sandbox.faults
    faults.add(kind="429", count=1, methods={"getUpdates"}, retry_after=1)
    faults.add(kind="503", count=1, methods={"getUpdates"})
    faults.add(kind="drop", count=1, methods={"getUpdates"})
    ids = [await user.send(f"message {n}") for n in range(2)]
    poller = polling.poller()
    async with running(poller):

        async def stored() -> bool:
            return await polling.stored_ids() == ids

        await eventually(stored, timeout=20)
        assert poller.healthy
    assert log_lines("polling_rate_limited error=RetryAfter")
    assert log_lines("polling_network_error error=NetworkError")
    assert polling.pending_ids() == [], "a clean stop confirms what was stored"


async def test_another_poller_is_reported_as_a_conflict_and_polling_carries_on(polling: Polling) -> None:
    user = polling.sandbox.user(8301)
    poller = polling.poller(poll_seconds=5)
    other = build_bot(e2e_settings(polling.database.url, polling.database.keys, polling.server.bot_base_url))
    await other.initialize()
    try:
        async with running(poller):
            await eventually(lambda: polling.sandbox.poll_generation >= 1)
            await asyncio.sleep(0.3)  # our long poll is waiting at the sandbox
            await other.get_updates(timeout=0)  # a second process polls with the same token
            sent = await user.send("still here")
            await eventually(lambda: bool(log_lines("polling_conflict error=Conflict")))
            line = log_lines("polling_conflict")[-1]
            assert line.startswith("ERROR") and "another process polls with this token" in line

            async def stored() -> bool:
                return sent in await polling.stored_ids()

            await eventually(stored)
    finally:
        await other.shutdown()


async def test_stop_ends_a_long_poll_at_once_and_confirms_what_was_stored(polling: Polling) -> None:
    user = polling.sandbox.user(8401)
    poller = polling.poller(poll_seconds=30)
    task = asyncio.create_task(poller.run())
    sent = await user.send("hello")

    async def stored() -> bool:
        return await polling.stored_ids() == [sent]

    await eventually(stored)
    await asyncio.sleep(0.3)  # the next long poll (which confirms the batch) is waiting
    began = time.monotonic()
    poller.stop()
    await asyncio.wait_for(task, 10)
    assert time.monotonic() - began < 5, "stop does not wait out a 30 s long poll"
    assert polling.pending_ids() == []


async def test_a_new_process_takes_over_dead_leases_at_once_on_sqlite_and_after_the_short_lease_elsewhere(
    database: Database,
) -> None:
    update = message_update(41, 9, "hello")
    await store_updates(database.units, [update], NOW)
    async with database.units() as uow:  # a process claimed it, then died
        assert len(await uow.inbox.claim(NOW, 5, LEASE)) == 1
        await uow.commit()
    handled: list[int] = []

    async def handle(payload: dict[str, Any]) -> None:
        handled.append(payload["update_id"])

    clock = Clock()
    single = database.backend == "sqlite"
    processor = InboxProcessor(
        database.units, handle, concurrency=4, clock=clock, poll_seconds=0.05, single_instance=single
    )
    task = asyncio.create_task(processor.run())
    try:
        await asyncio.sleep(0.5)
        if single:
            assert handled == [41], "SQLite is one process per file: the dead process's lease is handed back at start"
        else:
            assert handled == [], "another instance may be handling it: wait for its lease to lapse"
            clock.now = NOW + LEASE + timedelta(seconds=1)
            await eventually(lambda: handled == [41])
    finally:
        processor.stop_claiming()
        await task
        await processor.drain()
    assert timedelta(seconds=15) >= LEASE, "a crash restart does not wait minutes"


async def test_an_update_in_flight_at_many_crashes_is_not_given_up_until_it_has_also_waited_ten_minutes(
    database: Database,
) -> None:
    await store_updates(database.units, [message_update(51, 10, "I want to end my life")], NOW)
    now = NOW
    for attempt in range(1, MAX_ATTEMPTS + 4):  # a kill storm: claimed again and again, finished never
        async with database.units() as uow:
            (claimed,) = await uow.inbox.claim(now, 5, LEASE)
            await uow.commit()
        assert claimed.attempts == attempt and not claimed.given_up and claimed.payload is not None
        now += LEASE + timedelta(seconds=1)
    async with database.units() as uow:
        (claimed,) = await uow.inbox.claim(NOW + GIVE_UP_AFTER + LEASE, 5, LEASE)
        await uow.commit()
    assert claimed.given_up and claimed.payload is None, "one that keeps failing for ten minutes is given up"


async def test_a_poller_that_dies_keeps_its_lag_and_one_stopped_on_purpose_drops_it(polling: Polling) -> None:
    poller = polling.poller()

    async def broken() -> None:
        raise RuntimeError("a bug")

    poller._poll_once = broken  # type: ignore[method-assign]
    METRICS.ticked("polling")
    with pytest.raises(RuntimeError):
        await poller.run()
    assert METRICS.last_success("polling") is not None, "the lag keeps growing, so the alert on it fires"
    assert not poller.healthy

    stopped = polling.poller()
    stopped.stop()
    await stopped.run()
    assert METRICS.last_success("polling") is None, "stopped on purpose: no lag to report"
