"""Effects of the broadcast flow: the broadcast and one delivery per recipient, in the coordinator's transaction."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any

from flows.broadcast import COORDINATOR, people
from flows.broadcast_counts import ShownCount, shown_count
from flows.broadcast_model import CreateBroadcast
from flows.outcome import Outcome, Text, reply
from flows.snapshot import Facts
from models.repositories import MemberRow
from models.unit_of_work import UnitOfWork

log = logging.getLogger("cairn.broadcasts")

BROADCAST_EFFECTS = frozenset({"CreateBroadcast"})


async def apply_broadcast(uow: UnitOfWork, effect: object, member: MemberRow, facts: Facts, state: Any) -> None:
    """Write the broadcast for the audience as it is now, and tell the coordinator how many it goes to."""
    if not isinstance(effect, CreateBroadcast):
        raise TypeError(f"unknown broadcast effect {type(effect).__name__}")
    staff = facts.staff
    if staff is None or staff.role != COORDINATOR:  # checked again here, in the same transaction as the write
        state.outcome = Outcome(replies=(reply(Text("staff.coordinators_only")),))
        return
    created = await create_broadcast(uow, staff.organisation_id, member.id, effect, facts.now)
    if created is None:
        state.outcome = replace(state.outcome, replies=(reply(Text("broadcast.nobody")),))
        return
    shown = shown_count(facts.broadcast.audience, effect.audience) if facts.broadcast is not None else None
    exact = shown is not None and shown.exact and shown.count == created[1]  # the rules the coordinator saw
    queued = reply(Text("broadcast.queued", {"people": people(ShownCount(created[1], exact))}))
    state.outcome = replace(state.outcome, replies=(queued,))


async def create_broadcast(
    uow: UnitOfWork,
    organisation_id: int,
    author_member_id: int,
    effect: CreateBroadcast,
    now: datetime,
    request_key: str | None = None,
) -> tuple[int, int] | None:
    """Write a broadcast and one delivery per member of its audience as it is now; None when nobody is in it.

    The caller has checked that the author coordinates the organisation. Returns the id and the recipients.
    """
    members = await uow.broadcasts.audience_members(organisation_id, effect.audience)
    if not members:
        return None
    broadcast_id = await uow.broadcasts.create(
        organisation_id, author_member_id, effect.text, effect.card, effect.audience, members, now, request_key
    )
    log.info("broadcast_created recipients=%d card=%s", len(members), effect.card is not None)
    return broadcast_id, len(members)
