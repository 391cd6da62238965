"""Conversation positions kept in memory only, for members who did not agree to STORE.

Nothing here is written anywhere. It is lost on restart, and each entry expires after `ttl`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flows.snapshot import ConversationPosition


@dataclass(frozen=True)
class _Entry:
    position: ConversationPosition
    expires_at: datetime


class EphemeralConversations:
    """Positions by member id, expiring."""

    def __init__(self, ttl: timedelta = timedelta(hours=18)) -> None:
        """Keep each position for `ttl` after its last change."""
        self._ttl = ttl
        self._entries: dict[int, _Entry] = {}

    def __len__(self) -> int:
        """Count positions held."""
        return len(self._entries)

    def get(self, member_id: int, now: datetime) -> ConversationPosition | None:
        """Return a member's position if it has not expired."""
        entry = self._entries.get(member_id)
        if entry is None:
            return None
        if entry.expires_at <= now:
            del self._entries[member_id]
            return None
        return entry.position

    def put(self, member_id: int, flow: str, step: str, data: Mapping[str, Any], now: datetime) -> None:
        """Remember a position; also drop every expired one."""
        self._entries[member_id] = _Entry(ConversationPosition(flow, step, dict(data)), now + self._ttl)
        for key in [key for key, entry in self._entries.items() if entry.expires_at <= now]:
            del self._entries[key]

    def drop(self, member_id: int) -> None:
        """Forget a member's position."""
        self._entries.pop(member_id, None)
