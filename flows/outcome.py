"""What should happen: replies to send and effects to apply, returned by every flow step."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from flows.activities.effects import ActivityEffect
from flows.broadcast_model import CreateBroadcast
from flows.consent import ConsentScope, ShareLevel

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class Text:
    """A member-facing text: a catalogue key and the values to fill in."""

    key: str
    params: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True)
class Joined:
    """Several texts shown as one value, joined by a separator (a list of days, lines of resources)."""

    parts: tuple[Text, ...]
    separator: str = ", "


@dataclass(frozen=True)
class Button:
    """An inline button: its label and the callback data it sends back."""

    label: Text
    data: str


@dataclass(frozen=True)
class Reply:
    """One message to the member: paragraphs of text and rows of buttons."""

    parts: tuple[Text, ...]
    buttons: tuple[tuple[Button, ...], ...] = ()


def reply(*parts: Text, buttons: tuple[tuple[Button, ...], ...] = ()) -> Reply:
    """Build a reply from texts and button rows."""
    return Reply(parts=parts, buttons=buttons)


# Effects: commands to the persistence layer, applied in one unit of work.


@dataclass(frozen=True)
class RegisterMember:
    """Create the member record, joined to an organisation."""

    organisation_id: int


@dataclass(frozen=True)
class JoinOrganisation:
    """Move an existing member to another organisation (they followed its link)."""

    organisation_id: int


@dataclass(frozen=True)
class RecordConsent:
    """Append a consent record: given, declined or withdrawn, with the exact text shown."""

    scope: ConsentScope
    action: str
    share_level: ShareLevel | None
    text_version: str
    text_hash: str
    method: str


@dataclass(frozen=True)
class SaveConversation:
    """Remember where the member is in a conversation, so a restart resumes it."""

    flow: str
    step: str
    data: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True)
class KeepEphemeral:
    """Hold the member's conversation position in memory only (no STORE consent: nothing is written)."""

    flow: str
    step: str
    data: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True)
class EndConversation:
    """Forget the member's conversation position."""


@dataclass(frozen=True)
class SetMemberStatus:
    """Set the member's status: active, paused or stopped."""

    status: str


@dataclass(frozen=True)
class SendMemberExport:
    """Send the member a JSON document of everything held about them."""


@dataclass(frozen=True)
class EraseMember:
    """Erase everything held about the member, at once."""


@dataclass(frozen=True)
class RedeemStaffInvite:
    """Use a single-use invite: the member becomes staff of its organisation."""

    invite_id: int
    organisation_id: int
    role: str


@dataclass(frozen=True)
class StartCheckIn:
    """Open a stored check-in for the member's local day (STORE consent only)."""

    local_day: str
    instrument_id: str | None


@dataclass(frozen=True)
class RecordCheckInAnswer:
    """Store one answer of the open check-in, as it comes (STORE consent only)."""

    item_id: str
    value: int
    instrument_id: str | None = None


@dataclass(frozen=True)
class RecordCheckInNote:
    """Store the free text of the open check-in, encrypted (STORE consent only)."""

    text: str


@dataclass(frozen=True)
class RecordInstrumentScore:
    """Store an instrument's score for the open check-in (STORE consent only)."""

    instrument_id: str
    raw: int | None
    value: float | None
    band: str | None
    measures: Mapping[str, float] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True)
class FinishCheckIn:
    """Close the open check-in as completed or abandoned, and count it toward the plan's instrument."""

    status: str
    counts_toward_instrument: bool = True


@dataclass(frozen=True)
class SavePlan:
    """Save the member's check-in plan and work out the next prompt time."""

    plan: Any


@dataclass(frozen=True)
class PostponePrompt:
    """Move the member's next prompt: an hour later (snooze) or to the next slot after today (skip)."""

    until: datetime | None
    skip_today: bool = False


@dataclass(frozen=True)
class RaiseAlert:
    """Write an alert for the member's organisation, in this same transaction (only with SHARE_FLAGS)."""

    tier: Any
    reasons: tuple[Text, ...] = ()


@dataclass(frozen=True)
class SendTrends:
    """Send the member a chart of the last weeks, with a plain-words summary."""

    weeks: int


@dataclass(frozen=True)
class SetDuty:
    """Switch a staff member's duty on or off."""

    on: bool


@dataclass(frozen=True)
class SetRota:
    """Set a staff member's weekly rota."""

    days: frozenset[int]
    hours: str


@dataclass(frozen=True)
class RemoveFromTeam:
    """A coordinator removes someone from their organisation's team."""

    member_id: int


@dataclass(frozen=True)
class ClaimAlert:
    """Claim an alert; the others are told who took it."""

    alert_id: int


@dataclass(frozen=True)
class AnswerAlert:
    """The holder says they are on it (a new signal joined their case): it no longer escalates for that."""

    alert_id: int


@dataclass(frozen=True)
class WithdrawAlert:
    """The member takes back what was shared: the alert closes as "member declined" and staff are told."""

    alert_id: int


@dataclass(frozen=True)
class ResolveAlert:
    """Close a claimed alert with an outcome."""

    alert_id: int
    outcome: str


@dataclass(frozen=True)
class NoteAlert:
    """Keep the volunteer's note on an alert, encrypted."""

    alert_id: int
    text: str


@dataclass(frozen=True)
class AskRelay:
    """Ask the member whether the volunteer who claimed their alert may chat through the bot."""

    alert_id: int


@dataclass(frozen=True)
class AnswerRelay:
    """The member says yes or no to a relayed chat."""

    session_id: int
    accept: bool


@dataclass(frozen=True)
class RelayText:
    """Pass a message to the other side of a relayed chat."""

    session_id: int
    text: str
    from_member: bool


@dataclass(frozen=True)
class EndRelay:
    """Close a relayed chat for both sides."""

    session_id: int


@dataclass(frozen=True)
class SendDashboardLink:
    """Send a staff member a single-use login link for the web dashboard (minted at the edge)."""


@dataclass(frozen=True)
class Audit:
    """Append an audit event (no health content)."""

    action: str
    object_type: str
    object_id: int | None = None


Effect = (
    RegisterMember
    | JoinOrganisation
    | RecordConsent
    | SaveConversation
    | EndConversation
    | SetMemberStatus
    | SendMemberExport
    | EraseMember
    | RedeemStaffInvite
    | KeepEphemeral
    | StartCheckIn
    | RecordCheckInAnswer
    | RecordCheckInNote
    | RecordInstrumentScore
    | FinishCheckIn
    | SavePlan
    | PostponePrompt
    | RaiseAlert
    | SendTrends
    | SetDuty
    | SetRota
    | RemoveFromTeam
    | ClaimAlert
    | ResolveAlert
    | NoteAlert
    | AskRelay
    | AnswerRelay
    | RelayText
    | EndRelay
    | SendDashboardLink
    | Audit
    | ActivityEffect
    | CreateBroadcast
)


@dataclass(frozen=True)
class Outcome:
    """The result of one flow step: replies in order, effects to apply, and a short button notice."""

    replies: tuple[Reply, ...] = ()
    effects: tuple[Effect, ...] = ()
    notice: Text | None = None
    refused: str | None = None

    def then(self, other: Outcome) -> Outcome:
        """Join two outcomes: this one's replies and effects first."""
        return Outcome(
            replies=self.replies + other.replies,
            effects=self.effects + other.effects,
            notice=self.notice or other.notice,
            refused=self.refused or other.refused,
        )
