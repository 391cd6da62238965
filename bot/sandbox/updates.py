"""The queue of updates waiting for the bot, with confirmation and redelivery."""

from __future__ import annotations

import bisect
import copy
from collections.abc import Collection
from typing import Any

from .signals import Signal


def update_type(update: dict[str, Any]) -> str | None:
    """Return the update's type: the first key that is not update_id."""
    return next((key for key in update if key != "update_id"), None)


class UpdateQueue:
    """Hold pending updates in update_id order; redelivered ones go out first, once."""

    def __init__(self) -> None:
        self._pending: list[dict[str, Any]] = []
        self._redeliveries: list[dict[str, Any]] = []
        self._history: dict[int, dict[str, Any]] = {}
        self._next_id = 1
        self.allowed_updates: frozenset[str] | None = None
        self.added = Signal()

    def push(self, update: dict[str, Any]) -> int:
        """Queue an update, assigning the next update_id when it has none; return the id."""
        update = copy.deepcopy(update)
        if "update_id" not in update:
            update["update_id"] = self._next_id
        update_id = int(update["update_id"])
        update["update_id"] = update_id
        self._next_id = max(self._next_id, update_id + 1)
        self._history[update_id] = update
        ids = [item["update_id"] for item in self._pending]
        self._pending.insert(bisect.bisect_right(ids, update_id), update)
        self.added.notify()
        return update_id

    def redeliver(self, update_id: int) -> None:
        """Queue an already-sent update again with the same update_id, ignoring offsets."""
        if update_id not in self._history:
            raise KeyError(f"no update with update_id {update_id} was ever queued")
        self._redeliveries.append(copy.deepcopy(self._history[update_id]))
        self.added.notify()

    def confirm_below(self, offset: int) -> None:
        """Forget every pending update with an id lower than offset (negative: keep the last -offset)."""
        if offset < 0:
            self._pending = self._pending[offset:]
            return
        self._pending = [item for item in self._pending if item["update_id"] >= offset]

    def drop_pending(self) -> None:
        """Forget every pending and redelivered update."""
        self._pending.clear()
        self._redeliveries.clear()

    def set_allowed(self, allowed: Collection[str] | None) -> None:
        """Remember which update types the bot wants; an empty or missing list means all."""
        self.allowed_updates = frozenset(allowed) if allowed else None

    def _is_allowed(self, update: dict[str, Any]) -> bool:
        return self.allowed_updates is None or update_type(update) in self.allowed_updates

    def _drop_disallowed(self) -> None:
        self._pending = [item for item in self._pending if self._is_allowed(item)]
        self._redeliveries = [item for item in self._redeliveries if self._is_allowed(item)]

    def take(self, limit: int) -> list[dict[str, Any]]:
        """Return up to limit updates: redeliveries (handed out once) then pending ones (kept)."""
        self._drop_disallowed()
        redelivered = self._redeliveries[:limit]
        del self._redeliveries[: len(redelivered)]
        pending = self._pending[: limit - len(redelivered)]
        return copy.deepcopy(redelivered + pending)

    def peek_next(self) -> tuple[dict[str, Any], bool] | None:
        """Return the next update for webhook delivery and whether it is a redelivery."""
        self._drop_disallowed()
        if self._redeliveries:
            return copy.deepcopy(self._redeliveries[0]), True
        if self._pending:
            return copy.deepcopy(self._pending[0]), False
        return None

    def acknowledge(self, update_id: int, redelivery: bool) -> None:
        """Forget an update the webhook accepted."""
        items = self._redeliveries if redelivery else self._pending
        for index, item in enumerate(items):
            if item["update_id"] == update_id:
                del items[index]
                return

    def pending(self) -> list[dict[str, Any]]:
        """Return copies of the updates not yet confirmed, redeliveries first."""
        return copy.deepcopy(self._redeliveries + self._pending)

    def __len__(self) -> int:
        return len(self._redeliveries) + len(self._pending)
