"""What the activity flows may read: the member's choices and answers, and the listings loaded for this event."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from flows.activities.model import Activity
from flows.activities.taxonomy import TaxonomyTerm

INTERESTED = "interested"
GOING = "going"
NOT_FOR_ME = "not_for_me"
RESPONSES = (INTERESTED, GOING, NOT_FOR_ME)
KEY_LENGTH = 10
MEMBER_MOST = 200
"""The most listings read for one member's event (their area's, from their organisation): a bound, not a page."""


@dataclass(frozen=True)
class MemberChoices:
    """A member's area (normalised) and interests; `offered` once Cairn offered to set an area after a check-in."""

    area: str | None = None
    interests: frozenset[str] = frozenset()
    offered: bool = False


@dataclass(frozen=True)
class MemberResponse:
    """A member's answer to one activity."""

    activity_id: str
    response: str
    occurrence_at: datetime | None = None
    remind: bool = False


@dataclass(frozen=True)
class ActivityFacts:
    """Loaded only for events that need it: the member's choices, and the listings that concern this event.

    For a member: their organisation's activities near their area with a session in the coming week (at most
    `MEMBER_MOST` read). For a coordinator managing listings: every activity of their organisation (not defunct),
    or only the one being changed; with how many the organisation lists and the most it may (`listed`,
    `most_listed`; None when not loaded or unlimited).
    """

    choices: MemberChoices = field(default_factory=MemberChoices)
    responses: Mapping[str, MemberResponse] = field(default_factory=lambda: MappingProxyType({}))
    activities: tuple[Activity, ...] = ()
    terms: tuple[TaxonomyTerm, ...] = ()  # the taxonomy, in file order
    neighbourhoods: tuple[str, ...] = ()
    listed: int | None = None
    most_listed: int | None = None
    list_total: int | None = None
    """Set when the edge read one page of a coordinator's list: `activities` is that page, of `list_total`."""

    @property
    def full(self) -> bool:
        """Say whether the organisation already lists as many activities as it may."""
        return self.listed is not None and self.most_listed is not None and self.listed >= self.most_listed

    def by_key(self, key: str) -> Activity | None:
        """Find a loaded activity by its short button key; None when it is not (or no longer) there."""
        return next((activity for activity in self.activities if activity_key(activity.id) == key), None)

    def response_to(self, activity_id: str) -> str | None:
        """Return the member's answer to an activity, if any."""
        found = self.responses.get(activity_id)
        return found.response if found else None


def activity_key(activity_id: str) -> str:
    """A short, stable key for an activity's Open Referral UK id, small enough for button data."""
    return hashlib.sha256(activity_id.encode("utf-8")).hexdigest()[:KEY_LENGTH]


def term_choice(term_id: str) -> str:
    """A taxonomy term id as button data allows it ("small-group" -> "small_group")."""
    return re.sub(r"[^a-z0-9_]", "_", term_id.lower())[:24] or "x"
