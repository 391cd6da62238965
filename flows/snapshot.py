"""What a flow needs to know: small, plain snapshots loaded by the edge before each step."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from flows.consent import ConsentScope, ConsentState
from flows.crisis import CrisisResources
from flows.schedule import CheckInPlan
from flows.texts import Catalogue


class MemberStatus(StrEnum):
    """Whether Cairn may start messages to the member."""

    ACTIVE = "active"
    PAUSED = "paused"
    STOPPED = "stopped"


@dataclass(frozen=True)
class OrganisationInfo:
    """The organisation a member belongs to, as members see it."""

    id: int
    name: str
    slug: str


@dataclass(frozen=True)
class ConversationPosition:
    """Where the member is in a conversation."""

    flow: str
    step: str
    data: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class MemberSnapshot:
    """What is known about the person writing; `registered` is False before their first /start."""

    registered: bool
    organisation: OrganisationInfo | None = None
    status: MemberStatus = MemberStatus.ACTIVE
    consent: ConsentState = field(default_factory=ConsentState)
    conversation: ConversationPosition | None = None
    staff_roles: tuple[str, ...] = ()
    plan: CheckInPlan | None = None
    checkins_since_instrument: int = 0
    recent_moods: tuple[int, ...] = ()
    recent_scores: Mapping[str, tuple[float, ...]] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def onboarded(self) -> bool:
        """Say whether the member has answered every consent question at least once."""
        return all(self.consent.answered(scope) for scope in ConsentScope)


@dataclass(frozen=True)
class InviteInfo:
    """A staff invite found from a /start payload, already checked for use and expiry."""

    id: int
    organisation: OrganisationInfo
    role: str
    usable: bool


@dataclass(frozen=True)
class StartTarget:
    """What a /start payload pointed at, resolved by the edge."""

    organisation: OrganisationInfo
    from_link: bool = False
    unknown_link: bool = False
    invite: InviteInfo | None = None


@dataclass(frozen=True)
class Facts:
    """Everything a step may read: the member, the start target, texts, crisis resources and the time."""

    member: MemberSnapshot
    catalogue: Catalogue
    crisis: CrisisResources
    now: datetime
    start: StartTarget | None = None
    instruments: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
