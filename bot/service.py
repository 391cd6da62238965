"""The application service: load a snapshot, run the flow, apply its effects in one unit of work."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from bot.activity_facts import ActivityFactsLoader
from bot.broadcast_facts import BroadcastFactsLoader
from bot.detect.language_service import LanguageReading
from bot.effects import Delivery, Document, EffectApplier, Photo
from bot.ephemeral import EphemeralConversations
from bot.telegram.render import reply_messages
from flows import router
from flows.assistance import must_reach_the_member
from flows.callbacks import ButtonChoice, parse_button_data
from flows.consent import ConsentAction, ConsentEvent, ConsentScope, ConsentState, ShareLevel
from flows.crisis import CrisisResources
from flows.inbound import ButtonPress, Command, Inbound, TextMessage, UnsupportedMessage
from flows.outcome import Outcome
from flows.risk import LanguageSignal
from flows.safeguarding.model import someone_can_receive
from flows.snapshot import (
    CaseInfo,
    ConversationPosition,
    Facts,
    InviteInfo,
    MemberSnapshot,
    MemberStatus,
    OrganisationInfo,
    RelayInfo,
    SharingFacts,
    StaffInfo,
    StartTarget,
    TeamMate,
)
from flows.texts import Catalogue
from models.repositories import MemberContext, OrganisationRow
from models.staff import StaffRow
from models.unit_of_work import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger("cairn.service")

ORGANISATION_PREFIX = "org_"
INVITE_PREFIX = "inv_"

__all__ = ["INVITE_PREFIX", "ORGANISATION_PREFIX", "Delivery", "Document", "MemberService", "Photo", "Sender"]


@dataclass(frozen=True)
class Sender:
    """Who an update came from, and which update it was (the first name is kept only for staff)."""

    telegram_user_id: int
    chat_id: int
    update_id: int
    first_name: str = ""


class LanguageAssessor(Protocol):
    """Anything that reads a message for risk (bot.detect's LanguageRiskService)."""

    async def assess(self, text: str) -> list[LanguageSignal]:
        """Return the signals for one message."""
        ...


class LanguageIdentifying(Protocol):
    """Anything that says which language a message is in (bot.detect's LanguageIdentificationService)."""

    async def read(self, text: str) -> LanguageReading:
        """Return the message's language and what a reviewed word list of that language found."""
        ...


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
        language: LanguageAssessor | None = None,
        neighbourhoods: tuple[str, ...] = (),
        dashboard_url: str = "",
        languages: LanguageIdentifying | None = None,
    ) -> None:
        """Wire the service to storage, texts, resources, instruments and a clock."""
        self._units = units
        self._catalogue = catalogue
        self._crisis = crisis
        self._default_organisation = default_organisation
        self._clock = clock
        self._instruments = dict(instruments or {})
        self._language = language
        self._languages = languages
        self.ephemeral = EphemeralConversations()
        self._effects = EffectApplier(catalogue, self.ephemeral, chart, self._instruments, crisis, dashboard_url)
        self._activity_facts = ActivityFactsLoader(neighbourhoods)
        self._broadcast_facts = BroadcastFactsLoader(catalogue)

    async def handle(self, sender: Sender, inbound: Inbound, method: str = "") -> Delivery | None:
        """Run one event through the flows; None if this update was handled before."""
        language, unread_language = await self._read(inbound)
        now = self._clock()
        async with self._units() as uow:
            if not await uow.updates.claim(sender.update_id, now):
                kept = await uow.inbox.kept_reply(sender.update_id)
                if kept:  # handled, but the process died before the reply was confirmed: send it now
                    log.warning("kept_reply_resent messages=%d", len(kept))
                    return Delivery(Outcome(), messages=kept, resent=True)
                log.info("duplicate_update_ignored")
                return None
            context = await uow.members.context_by_telegram_user(sender.telegram_user_id)
            member = context.member if context else None
            snapshot = await self._snapshot(uow, context, now)
            start = await self._start_target(uow, inbound) if isinstance(inbound, Command) else None
            facts = Facts(snapshot, self._catalogue, self._crisis, now, start, self._instruments, language)
            facts = replace(facts, unread_language=unread_language)
            if context is not None:
                facts = await self._staff_facts(uow, facts, context.member.id, context.staff, inbound)
                facts = await self._activity_facts.add(uow, facts, context.member.id, inbound)
                facts = await self._broadcast_facts.add(uow, facts, inbound)
                if context.unreachable:  # they wrote: Telegram delivers to them again
                    await uow.broadcast_deliveries.mark_reachable(context.member.id)
            outcome = router.handle(inbound, facts, method=method)
            telegram = (sender.telegram_user_id, sender.chat_id, sender.update_id, sender.first_name)
            delivery = await self._effects.apply(uow, outcome, member, facts, telegram)
            messages = reply_messages(self._catalogue, delivery.outcome)
            if messages and (must_reach_the_member(outcome) or must_reach_the_member(delivery.outcome)):
                await uow.inbox.keep_reply(sender.update_id, messages)  # until it is out: a crash does not lose it
            await uow.commit()
        return replace(delivery, messages=messages)

    async def _read(self, inbound: Inbound) -> tuple[tuple[LanguageSignal, ...], str | None]:
        """Read a message's words for risk (as English) and, side by side, identify their language."""
        text = inbound.text if isinstance(inbound, (TextMessage, UnsupportedMessage)) else ""
        if not text:
            return (), None
        identified = self._languages.read(text) if self._languages is not None else _read_as_english()
        if self._language is None:
            reading = await identified
            return reading.signals, reading.unread_language
        signals, reading = await asyncio.gather(self._language.assess(text), identified)
        return (*signals, *reading.signals), reading.unread_language

    async def defer(self, sender: Sender, messages: list[tuple[str, list[list[tuple[str, str]]]]]) -> None:
        """Keep replies that could not be sent now in the outbox, in order, to be sent until Telegram confirms."""
        now = self._clock()
        async with self._units() as uow:
            member = await uow.members.by_telegram_user(sender.telegram_user_id)
            for text, rows in messages:
                await uow.outbox.enqueue(member.id if member else None, sender.chat_id, "reply", text, rows, now)
            await uow.inbox.forget_reply(sender.update_id)  # the outbox sends them now, not a restart
            await uow.commit()

    async def _snapshot(self, uow: UnitOfWork, context: MemberContext | None, now: datetime) -> MemberSnapshot:
        if context is None:
            return MemberSnapshot(registered=False)
        member, organisation = context.member, context.organisation
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
            stored = context.conversation  # read with the member, in this transaction
            position = ConversationPosition(stored.flow, stored.step, stored.data) if stored else None
        plan = context.plan
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
            plan=plan.plan if plan else None,
            checkins_since_instrument=plan.checkins_since_instrument if plan else 0,
            recent_moods=moods,
            recent_scores=scores,
        )

    async def _staff_facts(
        self, uow: UnitOfWork, facts: Facts, member_id: int, role: StaffRow | None, inbound: Inbound
    ) -> Facts:
        """Add what staff actions and relayed chats need: the role, the team, the alert, the relay."""
        staff = (
            StaffInfo(role.organisation_id, role.role, role.display_name, role.on_duty, role.rota_days, role.rota_hours)
            if role
            else None
        )
        changes: dict[str, Any] = {"member_id": member_id, "staff": staff}
        position = facts.member.conversation
        choice = parse_button_data(inbound.data) if isinstance(inbound, ButtonPress) else None
        if staff is not None:
            if (isinstance(inbound, Command) and inbound.name == "team") or (choice and choice.flow == "tm"):
                changes["team"] = tuple(
                    TeamMate(mate.member_id, mate.role, mate.display_name, mate.on_duty_at(facts.now))
                    for mate in await uow.team.of_organisation(staff.organisation_id)
                )
            if isinstance(inbound, Command) and inbound.name == "alerts":
                changes["alerts"] = tuple(
                    a.model() for a in await uow.alerts.open_for_organisation(staff.organisation_id)
                )
        alert_id = None
        if choice and choice.flow == "al":
            alert_id = _leading_number(choice.choice)
        elif position is not None and position.flow == "al":
            alert_id = int(position.data.get("alert", 0)) or None
        if alert_id is not None:
            found = await uow.alerts.get(alert_id)
            changes["alert"] = found.model() if found else None
        session_id = None
        if choice and choice.flow == "rl":
            session_id = _leading_number(choice.choice)
        elif position is not None and position.flow == "rl":
            session_id = int(position.data.get("session", 0)) or None
        if _needs_sharing(inbound, choice, facts):
            changes["sharing"] = await _sharing_facts(uow, member_id, facts)
        if session_id is not None:
            relay = await uow.relay.get(session_id)
            if relay is not None and member_id in (relay.member_id, relay.volunteer_member_id):
                volunteer = await uow.team.of_member(relay.volunteer_member_id) if relay.volunteer_member_id else None
                name = volunteer.display_name if volunteer else ""
                changes["relay"] = RelayInfo(relay.id, relay.alert_id, relay.status, relay.member_id == member_id, name)
        return replace(facts, **changes)

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


