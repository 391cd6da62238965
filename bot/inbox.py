"""The inbox, both ways in: store updates durably before Telegram forgets them, then handle them from here.

`store_updates` is called by the webhook before it answers 200 and by the poller before it asks for the next
offset (that request is what confirms a batch to Telegram), so an update Telegram no longer holds is always in our
database. `InboxProcessor` claims each member's oldest stored update, hands it to PTB, then forgets it.

Several instances may run the processor against one PostgreSQL: a claim takes only the oldest waiting update of a
member and never one whose earlier update is still in flight anywhere, so one member's updates are handled one at
a time, in update_id order. A claim is a short lease (LEASE), renewed every third of it while the update is being
handled (draining at shutdown included): a process that dies loses its leases within LEASE, and the update is
handled again by whoever claims it next; processed_updates makes that second handling a no-op if the first one
had committed. On SQLite, the single-instance default, a process at start hands back every lease at once: they can
only belong to a process that is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import Update

from bot.logs import where
from bot.metrics import METRICS
from bot.telegram.lean_update import without_old_keyboard
from bot.telegram.ordering import ordering_key
from models.inbox import MAX_ATTEMPTS, ClaimedUpdate
from models.unit_of_work import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger("cairn.inbox")

Message = tuple[str, list[list[tuple[str, str]]]]  # text and button rows, as the outbox sends them

LEASE = timedelta(seconds=15)  # how long a dead process can hold an update; renewed every third of it while alive
POLL_SECONDS = 0.5
SENDER_KEY_PURPOSE = "inbox-sender-key"
__all__ = ["LEASE", "MAX_ATTEMPTS", "SENDER_KEY_PURPOSE", "InboxProcessor", "sender_key", "store_updates"]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def sender_key(data: dict[str, Any], secret: bytes) -> str:
    """Return the key that orders an update: an HMAC of its user (or chat), or its own id when it has neither.

    The HMAC is keyed with a secret derived from the data key (DataCipher.derive_secret(SENDER_KEY_PURPOSE)), so a
    stored key cannot be turned back into a Telegram id by hashing every possible id.
    """
    return _readable_and_keyed(data, secret)[1]


def _readable_and_keyed(data: dict[str, Any], secret: bytes) -> tuple[dict[str, Any], str]:
    """The update as it is to be stored, and its sender key, from one parse.

    An update PTB cannot parse is stored bare (`{"update_id": N}`), under its own id: it is handled on its own and
    the handler ignores it, and its content (member text, perhaps) is never kept or logged.
    """
    try:
        key = ordering_key(Update.de_json(without_old_keyboard(data), None))
    except Exception as error:
        log.error("update_unparseable update_id=%s error=%s", data["update_id"], type(error).__name__)
        return {"update_id": data["update_id"]}, f"update:{data['update_id']}"
    if key is None:
        return data, f"update:{data['update_id']}"
    return data, hmac.new(secret, str(key).encode(), hashlib.sha256).hexdigest()[:40]


async def store_updates(units: UnitOfWorkFactory, updates: Sequence[dict[str, Any]], now: datetime) -> int:
    """Commit updates to the inbox in one statement and transaction; return how many were new.

    Idempotent on update_id: an update already waiting is left as it is, and one stored again after it was
    handled (Telegram sent it again) is handled as a duplicate, with no second effect (processed_updates).
    """
    async with units() as uow:
        secret = uow.cipher.derive_secret(SENDER_KEY_PURPOSE)
        keyed = [_readable_and_keyed(data, secret) for data in updates]
        stored = await uow.inbox.add_many([(data["update_id"], key, data) for data, key in keyed], now)
        await uow.commit()
    return stored


class InboxProcessor:
    """Claims stored updates and handles them, up to `concurrency` at once, until told to stop."""

    def __init__(
        self,
        units: UnitOfWorkFactory,
        handle: Callable[[dict[str, Any]], Awaitable[None]],
        *,
        concurrency: int,
        clock: Callable[[], datetime] = _utc_now,
        lease: timedelta = LEASE,
        poll_seconds: float = POLL_SECONDS,
        hold: bool = False,
        single_instance: bool = False,
        given_up_reply: Sequence[Message] | None = None,
    ) -> None:
        """Wire storage and the handler; `hold` (tests only) stores updates without handling them.

        `single_instance` (SQLite): no other process can be handling these updates, so leases found at start
        belong to a process that died, and are handed back at once instead of waiting for them to lapse.
        `given_up_reply` (the rendered catalogue text flows.assistance.given_up_reply): sent through the outbox to
        a member whose private message or button press is given up with no kept reply, so they are not left
        unanswered; None sends nothing.
        """
        self._units = units
        self._handle = handle
        self._concurrency = max(1, concurrency)
        self._clock = clock
        self._lease = lease
        self._poll_seconds = poll_seconds
        self._hold = hold
        self._single_instance = single_instance
        self._given_up_reply = list(given_up_reply or [])
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._tokens: dict[int, int] = {}  # update_id -> attempts at our claim: the lease token
        self._lost: set[int] = set()  # in flight, but the lease could not be renewed: no longer ours
        self._exited = False
        self._wake = asyncio.Event()
        self._stopping = False
        self._renewed = time.monotonic()
        self._finishing: list[tuple[ClaimedUpdate, asyncio.Future[bool]]] = []  # handled, row not yet deleted
        self._forgetter: asyncio.Task[None] | None = None

    @property
    def in_flight(self) -> int:
        """Count updates being handled now."""
        return len(self._in_flight)

    def wake(self) -> None:
        """Look for work now (an update was just stored, or one was just handled)."""
        self._wake.set()

    def stop_claiming(self) -> None:
        """Claim nothing more; updates in flight carry on."""
        self._stopping = True
        self._wake.set()

    @property
    def healthy(self) -> bool:
        """False once run() has ended other than by stop_claiming() (the processor died), or while holding."""
        return not self._hold and not (self._exited and not self._stopping)

    async def run(self) -> None:
        """Claim and handle updates until stop_claiming() is called."""
        if self._single_instance:
            await self._release_dead_leases()
        try:
            while not self._stopping:
                self._wake.clear()
                await self.round()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll_seconds)
        except Exception as error:  # a bug: /readyz now fails (cancellation at shutdown is not logged as one)
            log.critical("inbox_processor_died error=%s at %s", type(error).__name__, where(error))
            raise
        finally:
            self._exited = True

    async def round(self) -> None:
        """One round: renew our leases, claim what there is room for; the tick counts only if both worked.

        Renewing first, and never claiming an update we are still handling (its lease may have lapsed while the
        database was away), means one update is never handled twice at once by this process.
        """
        renewed_ok = await self._renew_leases()
        claimed_ok = True
        free = self._concurrency - len(self._in_flight)
        if free > 0 and not self._hold:
            claimed = await self._claim(free)
            claimed_ok = claimed is not None
            for item in claimed or []:
                if item.unreadable:  # kept leased: its member's later updates wait; tried again when it lapses
                    METRICS.inbox_problem("unreadable")
                    continue
                self._tokens[item.update_id] = item.attempts
                self._in_flight[item.update_id] = asyncio.create_task(self._process(item))
        if claimed_ok and renewed_ok:
            METRICS.ticked("inbox")
        else:
            METRICS.job_failed("inbox")

    async def drain(self) -> None:
        """Wait for the updates in flight to be handled, renewing their leases meanwhile."""
        while self._in_flight:
            await asyncio.wait(list(self._in_flight.values()), timeout=self._poll_seconds)
            await self._renew_leases()

    async def _release_dead_leases(self) -> None:
        """Hand back every lease (single instance: they belong to a process that died), so they are claimed now: the
        inbox's, and the outbox's (a message a dead process was sending would otherwise wait out its 2 minutes)."""
        try:
            async with self._units() as uow:
                released = await uow.inbox.release_all()
                messages = await uow.outbox.release_dead_leases(self._clock())  # a crisis reply, an alert: now
                await uow.commit()
        except Exception as error:  # they lapse on their own within LEASE (the outbox's within its own)
            log.error("inbox_release_failed error=%s at %s", type(error).__name__, where(error))
            return
        if released:
            log.warning("inbox_dead_leases_released count=%d", released)
        if messages:
            log.warning("outbox_dead_leases_released count=%d", messages)

    async def release_in_flight(self, wait_seconds: float = 1.0) -> None:
        """Hand back the leases of updates still in flight (shutdown was cut short), so a restart takes them now.

        Their handlers are cancelled first (and given `wait_seconds` to unwind): an update is never handed back
        while this process may still be handling it.
        """
        if not self._in_flight:
            return
        leases = self._leases()
        tasks = list(self._in_flight.values())
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks, timeout=wait_seconds)
        if any(not task.done() for task in tasks):
            log.warning("inbox_handlers_still_running count=%d", sum(not task.done() for task in tasks))
            return  # their leases lapse on their own, once they stop renewing
        try:
            async with self._units() as uow:
                await uow.inbox.release(leases)
                await uow.commit()
        except Exception as error:  # the leases lapse on their own
            log.error("inbox_release_failed error=%s at %s", type(error).__name__, where(error))

    def _leases(self) -> list[tuple[int, int]]:
        return [(update_id, token) for update_id, token in self._tokens.items() if update_id not in self._lost]

    async def _claim(self, limit: int) -> list[ClaimedUpdate] | None:
        """Claim updates; None if the claim failed (the database is away: try again on the next round)."""
        try:
            async with self._units() as uow:
                claimed = await uow.inbox.claim(self._clock(), limit, self._lease, exclude=list(self._in_flight))
                await uow.commit()
        except Exception as error:
            log.error("inbox_claim_failed error=%s at %s", type(error).__name__, where(error))
            return None
        return claimed

    async def _process(self, item: ClaimedUpdate) -> None:
        try:
            if item.given_up or item.payload is None:
                METRICS.inbox_problem("given_up")
                await self._give_up(item)
                return
            await self._handle(item.payload)
        except Exception as error:  # an update PTB cannot even parse: drop it rather than retry forever
            log.error("inbox_update_failed error=%s at %s", type(error).__name__, where(error))
        try:
            await self._forget(item)
        finally:
            self._finished(item)

    def _finished(self, item: ClaimedUpdate) -> None:
        """Stop tracking an update, unless what is tracked now is a later claim of it (another task's)."""
        try:
            if self._tokens.get(item.update_id) == item.attempts:
                self._in_flight.pop(item.update_id, None)
                self._tokens.pop(item.update_id, None)
                self._lost.discard(item.update_id)
        finally:
            self._wake.set()

    async def _give_up(self, item: ClaimedUpdate) -> None:
        """Delete an update tried too often; a reply kept with it (a safety reply never sent) goes to the outbox
        in the same transaction, so giving up never loses what the member must be told. With no kept reply, a
        member's private message or button press gets the fixed given-up reply (try again, crisis help) instead.

        If this fails (the database is away) the row stays: its lease lapses and it is given up again.
        """
        try:
            try:
                async with self._units() as uow:
                    try:
                        kept = await uow.inbox.kept_reply(item.update_id)
                    except ValueError:  # the reply was kept under a key that was removed
                        kept = None
                        log.error("inbox_kept_reply_unreadable attempts=%d", item.attempts)
                    sent = await self._send_kept(uow, item, kept) if kept else 0
                    apologised = 0 if kept else await self._send_given_up_reply(uow, item)
                    ours = await uow.inbox.done(item.update_id, item.attempts)
                    if ours:
                        await uow.commit()
            except Exception as error:
                log.error("inbox_give_up_failed error=%s at %s", type(error).__name__, where(error))
                return
            if not ours:
                log.warning("inbox_update_lease_lost attempts=%d", item.attempts)
                return
            log.error(
                "inbox_update_given_up attempts=%d kept_messages=%d sent_to_outbox=%d apology_to_outbox=%d",
                item.attempts,
                len(kept or []),
                sent,
                apologised,
            )
        finally:
            self._finished(item)

    async def _send_kept(self, uow: UnitOfWork, item: ClaimedUpdate, kept: list[Message]) -> int:
        """Enqueue a kept reply to the chat the update came from; 0 when that chat cannot be read any more."""
        update = await self._stored_update(uow, item)
        chat = update.effective_chat if update else None
        if update is None or chat is None:
            log.error("inbox_kept_reply_lost attempts=%d messages=%d", item.attempts, len(kept))
            return 0
        return await self._enqueue(uow, update, chat.id, kept)

    async def _send_given_up_reply(self, uow: UnitOfWork, item: ClaimedUpdate) -> int:
        """Enqueue the given-up reply to a user's private chat, for a message or button press; else 0."""
        if not self._given_up_reply:
            return 0
        update = await self._stored_update(uow, item)
        if update is None or (update.message is None and update.callback_query is None):
            return 0
        chat, user = update.effective_chat, update.effective_user
        if chat is None or chat.type != chat.PRIVATE or user is None or user.is_bot:
            return 0
        return await self._enqueue(uow, update, chat.id, self._given_up_reply)

    async def _stored_update(self, uow: UnitOfWork, item: ClaimedUpdate) -> Update | None:
        """The update as stored, read by PTB; None when it is gone or cannot be read."""
        payload = await uow.inbox.payload(item.update_id)
        try:
            return Update.de_json(payload, None) if payload else None
        except Exception:  # a payload PTB cannot read
            return None

    async def _enqueue(self, uow: UnitOfWork, update: Update, chat_id: int, messages: Sequence[Message]) -> int:
        """Put messages in the outbox for a chat, as replies to the update's member (if they are one)."""
        user = update.effective_user
        member = await uow.members.by_telegram_user(user.id) if user else None
        now = self._clock()
        for text, rows in messages:
            await uow.outbox.enqueue(member.id if member else None, chat_id, "reply", text, rows, now)
        return len(messages)

    async def _forget(self, item: ClaimedUpdate) -> None:
        """Delete a handled update's row while its lease is ours, trying again for up to a lease while the
        database is away: an update that was answered with an apology must not be handled a second time.
        """
        deadline = time.monotonic() + self._lease.total_seconds()
        failures = 0
        while item.update_id not in self._lost:
            try:
                ours = await self._forget_in_batch(item)
            except Exception as error:
                failures += 1
                if time.monotonic() >= deadline:  # the lease lapses and the update comes round again
                    log.error("inbox_done_failed error=%s at %s tries=%d", type(error).__name__, where(error), failures)
                    return
                await asyncio.sleep(min(1.0, self._lease.total_seconds() / 10))
            else:
                if failures:
                    log.warning("inbox_done_after_retries tries=%d", failures + 1)
                if not ours:  # the lease lapsed and another claimer has the update now
                    log.warning("inbox_done_not_ours attempts=%d", item.attempts)
                return
        log.warning("inbox_update_lease_lost attempts=%d", item.attempts)  # another instance may hold it now

    async def _forget_in_batch(self, item: ClaimedUpdate) -> bool:
        """Delete a handled update's row together with those of every other update finishing now, in one
        transaction; True if the lease was still ours. Raises what the transaction raised."""
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._finishing.append((item, answer))
        if self._forgetter is None or self._forgetter.done():
            self._forgetter = asyncio.create_task(self._forget_batches())
        return await answer

    async def _forget_batches(self) -> None:
        """Delete the rows of finished updates, a batch at a time, until none are waiting."""
        batch: list[tuple[ClaimedUpdate, asyncio.Future[bool]]] = []
        try:
            while self._finishing:
                await asyncio.sleep(0)  # updates finishing in this turn of the loop join the batch
                batch, self._finishing = self._finishing, []
                waiting = [(item, answer) for item, answer in batch if not answer.done()]  # not cancelled
                if not waiting:
                    continue
                try:
                    async with self._units() as uow:
                        forgotten = await uow.inbox.done_many([(item.update_id, item.attempts) for item, _ in waiting])
                        await uow.commit()
                except Exception as error:  # each update's _forget decides whether to try again
                    for _, answer in waiting:
                        if not answer.done():
                            answer.set_exception(error)
                else:
                    for item, answer in waiting:
                        if not answer.done():
                            answer.set_result(item.update_id in forgotten)
                batch = []
        finally:  # cancelled (shutdown): nobody is left waiting for ever
            left, self._finishing = [*batch, *self._finishing], []
            for _, answer in left:
                answer.cancel()

    async def _renew_leases(self) -> bool:
        """Extend the leases in flight; an update whose lease is no longer ours is marked lost. False on failure."""
        if not self._in_flight or time.monotonic() - self._renewed < self._lease.total_seconds() / 3:
            return True
        self._renewed = time.monotonic()
        leases = self._leases()
        try:
            async with self._units() as uow:
                renewed = await uow.inbox.renew(leases, self._clock() + self._lease)
                await uow.commit()
        except Exception as error:  # whether the leases still hold is unknown; done() only acts while they do
            log.error("inbox_renew_failed error=%s at %s", type(error).__name__, where(error))
            return False
        for update_id, token in leases:
            if update_id not in renewed and self._tokens.get(update_id) == token:  # not just finished and forgotten
                self._lost.add(update_id)
                log.error("inbox_lease_lost attempts=%d", token)
        return True
