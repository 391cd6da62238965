"""The check-in prompt job: claim due plans, then send the owed prompts within Telegram's limits.

At most once (hazard H14): each prompt is marked "sending" (committed) just before its request, and one left
"sending" by a process that died is counted in doubt and never sent again, so a crash can cost a member one
prompt but never sends one twice. Its plan has already moved on to the next due time when it was claimed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.jobs.delivery import deliver_leased
from bot.metrics import METRICS
from bot.telegram.render import keyboard
from bot.telegram.sending import retry_seconds
from flows.checkin import prompt_reply
from flows.engagement import gentle_nudge, needs_gentle_nudge
from flows.schedule import next_due
from flows.texts import Catalogue
from models.prompts import LeasedPrompt
from models.unit_of_work import UnitOfWorkFactory

log = logging.getLogger("cairn.jobs.prompts")

NETWORK_RETRY = timedelta(seconds=30)
LEASE_MARGIN = timedelta(seconds=15)  # a prompt still waiting this close to its lease's end is handed back, not sent
GIVE_UP = frozenset({"blocked", "failed"})  # "retry", "released" and "expired" go back to pending
SKIPPED = "skipped"  # cancelled (or leased by another instance) between the lease and the send: nothing to write


@dataclass(frozen=True)
class PromptTick:
    """What one tick did."""

    claimed: int
    sent: int
    retried: int
    failed: int
    in_doubt: int = 0  # left "sending" by a process that died mid-request: counted, never sent again


class PromptJob:
    """Claims due prompts and sends them; safe to run in several instances at once."""

    def __init__(
        self,
        units: UnitOfWorkFactory,
        catalogue: Catalogue,
        clock: Callable[[], datetime],
        batch: int = 500,
        concurrency: int = 8,
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        """Wire storage, texts and the clock; pacing is the bot's shared send limiter; `stopping` ends claiming."""
        self._units = units
        self._stopping = stopping
        self._clock = clock
        self._batch = batch
        self._concurrency = concurrency
        reply = prompt_reply()
        self._text = catalogue.render_reply(reply)
        self._markup = keyboard(reply, catalogue)
        self._nudge = catalogue.render_reply(gentle_nudge())

    async def tick(self, bot: Bot) -> PromptTick:
        """Claim everything due now, then send what is owed until nothing is left to lease."""
        now = self._clock()
        async with self._units() as uow:
            in_doubt = await uow.prompts.expire_sending(now)
            await uow.commit()
        if in_doubt:
            log.warning("prompts_in_doubt count=%d", in_doubt)  # not resent: the member may have had them
            METRICS.delivered("prompts", "uncertain", in_doubt)
        claimed = 0
        while not self._stopping():
            async with self._units() as uow:
                count = await uow.prompts.claim_due(now, self._batch, next_due)
                await uow.commit()
            claimed += count
            if count < self._batch:
                break
        results = await deliver_leased(
            self._lease,
            lambda prompt: self._send(bot, prompt),
            self._mark,
            ahead=self._batch // 2,
            concurrency=self._concurrency,
        )
        statuses = [status for status, _ in results if status != SKIPPED]
        failed = sum(status in GIVE_UP for status in statuses)
        totals = (statuses.count("sent"), len(statuses) - statuses.count("sent") - failed, failed)
        for result, count in zip(("sent", "retry", "failed"), totals, strict=True):
            METRICS.delivered("prompts", result, count)
        if claimed or any(totals):
            log.info("prompts_tick claimed=%d sent=%d retried=%d failed=%d", claimed, *totals)
        return PromptTick(claimed, *totals, in_doubt)

    async def _lease(self) -> list[LeasedPrompt]:
        if self._stopping():
            return []
        async with self._units() as uow:
            leased = await uow.prompts.lease(self._clock(), self._batch)
            await uow.commit()
        return leased

    async def _mark(self, done: list[tuple[LeasedPrompt, tuple[str, datetime | None]]]) -> None:
        async with self._units() as uow:
            for prompt, (status, retry_at) in done:
                if status == SKIPPED:
                    continue
                if status == "sent":
                    if not await uow.prompts.mark_sent(prompt, self._clock()):
                        log.warning("prompt_lease_lost")  # sent after the lease ran out: should not happen
                        continue
                    total, unanswered = await uow.plans.count_prompt(prompt.member_id)
                    if needs_gentle_nudge(total, unanswered):
                        await uow.outbox.enqueue(
                            prompt.member_id, prompt.chat_id, "watch", self._nudge, [], self._clock()
                        )
                        log.info("member_watch_nudged")
                    continue
                if status == "blocked":  # nothing Cairn starts goes to them until they write again
                    await uow.broadcast_deliveries.mark_unreachable(prompt.member_id, "blocked", self._clock())
                await uow.prompts.retry_at(prompt, retry_at or self._clock(), give_up=status in GIVE_UP)
            await uow.commit()

    async def _send(self, bot: Bot, prompt: LeasedPrompt) -> tuple[str, datetime | None]:
        if self._stopping():  # shutting down: hand the lease back for another instance or the next start
            return "released", self._clock()
        if self._clock() >= prompt.leased_until - LEASE_MARGIN:  # waited too long: another instance may have it
            return "expired", self._clock()
        async with self._units() as uow:  # committed before the request: a crash from here on never resends it
            marked = await uow.prompts.mark_sending(prompt)
            await uow.commit()
        if not marked:
            return SKIPPED, None
        try:
            await bot.send_message(prompt.chat_id, self._text, reply_markup=self._markup)
        except RetryAfter as error:
            seconds = retry_seconds(error.retry_after)
            log.warning("prompt_rate_limited retry_after=%.1f", seconds)
            return "retry", self._clock() + timedelta(seconds=seconds)
        except Forbidden:
            return "blocked", None
        except BadRequest as error:
            log.warning("prompt_refused reason=%s", error.message.split(":", 1)[0][:60])
            return "failed", None
        except NetworkError as error:  # retried as before, a timeout too: H14's residual duplicate
            log.warning("prompt_network_error error=%s", type(error).__name__)
            return "retry", self._clock() + NETWORK_RETRY
        return "sent", None
