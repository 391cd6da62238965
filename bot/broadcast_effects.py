"""Effects of the broadcast flow: the broadcast and one delivery per recipient, in the coordinator's transaction."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from flows.broadcast import COORDINATOR, people
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
    members = await uow.broadcasts.audience_members(staff.organisation_id, effect.audience)
    if not members:
        state.outcome = replace(state.outcome, replies=(reply(Text("broadcast.nobody")),))
        return
    await uow.broadcasts.create(
        staff.organisation_id, member.id, effect.text, effect.card, effect.audience, members, facts.now
    )
    queued = reply(Text("broadcast.queued", {"people": people(len(members))}))
    state.outcome = replace(state.outcome, replies=(queued,))
    log.info("broadcast_created recipients=%d card=%s", len(members), effect.card is not None)
