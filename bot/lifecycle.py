"""The stopping flag: once SIGTERM arrives, jobs claim no new work and finish what they hold."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

log = logging.getLogger("cairn")


class Stopping:
    """Set once when the bot begins to shut down; jobs ask `is_set()` before claiming more work."""

    def __init__(self) -> None:
        """Start unset."""
        self._set = False

    def set(self) -> None:
        """Begin shutting down."""
        self._set = True

    def is_set(self) -> bool:
        """Say whether shutdown has begun."""
        return self._set


async def finish_within(seconds: float, work: Awaitable[None]) -> bool:
    """Let shutdown work finish within `seconds`; False (and logged) if it had to be cut short."""
    try:
        await asyncio.wait_for(work, seconds)
    except TimeoutError:
        log.error("shutdown_timed_out seconds=%.0f", seconds)
        return False
    return True
