"""Consent scopes and the member's current choices, folded from append-only records."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum


class ConsentScope(StrEnum):
    """What a member can agree to, each separately."""

    STORE = "store"
    SHARE_FLAGS = "share_flags"
    NEWS = "news"


class ShareLevel(StrEnum):
    """What a community worker sees when the member agreed to SHARE_FLAGS."""

    FLAG_ONLY = "flag_only"
    WITH_ANSWERS = "with_answers"


class ConsentAction(StrEnum):
    """What a consent record says happened."""

    GIVEN = "given"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class ConsentEvent:
    """One consent record as the flows see it."""

    scope: ConsentScope
    action: ConsentAction
    share_level: ShareLevel | None = None


@dataclass(frozen=True)
class ConsentState:
    """The member's current answer for each scope; None means never asked or answered."""

    store: bool | None = None
    share_flags: bool | None = None
    share_level: ShareLevel | None = None
    news: bool | None = None

    def allows(self, scope: ConsentScope) -> bool:
        """Say whether the member currently consents to a scope."""
        return bool(getattr(self, scope.value))

    def answered(self, scope: ConsentScope) -> bool:
        """Say whether the member has answered for a scope at all."""
        return getattr(self, scope.value) is not None

    def with_event(self, event: ConsentEvent) -> ConsentState:
        """Return the state after one more record."""
        given = event.action is ConsentAction.GIVEN
        changes: dict[str, object] = {event.scope.value: given}
        if event.scope is ConsentScope.SHARE_FLAGS:
            changes["share_level"] = event.share_level if given else None
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_events(cls, events: Iterable[ConsentEvent]) -> ConsentState:
        """Fold records, oldest first, into the current state."""
        state = cls()
        for event in events:
            state = state.with_event(event)
        return state
