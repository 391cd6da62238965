"""The webhook inbox under faults: an unreadable update blocks nobody, leases carry a token, failed ticks show."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text

from bot.inbox import InboxProcessor
from bot.metrics import METRICS
from bot.runtime import _tick
from bot.telegram.render import reply_messages
from bot.web.health import Health
from bot.web.webhook import sender_key
from flows.assistance import given_up_reply
from flows.crisis import load_crisis_resources
from flows.outcome import Outcome
from flows.texts import load_catalogue
from models.crypto import DataCipher
from models.database import create_engine, session_factory
from models.inbox import GIVE_UP_AFTER, MAX_ATTEMPTS
from models.inbox_tables import InboxUpdate
from models.unit_of_work import UnitOfWorkFactory
from tests.bot.test_webhook import message_update
from tests.conftest import NOW, Database

LEASE = timedelta(seconds=60)
GIVEN_UP_REPLY = reply_messages(load_catalogue(), Outcome(replies=(given_up_reply(load_crisis_resources("GB-SCT")),)))


def sample(name: str, **labels: str) -> float:
    return METRICS.registry.get_sample_value(name, labels) or 0.0


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


async def stored_ids(database: Database) -> list[int]:
    async with database.units() as uow:
        return list(await uow.session.scalars(select(InboxUpdate.update_id).order_by(InboxUpdate.update_id)))


async def test_an_update_under_a_removed_key_blocks_nobody_and_is_given_up(database: Database) -> None:
    removed_key = DataCipher.new_key()
    old_units = UnitOfWorkFactory(session_factory(database.engine), DataCipher((removed_key,)))
    async with old_units() as uow:  # written before the key was removed from CAIRN_DATA_KEYS
        await uow.inbox.add(
            10, sender_key(message_update(10, 1, "x"), b"test"), message_update(10, 1, "under the old key"), NOW
        )
        await uow.commit()
    async with database.units() as uow:
        for update_id, user in ((11, 2), (12, 1)):
            update = message_update(update_id, user, f"text {update_id}")
            await uow.inbox.add(update_id, sender_key(update, b"test"), update, NOW)
        await uow.commit()
    handled: list[int] = []

    async def handle(payload: dict[str, Any]) -> None:
        handled.append(payload["update_id"])

    clock = Clock()
    processor = InboxProcessor(database.units, handle, concurrency=4, clock=clock, lease=LEASE)
    unreadable, given_up = (
        sample("cairn_inbox_problems_total", problem="unreadable"),
        sample("cairn_inbox_problems_total", problem="given_up"),
    )
    await processor.round()
    await processor.drain()
    assert handled == [11], "the other member is handled at once"
    assert sample("cairn_inbox_problems_total", problem="unreadable") == unreadable + 1
    assert await stored_ids(database) == [10, 12], "kept (another instance may hold the key); its member waits"

    for _ in range(MAX_ATTEMPTS):  # each lapse gives it another try, until it is past MAX_ATTEMPTS and GIVE_UP_AFTER
        clock.now += max(LEASE, GIVE_UP_AFTER / MAX_ATTEMPTS) + timedelta(seconds=1)
        await processor.round()
        await processor.drain()
    assert sample("cairn_inbox_problems_total", problem="unreadable") == unreadable + MAX_ATTEMPTS
    assert sample("cairn_inbox_problems_total", problem="given_up") == given_up + 1
    assert await stored_ids(database) == [12]
    await processor.round()
    await processor.drain()
    assert handled == [11, 12] and await stored_ids(database) == [], "then the member's next update is handled"


async def test_a_lapsed_lease_taken_by_another_claimer_is_not_touched_by_the_first(database: Database) -> None:
    update = message_update(20, 5, "hello")
    async with database.units() as uow:
        await uow.inbox.add(20, sender_key(update, b"test"), update, NOW)
        await uow.commit()
    async with database.units() as uow:
        (first,) = await uow.inbox.claim(NOW, 5, LEASE)
        await uow.commit()
    later = NOW + LEASE + timedelta(seconds=1)
    async with database.units() as uow:  # the first claimer stalled; its lease lapsed and another took the update
        (second,) = await uow.inbox.claim(later, 5, LEASE)
        await uow.commit()
    assert (first.attempts, second.attempts) == (1, 2)
    async with database.units() as uow:
        assert await uow.inbox.renew([(20, first.attempts)], later + LEASE) == set()
        await uow.inbox.release([(20, first.attempts)])
        assert not await uow.inbox.done(20, first.attempts)
        await uow.commit()
    async with database.units() as uow:
        row = await uow.session.get(InboxUpdate, 20)
        assert row is not None and row.leased_until == later + LEASE, "still leased by the second claimer"
        assert await uow.inbox.renew([(20, second.attempts)], later + 2 * LEASE) == {20}
        assert await uow.inbox.done(20, second.attempts)
        await uow.commit()
    assert await stored_ids(database) == []


async def test_a_processor_whose_renewal_fails_does_not_finish_an_update_it_lost(database: Database) -> None:
    update = message_update(30, 6, "hello")
    async with database.units() as uow:
        await uow.inbox.add(30, sender_key(update, b"test"), update, NOW)
        await uow.commit()
    release = asyncio.Event()

    async def handle(payload: dict[str, Any]) -> None:
        await release.wait()

    clock = Clock()
    lease = timedelta(seconds=0.3)  # renewed every 0.1 s of running time
    processor = InboxProcessor(database.units, handle, concurrency=1, clock=clock, lease=lease)
    await processor.round()
    assert processor.in_flight == 1
    async with database.units() as uow:  # meanwhile its lease lapsed and another instance claimed the update
        (taken,) = await uow.inbox.claim(NOW + timedelta(seconds=1), 5, LEASE)
        await uow.commit()
    await asyncio.sleep(0.15)
    await processor.round()  # the renewal finds the lease is no longer ours
    release.set()
    await processor.drain()
    assert await stored_ids(database) == [30], "the other instance's update is left to it"
    async with database.units() as uow:
        assert await uow.inbox.done(30, taken.attempts)
        await uow.commit()


async def test_a_job_that_raises_neither_advances_its_last_success_nor_hides_the_failure() -> None:
    class Context:
        bot = None

    async def works(bot: object) -> None:
        return None

    async def fails(bot: object) -> None:
        raise RuntimeError("the database is away")

    await _tick("retention", works)(Context())  # type: ignore[arg-type]
    succeeded = METRICS.last_success("retention")
    failures = sample("cairn_job_failures_total", job="retention")
    await asyncio.sleep(0.01)
    await _tick("retention", fails)(Context())  # type: ignore[arg-type]
    assert METRICS.last_success("retention") == succeeded
    assert sample("cairn_job_failures_total", job="retention") == failures + 1
    await _tick("retention", works)(Context())  # type: ignore[arg-type]
    assert (METRICS.last_success("retention") or 0) > (succeeded or 0)


async def test_an_inbox_round_whose_claim_fails_is_a_failure_not_a_tick() -> None:
    engine = create_engine("postgresql+asyncpg://cairn:x@127.0.0.1:1/cairn", pool_pre_ping=False)
    units = UnitOfWorkFactory(session_factory(engine), DataCipher((DataCipher.new_key(),)))

    async def handle(payload: dict[str, Any]) -> None:
        raise AssertionError("nothing to handle")

    try:
        METRICS.ticked("inbox")
        succeeded = METRICS.last_success("inbox")
        failures = sample("cairn_job_failures_total", job="inbox")
        await InboxProcessor(units, handle, concurrency=1).round()
        assert METRICS.last_success("inbox") == succeeded
        assert sample("cairn_job_failures_total", job="inbox") == failures + 1
    finally:
        await engine.dispose()


async def test_readyz_fails_when_the_inbox_processor_died_or_is_held(database: Database) -> None:
    async def handle(payload: dict[str, Any]) -> None:
        return None

    async def answers() -> object:
        return True

    processor = InboxProcessor(database.units, handle, concurrency=1, poll_seconds=0.01)
    health = Health(database.units, None, False, answers, METRICS, lambda: processor.healthy)
    assert (await health.checks())["inbox"] == "ok"

    async def broken() -> None:
        raise RuntimeError("a bug")

    processor.round = broken  # type: ignore[method-assign]
    task = asyncio.create_task(processor.run())
    await asyncio.gather(task, return_exceptions=True)
    assert (await health.checks())["inbox"] == "failed"

    stopped = InboxProcessor(database.units, handle, concurrency=1, poll_seconds=0.01)
    stopped.stop_claiming()
    await stopped.run()
    assert stopped.healthy, "stopping on purpose is not a failure"
    held = InboxProcessor(database.units, handle, concurrency=1, hold=True)
    assert not held.healthy


async def test_an_update_still_in_flight_is_not_claimed_again_when_its_lease_lapses(database: Database) -> None:
    update = message_update(40, 7, "hello")
    async with database.units() as uow:
        await uow.inbox.add(40, sender_key(update, b"test"), update, NOW)
        await uow.commit()
    release = asyncio.Event()
    started: list[int] = []

    async def handle(payload: dict[str, Any]) -> None:
        started.append(payload["update_id"])
        await release.wait()

    clock = Clock()
    processor = InboxProcessor(database.units, handle, concurrency=2, clock=clock, lease=LEASE)
    await processor.round()
    await asyncio.sleep(0)
    assert started == [40] and processor.in_flight == 1
    clock.now += LEASE + timedelta(seconds=1)  # renewals failed meanwhile (the database was away): the lease lapsed
    await processor.round()
    await asyncio.sleep(0)
    assert started == [40], "the update this process is still handling is not started a second time"
    assert processor.in_flight == 1
    release.set()
    await processor.drain()
    assert processor.in_flight == 0 and await stored_ids(database) == []


async def give_up(
    database: Database,
    updates: list[dict[str, Any]],
    kept: dict[int, list[tuple[str, list[list[tuple[str, str]]]]]] | None = None,
    given_up_reply: list[tuple[str, list[list[tuple[str, str]]]]] | None = GIVEN_UP_REPLY,
) -> list[Any]:
    """Store `updates` (with replies kept for some), let every claim of them have died with its process for longer
    than GIVE_UP_AFTER, run one round: each is given up, none handled. Return what went to the outbox."""
    async with database.units() as uow:
        for update in updates:
            await uow.inbox.add(update["update_id"], sender_key(update, b"test"), update, NOW)
        for update_id, messages in (kept or {}).items():
            await uow.inbox.keep_reply(update_id, messages)
        await uow.commit()
    async with database.units() as uow:
        for update in updates:
            row = await uow.session.get(InboxUpdate, update["update_id"])
            assert row is not None
            row.attempts = MAX_ATTEMPTS
        await uow.commit()
    handled: list[int] = []

    async def handle(payload: dict[str, Any]) -> None:
        handled.append(payload["update_id"])

    clock = Clock()
    clock.now += GIVE_UP_AFTER + timedelta(seconds=1)
    processor = InboxProcessor(
        database.units, handle, concurrency=len(updates), clock=clock, lease=LEASE, given_up_reply=given_up_reply
    )
    await processor.round()
    await processor.drain()
    assert handled == [] and await stored_ids(database) == [], "given up, not handled"
    async with database.units() as uow:
        sent = await uow.outbox.lease(clock.now, 10)
        await uow.commit()
    return sent


async def test_a_given_up_update_sends_its_kept_reply_through_the_outbox(database: Database) -> None:
    kept = [("You are not alone.", [[("Help", "help")]]), ("Call 999.", [])]
    sent = await give_up(database, [message_update(50, 8, "I am not safe")], kept={50: kept})
    assert [(message.chat_id, message.text, message.buttons) for message in sent] == [
        (8, "You are not alone.", [[("Help", "help")]]),
        (8, "Call 999.", []),
    ], "the safety reply the member never got is sent, in order, and no apology besides"


def button_update(update_id: int, user_id: int) -> dict[str, object]:
    chat = {"id": user_id, "type": "private"}
    sender = {"id": user_id, "is_bot": False, "first_name": "Sam"}
    message = {"message_id": update_id, "date": 0, "chat": chat, "from": sender, "text": "Pick one"}
    return {
        "update_id": update_id,
        "callback_query": {"id": "q1", "from": sender, "chat_instance": "c", "message": message, "data": "x"},
    }


def group_update(update_id: int, user_id: int) -> dict[str, object]:
    update = message_update(update_id, user_id, "hello all")
    update["message"]["chat"] = {"id": -100, "type": "group", "title": "Walkers"}  # type: ignore[index]
    return update


async def test_a_given_up_update_without_a_kept_reply_tells_the_member_to_try_again(database: Database) -> None:
    updates = [message_update(60, 9, "I am not safe"), button_update(61, 10), group_update(62, 11)]
    sent = await give_up(database, updates)  # type: ignore[arg-type]
    assert sorted((message.chat_id, message.text, message.buttons) for message in sent) == [
        (9, GIVEN_UP_REPLY[0][0], []),
        (10, GIVEN_UP_REPLY[0][0], []),
    ], "one apology to each member's private chat (a message, a button press); none to the group"
    text = GIVEN_UP_REPLY[0][0]
    assert len(GIVEN_UP_REPLY) == 1 and "try sending it again" in text
    assert "Samaritans" in text and "116 123" in text and "999" in text, "the crisis help, in case it mattered"


async def test_without_a_given_up_reply_a_given_up_update_sends_nothing(database: Database) -> None:
    assert await give_up(database, [message_update(70, 12, "hello")], given_up_reply=None) == []


async def test_handled_updates_finishing_together_are_forgotten_in_one_batch_and_only_while_ours(
    database: Database,
) -> None:
    async with database.units() as uow:
        for update_id, user in ((40, 7), (41, 8), (42, 9)):
            update = message_update(update_id, user, "hello")
            await uow.inbox.add(update_id, sender_key(update, b"test"), update, NOW)
        await uow.commit()
    async with database.units() as uow:
        claimed = {item.update_id: item.attempts for item in await uow.inbox.claim(NOW, 5, LEASE)}
        await uow.commit()
    async with database.units() as uow:  # 42's lease lapsed and another claimer has it now
        (taken,) = await uow.inbox.claim(NOW + LEASE + timedelta(seconds=1), 5, LEASE, exclude=[40, 41])
        await uow.commit()
    assert taken.update_id == 42
    async with database.units() as uow:
        forgotten = await uow.inbox.done_many([(40, claimed[40]), (41, claimed[41]), (42, claimed[42])])
        await uow.commit()
    assert forgotten == {40, 41}
    assert await stored_ids(database) == [42], "the other claimer's update is left to it"


async def test_a_processor_forgets_updates_that_finish_together_in_one_transaction(database: Database) -> None:
    async with database.units() as uow:
        for update_id in range(50, 56):
            update = message_update(update_id, update_id, "hello")
            await uow.inbox.add(update_id, sender_key(update, b"test"), update, NOW)
        await uow.commit()
    handled: list[int] = []
    commits = 0
    units = database.units

    class CountingUnits:
        def __call__(self) -> Any:
            unit = units()
            commit = unit.commit

            async def counted() -> None:
                nonlocal commits
                commits += 1
                await commit()

            unit.commit = counted  # type: ignore[method-assign]
            return unit

    async def handle(payload: dict[str, Any]) -> None:
        handled.append(payload["update_id"])

    processor = InboxProcessor(CountingUnits(), handle, concurrency=10, clock=Clock())  # type: ignore[arg-type]
    await processor.round()  # one claim for all six
    await processor.drain()
    assert sorted(handled) == list(range(50, 56))
    assert await stored_ids(database) == []
    assert commits == 2, "one transaction to claim the six, one to forget them"


async def test_forgetting_a_batch_never_deadlocks_with_another_instance_renewing_the_same_rows(
    database: Database,
) -> None:
    if database.backend != "postgresql":
        pytest.skip("row locks between instances: PostgreSQL only (SQLite runs one instance)")
    async with database.units() as uow:
        for update_id, user in ((60, 7), (61, 8)):
            update = message_update(update_id, user, "hello")
            await uow.inbox.add(update_id, sender_key(update, b"test"), update, NOW)
        await uow.commit()
    async with database.units() as uow:
        claimed = sorted((item.update_id, item.attempts) for item in await uow.inbox.claim(NOW, 5, LEASE))
        await uow.commit()
    async with database.units() as uow:  # 60's new row version now lies after 61's in the table
        await uow.inbox.renew([claimed[0]], NOW + LEASE)
        await uow.commit()
    async with database.units() as renewing:  # another instance renews 60, then 61, in one transaction
        await renewing.inbox.renew([claimed[0]], NOW + 2 * LEASE)
        forgetting = asyncio.create_task(_forget_both(database, claimed))
        await asyncio.sleep(0.3)  # the batch delete is now waiting for 60
        await renewing.inbox.renew([claimed[1]], NOW + 2 * LEASE)  # a deadlock, if the delete had locked 61 first
        await renewing.commit()
    assert await asyncio.wait_for(forgetting, 10) == {60, 61}
    assert await stored_ids(database) == []


async def _forget_both(database: Database, leases: list[tuple[int, int]]) -> set[int]:
    async with database.units() as uow:  # a table scan, as on a small inbox: rows met in the table's own order
        await uow.session.execute(text("SET LOCAL enable_indexscan = off"))
        await uow.session.execute(text("SET LOCAL enable_bitmapscan = off"))
        forgotten = await uow.inbox.done_many(leases)
        await uow.commit()
        return forgotten
