"""The retention job: an hourly tick that purges each kind of data past its period (CAIRN_RETAIN_*_DAYS), and what
has expired (dashboard sessions and login links)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.logs import where
from bot.retention_settings import RetentionPeriods
from models.retention import EXPIRED, PERIOD_OF, PURGES
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
        dashboard_idle_minutes: float | None = None,
    ) -> None:
        """Wire storage, the periods and the clock; with the dashboard's idle time, idle sessions go too."""
        self._units = units
        self._periods = periods
        self._clock = clock
        self._stopping = stopping
        self._idle = timedelta(minutes=dashboard_idle_minutes) if dashboard_idle_minutes is not None else None

    async def tick(self, bot: object = None) -> dict[str, int]:
        """Purge every kind once; return how many rows each purge removed or cleared.

        A purge that fails is logged with its kind and the other kinds still run; then RetentionIncomplete is
        raised, so the tick counts as failed (cairn_job_failures_total{job="retention"}).
        """
        now = self._clock()
        removed: dict[str, int] = {}
        failed: list[str] = []
        runs: list[tuple[str, Callable[[], Awaitable[int]]]] = [
            (kind, functools.partial(purge, self._units, now - timedelta(days=self._days(kind))))
            for kind, purge in PURGES.items()
        ]
        runs += [(kind, functools.partial(purge, self._units, now, self._idle)) for kind, purge in EXPIRED.items()]
        for kind, run in runs:
            if self._stopping():
                break
            try:
                removed[kind] = await run()
            except Exception as error:
                failed.append(kind)
                log.error("retention_purge_failed kind=%s error=%s at %s", kind, type(error).__name__, where(error))
                continue
            if removed[kind]:
                log.info("retention_purged kind=%s count=%d", kind, removed[kind])
        await self._fold_write_ahead_log()  # every tick: it also finishes a fold an erasure could not complete
        if failed:
            raise RetentionIncomplete(f"purges failed: {' '.join(failed)}")
        return removed

    async def _fold_write_ahead_log(self) -> None:
        """SQLite: what was purged or erased must not stay readable in the write-ahead log file."""
        try:
            async with self._units() as uow:
                await uow.fold_write_ahead_log()
        except Exception as error:  # SQLite's own checkpoints fold it later
            log.error("retention_fold_failed error=%s at %s", type(error).__name__, where(error))

    def _days(self, kind: str) -> int:
        days: int = getattr(self._periods, PERIOD_OF.get(kind, kind))
        return days