def _needs_sharing(inbound: Inbound, choice: ButtonChoice | None, facts: Facts) -> bool:
    """Steps that raise an alert or talk about one: contact buttons, messages read as a crisis or concern, and
    check-in steps (a check-in can end in an assessment)."""
    if facts.language:  # read as a crisis or concern (a typed message, an edit or a photo's caption)
        return True
    if choice is not None:
        return choice.flow in ("ct", "ci")
    if isinstance(inbound, TextMessage):
        position = facts.member.conversation
        return position is not None and position.flow == "ci"
    return False


async def _sharing_facts(uow: UnitOfWork, member_id: int, facts: Facts) -> SharingFacts:
    """The member's open case and whether anyone in their organisation can receive an alert about them."""
    case = await uow.alerts.open_case_of(member_id)
    info = CaseInfo(case.id, case.tier, case.status, case.share_level) if case else None
    organisation = facts.member.organisation
    if organisation is None:
        return SharingFacts(info, False)
    team = [row.person() for row in await uow.team.of_organisation(organisation.id)]
    return SharingFacts(info, someone_can_receive(member_id, organisation.id, team, facts.now))


async def _read_as_english() -> LanguageReading:
    return LanguageReading()


def _leading_number(text: str) -> int | None:
    head = text.partition("_")[0]
    return int(head) if head.isdigit() and len(head) < 12 else None


def _info(row: OrganisationRow) -> OrganisationInfo:
    return OrganisationInfo(row.id, row.name, row.slug)
