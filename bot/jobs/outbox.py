"""The outbox job: send (or edit) what the outbox holds, within Telegram's limits, until Telegram confirms."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.metrics import METRICS
from bot.telegram.render import NO_PREVIEW, split_text
from bot.telegram.sending import retry_seconds
from models.outbox import LeasedMessage
from models.unit_of_work import UnitOfWorkFactory

log = logging.getLogger("cairn.jobs.outbox")
NETWORK_RETRY = timedelta(seconds=10)
MAX_ATTEMPTS = 500


@dataclass(frozen=True)
class OutboxTick:
    """What one tick did."""

    sent: int
    retried: int
    failed: int


class OutboxJob:
    """Sends outbox messages; safe to run in several instances at once."""

    def __init__(
        self,
        units: UnitOfWorkFactory,
        clock: Callable[[], datetime],
        batch: int = 200,
        concurrency: int = 20,
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        """Wire storage and the clock; pacing is the bot's shared send limiter; `stopping` ends claiming."""
        self._units = units
        self._stopping = stopping
        self._clock = clock
        self._batch = batch
        self._concurrency = concurrency

    async def tick(self, bot: Bot) -> OutboxTick:
        """Send everything due now."""
        totals = [0, 0, 0]
        while not self._stopping():
            async with self._units() as uow:
                leased = await uow.outbox.lease(self._clock(), self._batch)
                await uow.commit()
            if not leased:
                break
            gate = asyncio.Semaphore(self._concurrency)
            by_chat: dict[int, list[LeasedMessage]] = {}
            for message in leased:
                by_chat.setdefault(message.chat_id, []).append(message)
            outcomes: dict[int, tuple[str, int | None]] = {}
            await asyncio.gather(*(self._send_in_order(bot, chat, gate, outcomes) for chat in by_chat.values()))
            results = [outcomes[message.id] for message in leased]
            async with self._units() as uow:
                for message, (status, detail) in zip(leased, results, strict=True):
                    if status == "sent":
                        await uow.outbox.mark_sent(message.id, detail, self._clock())
                    else:
                        when = self._clock() + timedelta(seconds=detail or 0)
                        await uow.outbox.retry_at(message.id, when, give_up=status == "failed")
                await uow.commit()
            for status, _ in results:
                totals[("sent", "retry", "failed").index(status)] += 1
                METRICS.delivered("outbox", status)
            if len(leased) < self._batch:
                break
        if any(totals):
            log.info("outbox_tick sent=%d retried=%d failed=%d", *totals)
        return OutboxTick(*totals)

    async def _send_in_order(
        self,
        bot: Bot,
        messages: list[LeasedMessage],
        gate: asyncio.Semaphore,
        outcomes: dict[int, tuple[str, int | None]],
    ) -> None:
        """Send one chat's messages one after another; after a failure the rest wait, so order is kept."""
        for index, message in enumerate(messages):
            status, detail = ("retry", 0) if self._stopping() else await self._send(bot, message, gate)
            outcomes[message.id] = (status, detail)
            if status == "retry":
                for later in messages[index + 1 :]:
                    outcomes[later.id] = ("retry", (detail or 0) + 1)
                return

    async def _send(self, bot: Bot, message: LeasedMessage, gate: asyncio.Semaphore) -> tuple[str, int | None]:
        markup = (
            InlineKeyboardMarkup(
                [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in message.buttons]
            )
            if message.buttons
            else None
        )
        async with gate:
            try:
                if message.is_edit:
                    assert message.edit_message_id is not None
                    await bot.edit_message_text(
                        message.text, message.chat_id, message.edit_message_id, reply_markup=markup
                    )
                    return "sent", message.edit_message_id
                sent_id = None
                for chunk in split_text(message.text)[:-1]:
                    await bot.send_message(message.chat_id, chunk, link_preview_options=NO_PREVIEW)
                last = split_text(message.text)[-1]
                sent = await bot.send_message(
                    message.chat_id, last, reply_markup=markup, link_preview_options=NO_PREVIEW
                )
                sent_id = sent.message_id
                return "sent", sent_id
            except RetryAfter as error:
                seconds = retry_seconds(error.retry_after)
                log.warning("outbox_rate_limited retry_after=%.1f", seconds)
                return "retry", int(seconds + 0.999)
            except Forbidden:
                log.warning("outbox_forbidden kind=%s", message.kind)
                return "failed", None
            except BadRequest as error:
                reason = error.message.split(":", 1)[0][:60]
                if "not modified" in error.message:
                    return "sent", message.edit_message_id
                log.warning("outbox_refused kind=%s reason=%s", message.kind, reason)
                return "failed", None
            except NetworkError as error:
                log.warning("outbox_network_error kind=%s error=%s", message.kind, type(error).__name__)
                return "retry", int(NETWORK_RETRY.total_seconds())
