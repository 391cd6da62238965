"""The broadcast job: send each delivery once, within Telegram's limits, and show the coordinator how it goes.

A few deliveries at a time are leased ("sending", committed before any request) and their results written in
small groups, so that a crash leaves only a handful in doubt; those are counted "uncertain" and never sent again.
Pacing is the bot's shared send limit (or the `limiter` given here for a bot without one). Paid broadcasts
(`allow_paid_broadcast`) are never used.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.metrics import METRICS
from bot.telegram.aiohttp_request import may_have_arrived
from bot.telegram.limiter import SendLimiter
from bot.telegram.render import MAX_TEXT, keyboard
from bot.telegram.sending import retry_seconds
from flows.broadcast import shown_count
from flows.broadcast_counts import after_sending
from flows.broadcast_message import member_message
from flows.broadcast_model import AudienceFilter
from flows.outcome import Reply, Text, reply
from flows.texts import Catalogue
from models.broadcast_deliveries import LEASE, LeasedDelivery, Outcome, Result
from models.broadcasts import DeliveryCounts, ProgressTarget
from models.unit_of_work import UnitOfWorkFactory

log = logging.getLogger("cairn.jobs.broadcasts")

FLUSH_SECONDS = 0.25
PROGRESS_EVERY = timedelta(seconds=5)
MAX_ATTEMPTS = 8
STOP_SECONDS = 5.0
"""On shutdown, how long sends already in flight may take to be answered."""
WAIT_FOR_RETRY = 3.0
"""A retry due within this many seconds is waited for in the same tick; later ones are left to the next tick."""


@dataclass(frozen=True)
class BroadcastTick:
    """What one tick did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    unreachable: int = 0
    uncertain: int = 0
    expired: int = 0


