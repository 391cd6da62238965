"""One safeguarding pass (alerts, then the outbox), run by the tick and woken at once when an alert is written."""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot

from bot.jobs.alerts import AlertJob
from bot.jobs.outbox import OutboxJob, OutboxTick
from bot.logs import where

log = logging.getLogger("cairn.jobs.safeguarding")


class Safeguarding:
    """Runs alert dispatch and the outbox one pass at a time; a wake-up during a pass runs one more pass."""

    def __init__(self, alerts: AlertJob, outbox: OutboxJob) -> None:
        """Wire the two jobs."""
        self._alerts = alerts
        self._outbox = outbox
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self, bot: Bot) -> OutboxTick:
        """Dispatch and escalate alerts, then send the outbox."""
        async with self._lock:
            await self._alerts.tick()
            return await self._outbox.tick(bot)

    def wake(self, bot: Bot) -> None:
        """Start a pass now (an alert or a deferred reply was just committed)."""
        task = asyncio.create_task(self._run_safely(bot))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_safely(self, bot: Bot) -> None:
        try:
            await self.run(bot)
        except Exception as error:  # the next tick tries again; nothing is lost
            log.error("safeguarding_pass_failed error=%s at %s", type(error).__name__, where(error))
