"""Which inbound events need activity facts, so that ordinary updates never load the directory (pure).

A message in crisis language loads nothing: the crisis reply is fixed text and never waits for listings. (It used
to: a message typed at a check-in's note step, or while choosing an area, asked for the member's listings before
the router knew it would answer with the crisis reply, and those listings were every activity of the organisation
listed for no area. The review's 90,000-listing import made that crisis reply take 11-14 seconds.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from flows.activities.cards import FLOW as MEMBER_FLOW
from flows.activities.manage import COMMANDS as MANAGE_COMMANDS
from flows.activities.manage_steps import FLOW as MANAGE_FLOW
from flows.callbacks import parse_button_data
from flows.inbound import ButtonPress, Command, Inbound, TextMessage
from flows.risk import LanguageSignal, RiskTier, strongest
from flows.snapshot import ConversationPosition

MEMBER_COMMANDS = frozenset({"activities", "interests"})
CHECKIN_FLOW = "ci"
LIST_STEPS = frozenset({"menu", "epage", "cpage", "pick", "cpick", "csess", "cyes"})
"""/listings buttons that pick from the organisation's list; the others only need the listing being changed."""


class Need(StrEnum):
    """What to load: a member's choices and the listings near them, a coordinator's list, or the one being changed."""

    MEMBER = "member"
    MANAGE = "manage"
    EDIT = "edit"


def needed(
    inbound: Inbound,
    position: ConversationPosition | None,
    instruments: Mapping[str, Any],
    language: Sequence[LanguageSignal] = (),
) -> Need | None:
    """Say what an event needs: /activities, /interests, their buttons and text, /listings, or a finishing check-in.

    Text in crisis language (URGENT) needs nothing for a member; a coordinator writing a listing gets only the one
    listing they are writing (their words are for members, so the router signposts them but carries on).
    """
    flow = position.flow if position is not None else None
    match inbound:
        case Command(name=name):
            if name in MEMBER_COMMANDS:
                return Need.MEMBER
            return Need.MANAGE if name in MANAGE_COMMANDS else None
        case ButtonPress(data=data):
            choice = parse_button_data(data)
            if choice is None:
                return None
            if choice.flow == MEMBER_FLOW:
                return Need.MEMBER
            if choice.flow == MANAGE_FLOW:
                return Need.MANAGE if choice.step in LIST_STEPS else Need.EDIT
            if choice.flow == CHECKIN_FLOW and position is not None and flow == CHECKIN_FLOW:
                return Need.MEMBER if _finishes(choice.step, position, instruments) else None
            return None
        case TextMessage():
            if flow == MANAGE_FLOW:
                return Need.EDIT
            if strongest(list(language)) is RiskTier.URGENT:
                return None
            if flow == MEMBER_FLOW:
                return Need.MEMBER
            if flow == CHECKIN_FLOW and position is not None and position.step == "note":
                return Need.MEMBER if not position.data.get("instrument") else None
            return None
    return None


def _finishes(step: str, position: ConversationPosition, instruments: Mapping[str, Any]) -> bool:
    """Say whether a check-in button may complete the check-in (the last step before the closing reply)."""
    instrument = instruments.get(str(position.data.get("instrument"))) if position.data.get("instrument") else None
    if step == "note":
        return instrument is None
    if step == "item":
        return instrument is None or int(position.data.get("item", 0)) + 1 >= len(instrument.items)
    return False
