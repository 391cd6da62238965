"""Which inbound events need activity facts, so that ordinary updates never load the directory (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from flows.activities.cards import FLOW as MEMBER_FLOW
from flows.activities.manage import COMMANDS as MANAGE_COMMANDS
from flows.activities.manage_steps import FLOW as MANAGE_FLOW
from flows.callbacks import parse_button_data
from flows.inbound import ButtonPress, Command, Inbound, TextMessage
from flows.snapshot import ConversationPosition

MEMBER_COMMANDS = frozenset({"activities", "interests"})
CHECKIN_FLOW = "ci"


class Need(StrEnum):
    """What to load: a member's choices and the listings near them, or a coordinator's whole organisation."""

    MEMBER = "member"
    MANAGE = "manage"


def needed(inbound: Inbound, position: ConversationPosition | None, instruments: Mapping[str, Any]) -> Need | None:
    """Say what an event needs: /activities, /interests, their buttons and text, /listings, or a finishing check-in."""
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
                return Need.MANAGE
            if choice.flow == CHECKIN_FLOW and position is not None and flow == CHECKIN_FLOW:
                return Need.MEMBER if _finishes(choice.step, position, instruments) else None
            return None
        case TextMessage():
            if flow == MEMBER_FLOW:
                return Need.MEMBER
            if flow == MANAGE_FLOW:
                return Need.MANAGE
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
