"""Counters the sandbox keeps for tests and benchmarks."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RequestRecord:
    """One Bot API call as the sandbox saw it: when (monotonic), which method, which chat, what it answered."""

    at: float
    method: str
    chat_id: int | None
    status: int  # HTTP status answered; 0 when the connection was dropped without an answer
    retry_after: int | None = None


@dataclass
class SandboxStats:
    """Accepted calls, errors, injected faults and send timestamps."""

    accepted: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    faults_injected: Counter[str] = field(default_factory=Counter)
    too_many_requests_injected: int = 0
    too_many_requests_limited: int = 0
    send_timestamps: list[float] = field(default_factory=list)
    requests: list[RequestRecord] = field(default_factory=list)

    def record_request(
        self, method: str, chat_id: int | None, status: int, retry_after: int | None = None, at: float | None = None
    ) -> None:
        """Note one Bot API call other than getUpdates (tests check 429 spacing and reply latency with these)."""
        moment = time.monotonic() if at is None else at
        self.requests.append(RequestRecord(moment, method, chat_id, status, retry_after))

    @property
    def too_many_requests(self) -> int:
        """Return every 429 answered, injected or for exceeding a limit."""
        return self.too_many_requests_injected + self.too_many_requests_limited

    @property
    def messages_sent(self) -> int:
        """Return how many send* calls were accepted."""
        return len(self.send_timestamps)

    def reset(self) -> None:
        """Zero every counter."""
        self.accepted.clear()
        self.errors.clear()
        self.faults_injected.clear()
        self.too_many_requests_injected = 0
        self.too_many_requests_limited = 0
        self.send_timestamps.clear()
        self.requests.clear()

    def as_dict(self) -> dict[str, Any]:
        """Return the counters as JSON-ready data."""
        return {
            "accepted": dict(self.accepted),
            "errors": dict(self.errors),
            "faults_injected": dict(self.faults_injected),
            "too_many_requests": {
                "injected": self.too_many_requests_injected,
                "limit_exceeded": self.too_many_requests_limited,
            },
            "messages_sent": self.messages_sent,
            "send_timestamps": list(self.send_timestamps),
        }
