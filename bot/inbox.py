"""Handle webhook updates from the inbox: claim each member's next update, hand it to PTB, then forget it.

Several instances may run this against one PostgreSQL: a claim takes only the oldest waiting update of a member
and never one whose earlier update is still in flight anywhere, so one member's updates are handled one at a
time, in update_id order. A crash leaves the lease to lapse and the update is handled again; processed_updates
makes that second handling a no-op if the first one had committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.logs import where
from bot.metrics import METRICS
from models.inbox import ClaimedUpdate
from models.unit_of_work import UnitOfWorkFactory

log = logging.getLogger("cairn.inbox")

LEASE = timedelta(seconds=120)
POLL_SECONDS = 0.5
MAX_ATTEMPTS = 5


def _utc_now() -> datetime:
    return datetime.now(UTC)


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
    ) -> None:
        """Wire storage and the handler; `hold` (tests only) stores updates without handling them."""
        self._units = units
        self._handle = handle
        self._concurrency = max(1, concurrency)
        self._clock = clock
        self._lease = lease
        self._poll_seconds = poll_seconds
        self._hold = hold
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._stopping = False
        self._renewed = time.monotonic()

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

    async def run(self) -> None:
        """Claim and handle updates until stop_claiming() is called."""
        while not self._stopping:
            self._wake.clear()
            free = self._concurrency - len(self._in_flight)
            if free > 0 and not self._hold:
                for item in await self._claim(free):
                    self._in_flight[item.update_id] = asyncio.create_task(self._process(item))
            await self._renew_leases()
            METRICS.ticked("inbox")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_seconds)

    async def drain(self) -> None:
        """Wait for the updates in flight to be handled."""
        while self._in_flight:
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)

    async def release_in_flight(self) -> None:
        """Hand back the leases of updates still in flight (shutdown was cut short), so a restart takes them now."""
        if not self._in_flight:
            return
        try:
            async with self._units() as uow:
                await uow.inbox.release(list(self._in_flight))
                await uow.commit()
        except Exception as error:  # the leases lapse on their own
            log.error("inbox_release_failed error=%s at %s", type(error).__name__, where(error))

    async def _claim(self, limit: int) -> list[ClaimedUpdate]:
        try:
            async with self._units() as uow:
                claimed = await uow.inbox.claim(self._clock(), limit, self._lease)
                await uow.commit()
        except Exception as error:  # the database is away: try again on the next round
            log.error("inbox_claim_failed error=%s at %s", type(error).__name__, where(error))
            return []
        return claimed

    async def _process(self, item: ClaimedUpdate) -> None:
        try:
            if item.attempts > MAX_ATTEMPTS:
                log.error("inbox_update_dropped attempts=%d", item.attempts)
            else:
                await self._handle(item.payload)
        except Exception as error:  # an update PTB cannot even parse: drop it rather than retry forever
            log.error("inbox_update_failed error=%s at %s", type(error).__name__, where(error))
        try:
            async with self._units() as uow:
                await uow.inbox.done(item.update_id)
                await uow.commit()
        except Exception as error:  # the lease lapses and the update comes round again, with no second effect
            log.error("inbox_done_failed error=%s at %s", type(error).__name__, where(error))
        finally:
            self._in_flight.pop(item.update_id, None)
            self._wake.set()

    async def _renew_leases(self) -> None:
        if not self._in_flight or time.monotonic() - self._renewed < self._lease.total_seconds() / 3:
            return
        self._renewed = time.monotonic()
        try:
            async with self._units() as uow:
                await uow.inbox.renew(list(self._in_flight), self._clock() + self._lease)
                await uow.commit()
        except Exception as error:
            log.error("inbox_renew_failed error=%s at %s", type(error).__name__, where(error))
