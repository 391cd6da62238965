"""Effects of the activity flows: members' choices and answers, reminders, and coordinators' listings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from flows.activities.model import Activity

if TYPE_CHECKING:  # flows.outcome imports this module for its Effect union
    from flows.outcome import Reply


@dataclass(frozen=True)
class SaveActivityChoices:
    """Set the member's area (normalised; a district, never a full postcode) and interests."""

    area: str | None
    interests: tuple[str, ...]


@dataclass(frozen=True)
class MarkAreaOffered:
    """Remember that setting an area was offered after a check-in, so it is offered only once."""


@dataclass(frozen=True)
class CountSuggestions:
    """Add `shown` to the organisation's tally of activities suggested today: a count only, no member, no reason."""

    organisation_id: int
    shown: int


@dataclass(frozen=True)
class RespondToActivity:
    """Record the member's answer to an activity card (withdrawing any reminder of an earlier answer)."""

    activity_id: str
    response: str
    occurrence_at: datetime | None = None


@dataclass(frozen=True)
class SetActivityReminder:
    """Send `message` at `send_at` (two hours before the session), or withdraw the reminder when None."""

    activity_id: str
    send_at: datetime | None
    message: Reply | None = None


@dataclass(frozen=True)
class SaveActivity:
    """Add (an empty id: the edge gives it a fresh uuid) or update an activity of the coordinator's organisation."""

    activity: Activity


@dataclass(frozen=True)
class CancelActivitySession:
    """Cancel one session; everyone who said they'd go is told (`notice`) through the outbox, reminders withdrawn."""

    activity_id: str
    local_date: date
    starts_at: datetime
    notice: Reply


ActivityEffect = (
    SaveActivityChoices
    | MarkAreaOffered
    | CountSuggestions
    | RespondToActivity
    | SetActivityReminder
    | SaveActivity
    | CancelActivitySession
)
ACTIVITY_EFFECTS = frozenset(
    {
        "SaveActivityChoices",
        "MarkAreaOffered",
        "CountSuggestions",
        "RespondToActivity",
        "SetActivityReminder",
        "SaveActivity",
        "CancelActivitySession",
    }
)
