"""Load what a coordinator composing a broadcast may pick from, only for the events of that conversation."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from types import MappingProxyType

from flows import broadcast
from flows.activities.cards import cost_text, when_text
from flows.activities.model import Activity
from flows.activities.occurrences import next_occurrence
from flows.activities.taxonomy import bundled_taxonomy
from flows.broadcast_model import ActivityCard, BroadcastFacts
from flows.callbacks import parse_button_data
from flows.inbound import ButtonPress, Command, Inbound, TextMessage
from flows.snapshot import Facts
from flows.texts import Catalogue
from models.unit_of_work import UnitOfWork

CARD_BATCH = 100
CARD_HORIZON = timedelta(days=60)
"""Activities offered as cards are those with a session in the next two months, soonest first."""


class BroadcastFactsLoader:
    """Adds `Facts.broadcast` for /broadcast, its buttons and the coordinator's message."""

    def __init__(self, catalogue: Catalogue, interest_labels: Mapping[str, str] | None = None) -> None:
        """Keep the texts (cards are shown in words) and the taxonomy's labels."""
        self._catalogue = catalogue
        if interest_labels is None:
            interest_labels = {term.id: term.label for term in bundled_taxonomy().terms}
        self._labels = MappingProxyType(dict(interest_labels))

    async def add(self, uow: UnitOfWork, facts: Facts, inbound: Inbound) -> Facts:
        """Return the facts with the broadcast's choices, or unchanged when this event is not about a broadcast."""
        staff = facts.staff
        if staff is None or staff.role != broadcast.COORDINATOR or not _needed(inbound, facts):
            return facts
        organisation = await uow.organisations.by_id(staff.organisation_id)
        audience = await uow.broadcasts.audience_profile(staff.organisation_id)
        cards: tuple[ActivityCard, ...] = ()
        if isinstance(inbound, TextMessage):  # only the message step offers cards
            cards = await coming_cards(uow, staff.organisation_id, facts.now, self._catalogue)
        known = BroadcastFacts(organisation.name if organisation else "", audience, cards, self._labels)
        return replace(facts, broadcast=known)


def _needed(inbound: Inbound, facts: Facts) -> bool:
    position = facts.member.conversation
    match inbound:
        case Command(name=name):
            return name == "broadcast"
        case ButtonPress(data=data):
            choice = parse_button_data(data)
            return choice is not None and choice.flow == broadcast.FLOW
        case TextMessage():
            return position is not None and position.flow == broadcast.FLOW
    return False


async def coming_cards(
    uow: UnitOfWork, organisation_id: int, now: datetime, catalogue: Catalogue
) -> tuple[ActivityCard, ...]:
    """Cards for the organisation's activities with a coming session, read through a batch at a time (another
    organisation's crisis reply is handled between two batches, never after the whole directory)."""
    upcoming: list[Activity] = []
    async for batch in uow.activities.batches(organisation_id, CARD_BATCH):
        upcoming += [a for a in batch if next_occurrence(a, now, CARD_HORIZON) is not None]
        await asyncio.sleep(0)
    return activity_cards(upcoming, now, catalogue)


def activity_cards(
    activities: list[Activity], now: datetime, catalogue: Catalogue, limit: int = broadcast.MAX_CHOICES
) -> tuple[ActivityCard, ...]:
    """Cards for the activities with a coming session, soonest first."""
    upcoming = []
    for activity in activities:
        session = next_occurrence(activity, now, CARD_HORIZON)
        if session is not None:
            upcoming.append((session.starts_at, activity.name, activity, session))
    upcoming.sort(key=lambda item: (item[0], item[1]))
    cards = []
    for _, _, activity, session in upcoming[:limit]:
        # Words for the day ("Tuesday 25 November"), never "today" or "tomorrow": the news is read later.
        words_from = session.starts_at - timedelta(days=7)
        cards.append(
            ActivityCard(
                activity_id=activity.id,
                name=activity.name,
                when=catalogue.render(when_text(session, words_from)),
                where=_place(activity),
                cost=catalogue.render(cost_text(activity)),
            )
        )
    return tuple(cards)


def _place(activity: Activity) -> str:
    if not activity.locations:
        return ""
    place = activity.locations[0]
    parts = [part.strip() for part in (place.name, place.address, place.postcode) if part and part.strip()]
    return ", ".join(dict.fromkeys(parts))
