"""The retention job: an hourly tick that purges each kind of data past its period (CAIRN_RETAIN_*_DAYS)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.logs import where
from bot.retention_settings import RetentionPeriods
from models.retention import PERIOD_OF, PURGES
from models.unit_of_work import UnitOfWorkFactory

log = logging.getLogger("cairn.jobs.retention")

INTERVAL_SECONDS = 3600.0


class RetentionIncomplete(RuntimeError):
    """Some purges failed (each is logged by kind); the others ran, and the next tick tries them all again."""


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
        """Purge every kind once; return how many rows each purge removed or cleared.

        A purge that fails is logged with its kind and the other kinds still run; then RetentionIncomplete is
        raised, so the tick counts as failed (cairn_job_failures_total{job="retention"}).
        """
        now = self._clock()
        removed: dict[str, int] = {}
        failed: list[str] = []
        for kind, purge in PURGES.items():
            if self._stopping():
                break
            days = getattr(self._periods, PERIOD_OF.get(kind, kind))
            try:
                removed[kind] = await purge(self._units, now - timedelta(days=days))
            except Exception as error:
                failed.append(kind)
                log.error("retention_purge_failed kind=%s error=%s at %s", kind, type(error).__name__, where(error))
                continue
            if removed[kind]:
                log.info("retention_purged kind=%s count=%d", kind, removed[kind])
        if failed:
            raise RetentionIncomplete(f"purges failed: {' '.join(failed)}")
        return removed
