"""The application service: load a snapshot, run the flow, apply its effects in one unit of work."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from flows import rights, router
from flows.consent import ConsentAction, ConsentEvent, ConsentScope, ConsentState, ShareLevel
from flows.crisis import CrisisResources
from flows.inbound import Command, Inbound
from flows.outcome import (
    EndConversation,
    EraseMember,
    JoinOrganisation,
    Outcome,
    RecordConsent,
    RedeemStaffInvite,
    RegisterMember,
    SaveConversation,
    SendMemberExport,
    SetMemberStatus,
    Text,
)
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
from models import member_data
from models.repositories import MemberRow, OrganisationRow
from models.unit_of_work import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger("cairn.service")

ORGANISATION_PREFIX = "org_"
INVITE_PREFIX = "inv_"


@dataclass(frozen=True)
class Sender:
    """Who an update came from, and which update it was."""

    telegram_user_id: int
    chat_id: int
    update_id: int


@dataclass(frozen=True)
class Document:
    """A file to send to the member."""

    filename: str
    content: bytes
    caption: str


@dataclass(frozen=True)
class Delivery:
    """What to send back: the flow's outcome, rendered by the edge, plus any document."""

    outcome: Outcome
    document: Document | None = None


class MemberService:
    """Handles one inbound event for one person, start to finish, in one transaction."""

    def __init__(
        self,
        units: UnitOfWorkFactory,
        catalogue: Catalogue,
        crisis: CrisisResources,
        default_organisation: str,
        clock: Callable[[], datetime],
    ) -> None:
        """Wire the service to storage, texts, resources and a clock."""
        self._units = units
        self._catalogue = catalogue
        self._crisis = crisis
        self._default_organisation = default_organisation
        self._clock = clock

    async def handle(self, sender: Sender, inbound: Inbound, method: str = "") -> Delivery | None:
        """Run one event through the flows; None if this update was handled before."""
        now = self._clock()
        async with self._units() as uow:
            if not await uow.updates.claim(sender.update_id, now):
                log.info("duplicate_update_ignored")
                return None
            member = await uow.members.by_telegram_user(sender.telegram_user_id)
            snapshot = await self._snapshot(uow, member)
            start = await self._start_target(uow, inbound) if isinstance(inbound, Command) else None
            facts = Facts(snapshot, self._catalogue, self._crisis, now, start)
            outcome = router.handle(inbound, facts, method=method)
            delivery = await self._apply(uow, outcome, member, sender, now)
            await uow.commit()
        return delivery

    async def _snapshot(self, uow: UnitOfWork, member: MemberRow | None) -> MemberSnapshot:
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
        conversation = await uow.conversations.get(member.id)
        return MemberSnapshot(
            registered=True,
            organisation=_info(organisation) if organisation else None,
            status=MemberStatus(member.status),
            consent=consent,
            conversation=ConversationPosition(conversation.flow, conversation.step, conversation.data)
            if conversation
            else None,
            staff_roles=tuple(await uow.staff.roles(member.id)),
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

    async def _apply(
        self, uow: UnitOfWork, outcome: Outcome, member: MemberRow | None, sender: Sender, now: datetime
    ) -> Delivery:
        document = None
        for effect in outcome.effects:
            match effect:
                case RegisterMember(organisation_id=organisation_id):
                    member = await uow.members.add(sender.telegram_user_id, sender.chat_id, organisation_id, now)
                    log.info("member_registered")
                case EraseMember():
                    assert member is not None
                    counts = await member_data.erase(uow.session, member.id)
                    log.info("member_erased tables=%d rows=%d", len(counts), sum(counts.values()))
                    outcome = replace(outcome, effects=()).then(rights.erased(counts))
                    member = None
                case SendMemberExport():
                    assert member is not None
                    await uow.session.flush()
                    found = await member_data.collect(uow.session, member.id)
                    content = member_data.export_document(found, uow.cipher, now)
                    caption = self._catalogue.render(Text("mydata.caption"))
                    document = Document(f"cairn-my-data-{now:%Y-%m-%d}.json", content, caption)
                    log.info("member_export_sent")
                case _:
                    assert member is not None, f"{type(effect).__name__} needs a registered member"
                    await self._apply_member_effect(uow, effect, member.id, sender, now)
        return Delivery(outcome, document)

    async def _apply_member_effect(
        self, uow: UnitOfWork, effect: object, member_id: int, sender: Sender, now: datetime
    ) -> None:
        match effect:
            case JoinOrganisation(organisation_id=organisation_id):
                await uow.members.set_organisation(member_id, organisation_id)
            case RecordConsent():
                record = {
                    "scope": effect.scope.value,
                    "action": effect.action,
                    "share_level": effect.share_level.value if effect.share_level else None,
                    "text_version": effect.text_version,
                    "text_hash": effect.text_hash,
                    "method": effect.method[:80],
                }
                await uow.consents.append(member_id, record, sender.update_id, now)
                log.info("consent_recorded scope=%s action=%s", effect.scope.value, effect.action)
            case SaveConversation(flow=flow, step=step, data=data):
                await uow.conversations.save(member_id, flow, step, data, now)
            case EndConversation():
                await uow.conversations.end(member_id)
            case SetMemberStatus(status=status):
                await uow.members.set_status(member_id, status)
            case RedeemStaffInvite(invite_id=invite_id, organisation_id=organisation_id, role=role):
                if await uow.staff.redeem(invite_id, member_id, organisation_id, role, now):
                    log.info("staff_invite_redeemed role=%s", role)
            case _:
                raise TypeError(f"unknown effect {type(effect).__name__}")


def _info(row: OrganisationRow) -> OrganisationInfo:
    return OrganisationInfo(row.id, row.name, row.slug)
