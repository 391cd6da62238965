"""Scripted and random faults injected into Bot API answers."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

# slow: answer after `delay`; timeout: hold the call for `delay`, then drop it without acting on it (the client
# sees its own read timeout or a closed connection, and the call never happened); drop: close at once.
FAULT_KINDS = frozenset({"429", "500", "502", "503", "slow", "timeout", "drop"})


@dataclass(frozen=True)
class Fault:
    """One fault to apply to one request."""

    kind: str
    retry_after: int = 1
    delay: float = 1.0


@dataclass
class FaultRule:
    """Inject the next `remaining` matching requests with a fault."""

    fault: Fault
    remaining: int
    methods: frozenset[str] | None

    def matches(self, method: str) -> bool:
        """Tell whether this rule applies to the (lower-cased) method."""
        return self.remaining > 0 and (self.methods is None or method in self.methods)


@dataclass
class FaultStorm:
    """Inject random faults with a probability until a deadline."""

    kinds: tuple[str, ...]
    probability: float
    deadline: float
    methods: frozenset[str] | None
    retry_after: int
    delay: float


def normalize_kind(kind: str | int) -> str:
    """Return the canonical fault kind name or raise ValueError."""
    name = str(kind).strip().lower()
    if name not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}")
    return name


def normalize_methods(methods: Iterable[str] | str | None) -> frozenset[str] | None:
    """Lower-case method names; None or an empty set means every method."""
    if methods is None:
        return None
    if isinstance(methods, str):
        methods = [methods]
    names = frozenset(name.lower() for name in methods)
    return names or None


class FaultPlan:
    """Decide, request by request, whether to inject a fault."""

    def __init__(self, seed: int | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._rules: list[FaultRule] = []
        self._storm: FaultStorm | None = None
        self._random = random.Random(seed)
        self._clock = clock

    def add(
        self,
        kind: str | int,
        count: int = 1,
        methods: Iterable[str] | str | None = None,
        retry_after: int = 1,
        delay: float = 1.0,
    ) -> None:
        """Inject `count` faults of `kind` into the next matching calls (methods=None: every method)."""
        if count < 1:
            raise ValueError("count must be at least 1")
        fault = Fault(normalize_kind(kind), max(1, int(retry_after)), float(delay))
        self._rules.append(FaultRule(fault, count, normalize_methods(methods)))

    def storm(
        self,
        kinds: Iterable[str | int],
        probability: float,
        seconds: float,
        methods: Iterable[str] | str | None = None,
        retry_after: int = 1,
        delay: float = 0.5,
        seed: int | None = None,
    ) -> None:
        """Fail each matching call with `probability` (a random kind from `kinds`) for `seconds`."""
        names = tuple(normalize_kind(kind) for kind in kinds)
        if not names or not 0.0 <= probability <= 1.0:
            raise ValueError("a storm needs at least one kind and a probability between 0 and 1")
        if seed is not None:
            self._random.seed(seed)
        deadline = self._clock() + seconds
        self._storm = FaultStorm(names, probability, deadline, normalize_methods(methods), max(1, retry_after), delay)

    def clear(self) -> None:
        """Remove every scripted fault and stop any storm."""
        self._rules.clear()
        self._storm = None

    def pick(self, method: str) -> Fault | None:
        """Return the fault to apply to this call, consuming it, or None."""
        name = method.lower()
        for rule in self._rules:
            if rule.matches(name):
                rule.remaining -= 1
                self._rules = [item for item in self._rules if item.remaining > 0]
                return rule.fault
        storm = self._storm
        if storm is None:
            return None
        if self._clock() >= storm.deadline:
            self._storm = None
            return None
        if storm.methods is not None and name not in storm.methods:
            return None
        if self._random.random() >= storm.probability:
            return None
        return Fault(self._random.choice(storm.kinds), storm.retry_after, storm.delay)

    def describe(self) -> dict[str, Any]:
        """Return the active rules and storm as JSON-ready data."""
        storm = self._storm
        if storm is not None and self._clock() >= storm.deadline:
            storm = self._storm = None
        return {
            "rules": [
                {
                    "kind": rule.fault.kind,
                    "remaining": rule.remaining,
                    "methods": sorted(rule.methods) if rule.methods else None,
                    "retry_after": rule.fault.retry_after,
                    "delay": rule.fault.delay,
                }
                for rule in self._rules
            ],
            "storm": None
            if storm is None
            else {
                "kinds": list(storm.kinds),
                "probability": storm.probability,
                "seconds_left": round(storm.deadline - self._clock(), 3),
                "methods": sorted(storm.methods) if storm.methods else None,
            },
        }
