"""What should happen: replies to send and effects to apply, returned by every flow step."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from flows.consent import ConsentScope, ShareLevel

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class Text:
    """A member-facing text: a catalogue key and the values to fill in."""

    key: str
    params: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


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
