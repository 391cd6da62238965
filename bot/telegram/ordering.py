"""Per-member ordering: updates of one member are handled one at a time, in order; members run concurrently."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


def ordering_key(update: object) -> int | None:
    """Return the member (user) an update belongs to, or None for updates without one."""
    if isinstance(update, Update):
        user = update.effective_user
        if user is not None:
            return user.id
        chat = update.effective_chat
        if chat is not None:
            return chat.id
    return None


class PerMemberOrderedProcessor(BaseUpdateProcessor):
    """Runs different members' updates concurrently and each member's strictly in arrival order.

    Each member's updates form a chain: an update waits for the one before it. Only members with an update
    in flight are held in memory; the chain is dropped as soon as it is empty.
    """

    def __init__(self, max_concurrent_updates: int) -> None:
        """Allow up to `max_concurrent_updates` updates in flight in all."""
        super().__init__(max_concurrent_updates)
        self._tails: dict[int, asyncio.Future[None]] = {}

    @property
    def members_in_flight(self) -> int:
        """Count members with an update in flight."""
        return len(self._tails)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the member's previous update, then process this one."""
        key = ordering_key(update)
        if key is None:
            await coroutine
            return
        previous = self._tails.get(key)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._tails[key] = done
        try:
            if previous is not None:
                await asyncio.shield(previous)
            await coroutine
        finally:
            done.set_result(None)
            if self._tails.get(key) is done:
                del self._tails[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""
