"""What a flow needs to know: small, plain snapshots loaded by the edge before each step."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from flows.activities.facts import ActivityFacts
from flows.broadcast_model import BroadcastFacts
from flows.consent import ConsentScope, ConsentState
from flows.crisis import CrisisResources
from flows.risk import LanguageSignal
from flows.safeguarding.model import Alert, Person, Rota, StaffRole
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
    plan: CheckInPlan | None = None
    checkins_since_instrument: int = 0
    recent_moods: tuple[int, ...] = ()
    recent_scores: Mapping[str, tuple[float, ...]] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def onboarded(self) -> bool:
        """Say whether the member has answered every consent question at least once."""
        return all(self.consent.answered(scope) for scope in ConsentScope)


@dataclass(frozen=True)
class StaffInfo:
    """The writer's place in their organisation's team."""

    organisation_id: int
    role: str
    display_name: str
    on_duty: bool
    rota_days: frozenset[int] = frozenset()
    rota_hours: str = "09:00-17:00"

    def person(self, member_id: int) -> Person:
        """This role as the safeguarding rules read it."""
        return Person(
            member_id, self.organisation_id, StaffRole(self.role), self.on_duty, Rota(self.rota_days, self.rota_hours)
        )


@dataclass(frozen=True)
class TeamMate:
    """Someone in the writer's team, for a coordinator's /team."""

    member_id: int
    role: str
    display_name: str
    on_duty: bool


@dataclass(frozen=True)
class CaseInfo:
    """The member's own open alert, as the texts they are told need it (never who holds it)."""

    alert_id: int
    tier: str
    status: str
    share_level: str


@dataclass(frozen=True)
class SharingFacts:
    """What has been shared about the member and whether anyone can see it: so what they are told is true."""

    case: CaseInfo | None
    someone_can_see: bool  # the organisation has someone (not the member) who can receive an alert


@dataclass(frozen=True)
class RelayInfo:
    """A relay session the writer is part of."""

    id: int
    alert_id: int
    status: str
    writer_is_member: bool
    volunteer_name: str


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
    language: tuple[LanguageSignal, ...] = ()
    member_id: int | None = None
    staff: StaffInfo | None = None
    team: tuple[TeamMate, ...] = ()
    alert: Alert | None = None
    alerts: tuple[Alert, ...] = ()
    sharing: SharingFacts | None = None  # loaded for contact buttons and for messages read as a crisis or concern
    relay: RelayInfo | None = None
    activities: ActivityFacts | None = None  # loaded only for events that need listings (see bot/activity_facts)
    broadcast: BroadcastFacts | None = None  # loaded only for a coordinator composing a broadcast (bot/broadcast_facts)
    unread_language: str | None = None  # a language Cairn does not read ("pl", "und"...): see flows/unreadable
