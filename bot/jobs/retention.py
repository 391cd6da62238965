"""The retention job: an hourly tick that purges each kind of data past its period (CAIRN_RETAIN_*_DAYS)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import fields
from datetime import datetime, timedelta

from bot.retention_settings import RetentionPeriods
from models.retention import PURGES
from models.unit_of_work import UnitOfWorkFactory

log = logging.getLogger("cairn.jobs.retention")

INTERVAL_SECONDS = 3600.0


class RetentionJob:
    """Purges old data; safe to run in several instances at once and as often as you like."""

    def __init__(
        self,
        units: UnitOfWorkFactory,
        periods: RetentionPeriods,
        clock: Callable[[], datetime],
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        """Wire storage, the periods and the clock."""
        self._units = units
        self._periods = periods
        self._clock = clock
        self._stopping = stopping

    async def tick(self, bot: object = None) -> dict[str, int]:
        """Purge every kind once; return how many rows each purge removed or cleared."""
        now = self._clock()
        removed: dict[str, int] = {}
        for item in fields(self._periods):
            if self._stopping():
                break
            days = getattr(self._periods, item.name)
            removed[item.name] = await PURGES[item.name](self._units, now - timedelta(days=days))
            if removed[item.name]:
                log.info("retention_purged kind=%s count=%d", item.name, removed[item.name])
        return removed
