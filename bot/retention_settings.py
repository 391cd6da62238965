"""How long each kind of data is kept: CAIRN_RETAIN_<KIND>_DAYS, with documented defaults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields


class RetentionError(ValueError):
    """A retention period is not a whole number of days above zero."""


@dataclass(frozen=True)
class RetentionPeriods:
    """Days each kind of data is kept; the purge job removes it after that (README, "Retention")."""

    processed_updates: int = 30  # update ids already handled (redelivery guard)
    outbox: int = 30  # messages sent, failed or withdrawn
    prompt_deliveries: int = 90  # check-in prompts sent, failed or cancelled
    checkins: int = 730  # check-ins, their answers and scores (kept only with "keep my check-ins")
    alert_notes: int = 365  # the worker's note on a resolved alert (the alert itself stays)
    relay_transcripts: int = 365  # relayed lines of a chat (kept only when the member chose "also my answers")
    audit_events: int = 2190  # who saw, claimed, resolved, exported or erased what (six years)
    broadcasts: int = 90  # a finished broadcast and its text (its per-member deliveries go after `outbox` days)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RetentionPeriods:
        """Read CAIRN_RETAIN_<KIND>_DAYS for every kind; missing ones keep their default."""
        values: dict[str, int] = {}
        for item in fields(cls):
            name = env_name(item.name)
            if name not in env:
                continue
            try:
                days = int(env[name])
            except ValueError as error:
                raise RetentionError(f"{name} must be a whole number of days") from error
            if days < 1:
                raise RetentionError(f"{name} must be at least 1 day")
            values[item.name] = days
        return cls(**values)


def env_name(kind: str) -> str:
    """Return the environment variable of a kind, e.g. CAIRN_RETAIN_OUTBOX_DAYS."""
    return f"CAIRN_RETAIN_{kind.upper()}_DAYS"