class BroadcastJob:
    """Sends broadcast deliveries; safe to run in several instances at once on PostgreSQL."""

    def __init__(
        self,
        units: UnitOfWorkFactory,
        catalogue: Catalogue,
        clock: Callable[[], datetime],
        *,
        rate: float = 30.0,
        limiter: SendLimiter | None = None,
        lease: timedelta = LEASE,
        progress_every: timedelta = PROGRESS_EVERY,
    ) -> None:
        """Wire storage, texts and the clock; the group size follows the rate (about 0.3 s of sending)."""
        self._units = units
        self._catalogue = catalogue
        self._clock = clock
        self._limiter = limiter
        self._lease = lease
        self._progress_every = progress_every
        self.group = max(5, min(10, math.ceil(rate * 0.3)))
        self._messages: dict[int, tuple[str, InlineKeyboardMarkup | None]] = {}
        self._progress_task: asyncio.Task[None] | None = None
        self._progress_due = 0.0
        self._stopping = False

    def stop(self) -> None:
        """Finish the sends in flight, hand back the rest of the lease and stop (the bot is shutting down)."""
        self._stopping = True

    async def tick(self, bot: Bot) -> BroadcastTick:
        """Start queued broadcasts, send what is due, close finished ones."""
        if self._stopping:
            return BroadcastTick()
        now = self._clock()
        async with self._units() as uow:
            expired = await uow.broadcast_deliveries.expire_leases(now)
            started = await uow.broadcasts.start_queued(now)
            await uow.commit()
        if expired:
            log.warning("broadcast_leases_expired uncertain=%d", expired)
        if started:
            log.info("broadcast_started count=%d", len(started))
            self._progress_due = 0.0
        totals: Counter[Result] = Counter()
        try:
            await self._send_due(bot, totals)
        finally:
            if self._progress_task is not None:
                with contextlib.suppress(Exception):
                    await self._progress_task
        await self._finish(bot)
        tick = BroadcastTick(
            totals[Result.SENT],
            totals[Result.RETRY],
            totals[Result.FAILED],
            totals[Result.UNREACHABLE],
            totals[Result.UNCERTAIN],
            expired,
        )
        METRICS.delivered("broadcasts", "sent", tick.sent)
        METRICS.delivered("broadcasts", "retry", tick.retried)
        METRICS.delivered("broadcasts", "failed", tick.failed + tick.unreachable + tick.uncertain)
        if any(totals.values()):
            log.info(
                "broadcast_tick sent=%d retried=%d failed=%d unreachable=%d uncertain=%d",
                tick.sent,
                tick.retried,
                tick.failed,
                tick.unreachable,
                tick.uncertain,
            )
        return tick

    async def _send_due(self, bot: Bot, totals: Counter[Result]) -> None:
        """Keep at most one group leased; write results every half group or FLUSH_SECONDS."""
        queue: asyncio.Queue[LeasedDelivery] = asyncio.Queue()
        done: list[Outcome] = []
        handed_back: list[LeasedDelivery] = []
        wake = asyncio.Event()
        in_flight = 0

        async def work() -> None:
            nonlocal in_flight
            while True:
                item = await queue.get()
                in_flight += 1
                try:
                    outcome = await self._deliver(bot, item)
                except Exception as error:  # a fault of ours, maybe after the request went: in doubt, not resent
                    log.error("broadcast_send_failed error=%s", type(error).__name__)
                    outcome = Outcome(item, Result.UNCERTAIN)
                in_flight -= 1
                done.append(outcome)
                wake.set()

        workers = [asyncio.create_task(work()) for _ in range(self.group)]
        flushed_at = next_lease = time.monotonic()
        stop_by: float | None = None
        try:
            while True:
                if self._stopping:  # hand back what has not started; let what is in flight finish, briefly
                    handed_back += [queue.get_nowait() for _ in range(queue.qsize())]
                    stop_by = stop_by or time.monotonic() + STOP_SECONDS
                    if not in_flight or time.monotonic() > stop_by:
                        return
                busy = queue.qsize() + in_flight
                moment = time.monotonic()
                lease_now = not self._stopping and busy <= self.group // 2 and moment >= next_lease
                want = self.group - busy if lease_now else 0
                flush = bool(done) and (len(done) >= self.group // 2 or moment - flushed_at >= FLUSH_SECONDS)
                if want or flush:
                    finished, done[:] = list(done), []
                    leased = await self._cycle(finished, want)
                    totals.update(outcome.result for outcome in finished)
                    flushed_at = time.monotonic()
                    for item in leased:
                        queue.put_nowait(item)
                    if want and len(leased) < want:  # nothing more due now: look again a little later
                        next_lease = flushed_at + FLUSH_SECONDS
                    if not leased and not queue.qsize() and not in_flight and not done:
                        delay = await self._next_due_in()
                        if delay is None or delay > WAIT_FOR_RETRY:
                            return
                        await asyncio.sleep(max(delay, 0.05))
                        next_lease = 0.0
                        continue
                self._maybe_show_progress(bot)
                wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), FLUSH_SECONDS)
        finally:
            for worker in workers:  # a send still in flight stays "sending": in doubt, never sent twice
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            unsent = handed_back + [queue.get_nowait() for _ in range(queue.qsize())]
            await self._settle(done, unsent, totals)

    async def _cycle(self, finished: Sequence[Outcome], want: int) -> list[LeasedDelivery]:
        """Write results and lease the next few, in one short transaction."""
        now = self._clock()
        async with self._units() as uow:
            if finished:
                await uow.broadcast_deliveries.record(finished, now)
            leased = await uow.broadcast_deliveries.lease(now, want, self._lease) if want else []
            for broadcast_id in {item.broadcast_id for item in leased} - set(self._messages):
                message = await uow.broadcasts.message(broadcast_id)
                if message is not None:
                    shown = member_message(message.text, message.card, message.organisation_name)
                    text = self._catalogue.render_reply(shown)[:MAX_TEXT]
                    self._messages[broadcast_id] = (text, keyboard(shown, self._catalogue))
            await uow.commit()
        return leased

    async def _settle(self, done: list[Outcome], unsent: list[LeasedDelivery], totals: Counter[Result]) -> None:
        """On the way out (also when stopped): write results, hand back what was leased but never sent."""
        if not done and not unsent:
            return
        try:
            async with self._units() as uow:
                await uow.broadcast_deliveries.record(done, self._clock())
                await uow.broadcast_deliveries.release(unsent, self._clock())
                await uow.commit()
            totals.update(outcome.result for outcome in done)
        except Exception as error:  # what is not written stays "sending" and is counted uncertain: never twice
            log.error("broadcast_settle_failed error=%s", type(error).__name__)

    async def _next_due_in(self) -> float | None:
        async with self._units() as uow:
            due = await uow.broadcast_deliveries.next_due()
        return None if due is None else (due - self._clock()).total_seconds()

    async def _deliver(self, bot: Bot, item: LeasedDelivery) -> Outcome:
        """Send one copy; say what Telegram answered."""
        cached = self._messages.get(item.broadcast_id)
        if cached is None:
            return Outcome(item, Result.FAILED)
        text, markup = cached
        if self._limiter is not None:
            await self._limiter.acquire(item.chat_id)
        try:
            await bot.send_message(item.chat_id, text, reply_markup=markup)
        except RetryAfter as error:
            seconds = retry_seconds(error.retry_after)
            if self._limiter is not None:
                self._limiter.pause(seconds)
            log.warning("broadcast_rate_limited retry_after=%.1f", seconds)
            return Outcome(item, Result.RETRY, self._clock() + timedelta(seconds=seconds))
        except Forbidden:
            return Outcome(item, Result.UNREACHABLE, reason="blocked")
        except BadRequest as error:
            if "chat not found" in error.message.lower():
                return Outcome(item, Result.UNREACHABLE, reason="chat_not_found")
            log.warning("broadcast_refused reason=%s", error.message.split(":", 1)[0][:60])
            return Outcome(item, Result.FAILED)
        except TimedOut as error:
            if may_have_arrived(error):  # it may have reached Telegram: never twice
                log.warning("broadcast_answer_timed_out")
                return Outcome(item, Result.UNCERTAIN)
            return self._later(item, type(error).__name__)
        except NetworkError as error:  # 5xx and connection errors
            return self._later(item, type(error).__name__)
        except TelegramError as error:
            log.warning("broadcast_error error=%s", type(error).__name__)
            return Outcome(item, Result.FAILED)
        return Outcome(item, Result.SENT)

    def _later(self, item: LeasedDelivery, error: str) -> Outcome:
        if item.attempts >= MAX_ATTEMPTS:
            log.warning("broadcast_gave_up error=%s attempts=%d", error, item.attempts)
            return Outcome(item, Result.FAILED)
        seconds = min(2.0**item.attempts, 300.0)
        log.warning("broadcast_network_error error=%s retry_in=%.0f", error, seconds)
        return Outcome(item, Result.RETRY, self._clock() + timedelta(seconds=seconds))

    def _maybe_show_progress(self, bot: Bot) -> None:
        """Edit the coordinators' progress messages now and then, in the background (never holding up sends)."""
        moment = time.monotonic()
        if moment < self._progress_due or (self._progress_task is not None and not self._progress_task.done()):
            return
        self._progress_due = moment + self._progress_every.total_seconds()
        self._progress_task = asyncio.create_task(self._show_progress(bot))

    async def _show_progress(self, bot: Bot) -> None:
        try:
            now = self._clock()
            async with self._units() as uow:
                shown = []
                for target in await uow.broadcasts.progress_targets():
                    if await uow.broadcasts.claim_progress(target.broadcast_id, now, self._progress_every):
                        shown.append((target, await uow.broadcasts.counts(target.broadcast_id)))
                await uow.commit()
            for target, counts in shown:
                await self._show(bot, target, counts, done=False)
        except Exception as error:  # progress is a courtesy: it never stops delivery
            log.warning("broadcast_progress_failed error=%s", type(error).__name__)

    async def _finish(self, bot: Bot) -> None:
        now = self._clock()
        async with self._units() as uow:
            finished = await uow.broadcasts.finish_done(now)
            targets = await uow.broadcasts.progress_targets(finished) if finished else []
            shown = [(target, await uow.broadcasts.counts(target.broadcast_id)) for target in targets]
            await uow.commit()
        for target, counts in shown:
            self._messages.pop(target.broadcast_id, None)
            log.info(
                "broadcast_finished sent=%d failed=%d uncertain=%d skipped=%d",
                counts.sent,
                counts.failed,
                counts.uncertain,
                counts.skipped,
            )
            await self._show(bot, target, counts, done=True)

    async def _show(self, bot: Bot, target: ProgressTarget, counts: DeliveryCounts, *, done: bool) -> None:
        """Send or edit one progress message; a failed edit is skipped."""
        if target.chat_id is None:
            return
        text = self._catalogue.render_reply(
            progress_reply(target.recipients, counts, done=done, narrowed=target.narrowed)
        )
        try:
            if self._limiter is not None:
                await self._limiter.acquire(target.chat_id)
            if target.message_id is None:
                message = await bot.send_message(target.chat_id, text)
                async with self._units() as uow:
                    await uow.broadcasts.set_progress_message(target.broadcast_id, message.message_id)
                    await uow.commit()
            else:
                await bot.edit_message_text(text, target.chat_id, target.message_id)
        except RetryAfter as error:
            if self._limiter is not None:
                self._limiter.pause(retry_seconds(error.retry_after))
            log.info("broadcast_progress_skipped reason=rate_limited")
        except TelegramError as error:
            log.info("broadcast_progress_skipped reason=%s", type(error).__name__)


def progress_reply(total: int, counts: DeliveryCounts, *, done: bool, narrowed: bool = False) -> Reply:
    """The coordinator's progress message: sent, failed, left; and a final "Done". Counts follow the small-number
    rule of audience counts (flows.broadcast_counts.after_sending): under 10 never shown, and never exact for news
    sent to an area or to interests."""
    audience = AudienceFilter(area="narrowed") if narrowed else AudienceFilter()

    def shown(count: int) -> Text | str:
        return shown_count(after_sending(count, audience))

    numbers = {"total": shown(total), "sent": shown(counts.sent), "failed": shown(counts.failed),
               "left": shown(counts.left)}  # fmt: skip
    if not done:
        return reply(Text("broadcast.progress", numbers))
    parts = [Text("broadcast.done", numbers)]
    if counts.uncertain:
        parts.append(Text("broadcast.done_uncertain", {"count": shown(counts.uncertain)}))
    if counts.skipped:
        parts.append(Text("broadcast.done_skipped", {"count": shown(counts.skipped)}))
    return reply(*parts)
