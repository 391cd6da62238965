"""Polling mode, durably: fetch a batch with getUpdates, commit it to the inbox, and only then ask for the next one.

Telegram forgets updates once getUpdates is called with an offset above them, so the offset that confirms a batch
is sent only after the batch is committed (bot/inbox.py `store_updates`). A crash at any moment loses nothing:
before the commit Telegram still holds the batch and sends it again; after it, the inbox holds it. The offset
itself is kept nowhere but in Telegram's own confirmation; a batch sent again is stored idempotently (by
update_id) and an update handled before has no second effect. PTB's Updater is not used: it confirms each batch
as soon as it has queued it in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.logs import where
from bot.metrics import METRICS
from bot.telegram.sending import retry_seconds
from bot.telegram.tolerant_bot import TolerantBot
from bot.telegram.translate import UPDATE_TYPES

log = logging.getLogger("cairn.polling")

BATCH = 100  # Telegram's largest getUpdates batch
FIRST_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 10.0  # a crisis message waits at most this long after Telegram is reachable again
LOUD_AFTER_FAILURES = 5  # consecutive failures logged as warnings; from then on as errors
ALWAYS_LOUD = frozenset({"polling_conflict", "polling_refused", "polling_store_failed"})  # errors from the first
CONFIRM_SECONDS = 5.0  # the last confirmation at a clean stop is given this long

T = TypeVar("T")
Store = Callable[[list[dict[str, Any]]], Awaitable[int]]


def backoff_seconds(failures: int) -> float:
    """Seconds to wait after `failures` consecutive failures: doubling from half a second, at most ten."""
    return min(FIRST_BACKOFF_SECONDS * float(2 ** max(0, failures - 1)), MAX_BACKOFF_SECONDS)


class UpdatePoller:
    """Long-polls Telegram and commits every batch to the inbox before confirming it."""

    def __init__(
        self,
        bot: TolerantBot,
        store: Store,
        wake: Callable[[], None],
        *,
        poll_seconds: float = 10.0,
        update_types: Sequence[str] = UPDATE_TYPES,
    ) -> None:
        """Wire the bot, what stores a batch durably (returning how many were new) and what to wake after."""
        self._bot = bot
        self._store = store
        self._wake = wake
        self._poll_seconds = poll_seconds
        self._update_types = tuple(update_types)
        self._stop = asyncio.Event()
        self._offset: int | None = None  # the next offset to ask for: every update below it is in the inbox
        self._failures = 0
        self._wait = FIRST_BACKOFF_SECONDS
        self._exited = False
        self.polls = 0  # getUpdates calls answered (for tests and health)

    @property
    def healthy(self) -> bool:
        """False once run() has ended without being asked to stop, or while every recent poll has failed."""
        if self._exited and not self._stop.is_set():
            return False
        return self._failures < LOUD_AFTER_FAILURES

    def stop(self) -> None:
        """Fetch no more; a batch being stored is still committed, then confirmed."""
        self._stop.set()

    async def run(self) -> None:
        """Poll until stop(); then confirm what was stored, so a restart is not sent it again."""
        died = False
        try:
            await self._until_stopped(self._delete_webhook())
            while not self._stop.is_set():
                await self._poll_once()
            await self._confirm_stored()
        except Exception as error:  # a bug: /readyz fails and the log says where
            died = True
            log.critical("polling_died error=%s at %s", type(error).__name__, where(error))
            raise
        finally:
            self._exited = True
            if not died:  # a poller that died keeps its lag growing, so the alert on it fires
                METRICS.stopped("polling")

    async def _poll_once(self) -> None:
        """Fetch one batch and store it; on any failure wait (interruptibly) and leave the offset where it was."""
        try:
            fetched = await self._until_stopped(
                self._bot.fetch_updates(self._offset, self._poll_seconds, self._update_types, BATCH)
            )
        except RetryAfter as error:
            self._failed("polling_rate_limited", error, retry_seconds(error.retry_after))
        except Conflict as error:
            self._failed("polling_conflict", error, hint="another process polls with this token, or a webhook is set")
        except InvalidToken as error:
            self._failed("polling_refused", error, MAX_BACKOFF_SECONDS, hint="TELEGRAM_BOT_TOKEN was refused")
        except NetworkError as error:  # timeouts, dropped connections, 5xx
            self._failed("polling_network_error", error)
        except TelegramError as error:
            self._failed("polling_failed", error)
        else:
            if fetched is None:  # stopped while waiting: nothing was fetched, nothing to confirm
                return
            self.polls += 1
            if await self._keep(fetched):
                self._succeeded()
                return
        await self._until_stopped(asyncio.sleep(self._wait))

    async def _keep(self, fetched: list[dict[str, Any]]) -> bool:
        """Commit a batch to the inbox and move the offset past it; False (offset unchanged) if it failed."""
        updates = [item for item in fetched if type(item.get("update_id")) is int and item["update_id"] > 0]
        if not updates:
            return True
        try:
            await self._store(updates)
        except Exception as error:  # the database is away: Telegram still holds the batch and sends it again
            self._failed("polling_store_failed", error, count=len(updates))
            return False
        self._offset = max(item["update_id"] for item in updates) + 1
        self._wake()
        return True

    def _succeeded(self) -> None:
        if self._failures >= LOUD_AFTER_FAILURES:
            log.warning("polling_recovered failures=%d", self._failures)
        self._failures = 0
        METRICS.ticked("polling")

    def _failed(
        self, event: str, error: BaseException, wait: float | None = None, *, hint: str = "", count: int = 0
    ) -> None:
        """Count a failure, choose the wait before the next try and log it (the error class, never its text)."""
        self._failures += 1
        METRICS.job_failed("polling")
        self._wait = wait if wait is not None else backoff_seconds(self._failures)
        loud = self._failures >= LOUD_AFTER_FAILURES or event in ALWAYS_LOUD
        level = logging.ERROR if loud else logging.WARNING
        details = f" count={count}" if count else ""
        log.log(
            level,
            "%s error=%s failures=%d retry_in=%.1f%s%s",
            event,
            type(error).__name__,
            self._failures,
            self._wait,
            details,
            f" ({hint})" if hint else "",
        )

    async def _delete_webhook(self) -> None:
        """Polling and a webhook exclude each other: remove any webhook, keeping the updates Telegram holds."""
        try:
            await self._bot.delete_webhook(drop_pending_updates=False)
        except TelegramError as error:  # getUpdates says Conflict if a webhook is still set
            log.warning("polling_delete_webhook_failed error=%s", type(error).__name__)

    async def _confirm_stored(self) -> None:
        """At a clean stop, confirm the last stored batch (best effort: if not, it comes again and is a duplicate)."""
        if self._offset is None:
            return
        try:
            await asyncio.wait_for(self._bot.fetch_updates(self._offset, 0, self._update_types, 1), CONFIRM_SECONDS)
        except (TelegramError, TimeoutError) as error:
            log.info("polling_last_confirm_skipped error=%s", type(error).__name__)

    async def _until_stopped(self, work: Awaitable[T]) -> T | None:
        """Await `work` unless stop() comes first (then cancel it and return None). Never used around a store."""
        if self._stop.is_set():
            if asyncio.iscoroutine(work):
                work.close()
            return None
        task = asyncio.ensure_future(work)
        stopping = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait((task, stopping), return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            task.cancel()
            raise
        finally:
            stopping.cancel()
        if task.done():
            return task.result()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        return None
