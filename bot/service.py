"""The application service: load a snapshot, run the flow, apply its effects in one unit of work."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.effects import Delivery, Document, EffectApplier, Photo
from bot.ephemeral import EphemeralConversations
from flows import router
from flows.consent import ConsentAction, ConsentEvent, ConsentScope, ConsentState, ShareLevel
from flows.crisis import CrisisResources
from flows.inbound import Command, Inbound
from flows.snapshot import (
    ConversationPosition,
    Facts,
    InviteInfo,
    MemberSnapshot,
    MemberStatus,
    OrganisationInfo,
    StartTarget,
)
from flows.texts import Catalogue
from models.repositories import MemberRow, OrganisationRow
from models.unit_of_work import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger("cairn.service")

ORGANISATION_PREFIX = "org_"
INVITE_PREFIX = "inv_"

__all__ = ["INVITE_PREFIX", "ORGANISATION_PREFIX", "Delivery", "Document", "MemberService", "Photo", "Sender"]


@dataclass(frozen=True)
class Sender:
    """Who an update came from, and which update it was."""

    telegram_user_id: int
    chat_id: int
    update_id: int


class MemberService:
    """Handles one inbound event for one person, start to finish, in one transaction."""

    def __init__(
        self,
        units: UnitOfWorkFactory,
        catalogue: Catalogue,
        crisis: CrisisResources,
        default_organisation: str,
        clock: Callable[[], datetime],
        instruments: Mapping[str, Any] | None = None,
        chart: object = None,
    ) -> None:
        """Wire the service to storage, texts, resources, instruments and a clock."""
        self._units = units
        self._catalogue = catalogue
        self._crisis = crisis
        self._default_organisation = default_organisation
        self._clock = clock
        self._instruments = dict(instruments or {})
        self.ephemeral = EphemeralConversations()
        self._effects = EffectApplier(catalogue, self.ephemeral, chart, self._instruments)

    async def handle(self, sender: Sender, inbound: Inbound, method: str = "") -> Delivery | None:
        """Run one event through the flows; None if this update was handled before."""
        now = self._clock()
        async with self._units() as uow:
            if not await uow.updates.claim(sender.update_id, now):
                log.info("duplicate_update_ignored")
                return None
            member = await uow.members.by_telegram_user(sender.telegram_user_id)
            snapshot = await self._snapshot(uow, member, now)
            start = await self._start_target(uow, inbound) if isinstance(inbound, Command) else None
            facts = Facts(snapshot, self._catalogue, self._crisis, now, start, self._instruments)
            outcome = router.handle(inbound, facts, method=method)
            telegram = (sender.telegram_user_id, sender.chat_id, sender.update_id)
            delivery = await self._effects.apply(uow, outcome, member, facts, telegram)
            await uow.commit()
        return delivery

    async def _snapshot(self, uow: UnitOfWork, member: MemberRow | None, now: datetime) -> MemberSnapshot:
        if member is None:
            return MemberSnapshot(registered=False)
        organisation = await uow.organisations.by_id(member.organisation_id)
        history = await uow.consents.history(member.id)
        consent = ConsentState.from_events(
            ConsentEvent(
                ConsentScope(row.scope),
                ConsentAction(row.action),
                ShareLevel(row.share_level) if row.share_level else None,
            )
            for row in history
        )
        position = self.ephemeral.get(member.id, now)
        if position is None:
            stored = await uow.conversations.get(member.id)
            position = ConversationPosition(stored.flow, stored.step, stored.data) if stored else None
        plan = await uow.plans.get(member.id)
        moods: tuple[int, ...] = ()
        scores: dict[str, tuple[float, ...]] = {}
        if consent.store and position is not None and position.flow == "ci":
            moods = tuple(point.value for point in await uow.checkins.recent_moods(member.id))
            for point in await uow.checkins.scores_since(member.id):
                if point.value is not None:
                    scores[point.instrument_id] = (*scores.get(point.instrument_id, ()), point.value)
        return MemberSnapshot(
            registered=True,
            organisation=_info(organisation) if organisation else None,
            status=MemberStatus(member.status),
            consent=consent,
            conversation=position,
            staff_roles=tuple(await uow.staff.roles(member.id)),
            plan=plan.plan if plan else None,
            checkins_since_instrument=plan.checkins_since_instrument if plan else 0,
            recent_moods=moods,
            recent_scores=scores,
        )

    async def _start_target(self, uow: UnitOfWork, inbound: Command) -> StartTarget | None:
        if inbound.name != "start":
            return None
        default = await uow.organisations.by_slug(self._default_organisation)
        if default is None:
            raise LookupError("the default organisation does not exist; run `python -m bot create-organisation`")
        payload = inbound.argument.strip()
        if payload.startswith(ORGANISATION_PREFIX):
            found = await uow.organisations.by_slug(payload.removeprefix(ORGANISATION_PREFIX))
            if found:
                return StartTarget(_info(found), from_link=True)
        if payload.startswith(INVITE_PREFIX):
            invite = await uow.staff.invite_by_token(payload.removeprefix(INVITE_PREFIX))
            if invite:
                organisation = await uow.organisations.by_id(invite.organisation_id)
                assert organisation is not None
                usable = not invite.redeemed and invite.expires_at > self._clock()
                info = InviteInfo(invite.id, _info(organisation), invite.role, usable)
                return StartTarget(_info(organisation), from_link=True, invite=info)
        return StartTarget(_info(default), unknown_link=bool(payload))


def _info(row: OrganisationRow) -> OrganisationInfo:
    return OrganisationInfo(row.id, row.name, row.slug)
