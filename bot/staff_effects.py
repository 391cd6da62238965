"""Effects of staff actions and relayed chats: writes plus outbox messages to the other people involved."""

from __future__ import annotations

import logging
from typing import Any

from bot.safeguarding.desk import AlertDesk, remove_from_team
from bot.web.dashboard.links import mint_login_link
from flows.alert_messages import relay_invitation
from flows.crisis import CrisisResources
from flows.outcome import (
    AnswerAlert,
    AnswerRelay,
    AskRelay,
    Audit,
    ClaimAlert,
    EndRelay,
    NoteAlert,
    Outcome,
    RelayText,
    RemoveFromTeam,
    ResolveAlert,
    SendDashboardLink,
    SetDuty,
    SetRota,
    Text,
    WithdrawAlert,
    reply,
)
from flows.safeguarding.model import Refusal, may_act_as_holder
from flows.snapshot import Facts
from flows.staff import REFUSAL_NOTICES
from flows.texts import Catalogue
from models.repositories import MemberRow
from models.unit_of_work import UnitOfWork

log = logging.getLogger("cairn.staff")

STAFF_EFFECTS = frozenset(
    {
        "SetDuty",
        "SetRota",
        "RemoveFromTeam",
        "ClaimAlert",
        "AnswerAlert",
        "WithdrawAlert",
        "ResolveAlert",
        "NoteAlert",
        "AskRelay",
        "AnswerRelay",
        "RelayText",
        "EndRelay",
        "SendDashboardLink",
        "Audit",
    }
)


class StaffEffects:
    """Applies staff and relay effects; messages to other chats go through the outbox, in this transaction."""

    def __init__(self, catalogue: Catalogue, crisis: CrisisResources, dashboard_url: str = "") -> None:
        """Wire the texts and where the web dashboard is reached (for login links)."""
        self._catalogue = catalogue
        self._crisis = crisis
        self._dashboard_url = dashboard_url
        self.desk = AlertDesk(catalogue)

    async def apply(self, uow: UnitOfWork, effect: object, member: MemberRow, facts: Facts, state: Any) -> None:
        """Apply one effect for the member (or staff member) who wrote."""
        now = facts.now
        organisation = facts.staff.organisation_id if facts.staff else member.organisation_id
        match effect:
            case Audit(action=action, object_type=object_type, object_id=object_id):
                await uow.audit.record(action, object_type, object_id, now, member.id, organisation)
            case SetDuty(on=on):
                await uow.team.set_duty(member.id, on)
            case SetRota(days=days, hours=hours):
                await uow.team.set_rota(member.id, days, hours)
            case RemoveFromTeam(member_id=target):
                await remove_from_team(uow, self.desk, target, organisation, now)
            case ClaimAlert(alert_id=alert_id):
                await self._claim(uow, alert_id, member, facts, state)
            case AnswerAlert(alert_id=alert_id):
                await uow.alerts.answered(alert_id, member.id, now)
            case WithdrawAlert(alert_id=alert_id):
                await self.desk.withdraw(uow, alert_id, member.id, now)
            case ResolveAlert(alert_id=alert_id, outcome=outcome):
                await self._resolve(uow, alert_id, outcome, member, facts, state)
            case NoteAlert(alert_id=alert_id, text=text):
                await uow.alerts.add_note(alert_id, text)
            case AskRelay(alert_id=alert_id):
                await self._ask_relay(uow, alert_id, member, facts)
            case AnswerRelay(session_id=session_id, accept=accept):
                await self._answer_relay(uow, session_id, accept, facts)
            case RelayText(session_id=session_id, text=text, from_member=from_member):
                await self._relay_text(uow, session_id, text, from_member, facts)
            case EndRelay(session_id=session_id):
                await self._end_relay(uow, session_id, member, facts)
            case SendDashboardLink():
                link = await mint_login_link(uow, self._dashboard_url, member.id, now)
                if link is not None:
                    message = reply(Text("dashboard.link", {"link": link}))
                    state.outcome = state.outcome.then(Outcome(replies=(message,)))
                    log.info("dashboard_link_sent")
            case _:
                raise TypeError(f"unknown staff effect {type(effect).__name__}")

    async def _claim(self, uow: UnitOfWork, alert_id: int, member: MemberRow, facts: Facts, state: Any) -> None:
        holder = await uow.team.of_member(member.id)
        refusal = await self.desk.claim(uow, alert_id, holder, facts.now) if holder else Refusal.NOT_IN_TEAM
        if refusal is not None:  # someone else got there first (the rules were checked on the facts read before)
            key = "alert.claimed_by_someone_else" if refusal is Refusal.ALREADY_CLAIMED else REFUSAL_NOTICES[refusal]
            state.outcome = Outcome(replies=(reply(Text(key)),))

    async def _resolve(
        self, uow: UnitOfWork, alert_id: int, outcome: str, member: MemberRow, facts: Facts, state: Any
    ) -> None:
        holder = await uow.team.of_member(member.id)
        refusal = (
            await self.desk.resolve(uow, alert_id, holder, outcome, "", facts.now) if holder else Refusal.NOT_IN_TEAM
        )
        if refusal is not None:  # taken back by the clock, or closed, since the facts were read
            state.outcome = Outcome(replies=(reply(Text(REFUSAL_NOTICES[refusal])),))

    async def _ask_relay(self, uow: UnitOfWork, alert_id: int, volunteer: MemberRow, facts: Facts) -> None:
        alert = await uow.alerts.get(alert_id)
        assert alert is not None
        session_id = await uow.relay.open(
            alert_id, alert.member_id, volunteer.id, alert.share_level == "with_answers", facts.now
        )
        name = facts.staff.display_name if facts.staff else ""
        organisation = await uow.organisations.by_id(alert.organisation_id)
        invitation = relay_invitation(session_id, name, organisation.name if organisation else "")
        await self.desk.send(
            uow, alert.member_id, alert.member_chat_id, "relay", invitation, facts.now, alert_id=alert_id
        )

    async def _answer_relay(self, uow: UnitOfWork, session_id: int, accept: bool, facts: Facts) -> None:
        relay = await uow.relay.get(session_id)
        assert relay is not None
        if relay.status != "asked":
            return  # closed meanwhile: the member was told why when it closed
        await uow.relay.set_status(session_id, "open" if accept else "closed", facts.now)
        if accept:
            await uow.conversations.save(relay.member_id, "rl", "open", {"session": session_id}, facts.now)
            if relay.volunteer_member_id is not None:
                await uow.conversations.save(
                    relay.volunteer_member_id, "rl", "open", {"session": session_id}, facts.now
                )
        if relay.volunteer_member_id is not None and relay.volunteer_chat_id is not None:
            key = "relay.member_said_yes" if accept else "relay.member_said_no"
            await self.desk.send(
                uow,
                relay.volunteer_member_id,
                relay.volunteer_chat_id,
                "relay",
                reply(Text(key)),
                facts.now,
                alert_id=relay.alert_id,
            )

    async def _relay_text(self, uow: UnitOfWork, session_id: int, text: str, from_member: bool, facts: Facts) -> None:
        relay = await uow.relay.get(session_id)
        assert relay is not None
        if relay.status != "open":
            return  # closed meanwhile (the volunteer left the team, or the member took back what they shared)
        if not from_member:
            holder = await uow.team.of_member(relay.volunteer_member_id) if relay.volunteer_member_id else None
            alert = await uow.alerts.get(relay.alert_id)
            if holder is None or alert is None or not may_act_as_holder(alert.model(), holder.person()).allowed:
                log.warning("relay_text_refused")
                return
            await uow.alerts.answered(relay.alert_id, holder.member_id, facts.now)
        if from_member:
            if relay.volunteer_member_id is None or relay.volunteer_chat_id is None:
                return
            message = reply(Text("relay.from_member", {"text": text}))
            await self.desk.send(
                uow,
                relay.volunteer_member_id,
                relay.volunteer_chat_id,
                "relay",
                message,
                facts.now,
                alert_id=relay.alert_id,
            )
        else:
            name = facts.relay.volunteer_name if facts.relay else ""
            message = reply(Text("relay.from_volunteer", {"name": name, "text": text}))
            await self.desk.send(
                uow, relay.member_id, relay.member_chat_id, "relay", message, facts.now, alert_id=relay.alert_id
            )
        if relay.keep_transcript:
            await uow.relay.keep_line(session_id, from_member, text, facts.now)

    async def _end_relay(self, uow: UnitOfWork, session_id: int, member: MemberRow, facts: Facts) -> None:
        relay = await uow.relay.get(session_id)
        assert relay is not None
        await uow.relay.set_status(session_id, "closed", facts.now)
        await uow.conversations.end(relay.member_id)
        if relay.volunteer_member_id is not None:
            await uow.conversations.end(relay.volunteer_member_id)
        other = (
            (relay.volunteer_member_id, relay.volunteer_chat_id)
            if member.id == relay.member_id
            else (relay.member_id, relay.member_chat_id)
        )
        if other[0] is not None and other[1] is not None:
            await self.desk.send(
                uow,
                other[0],
                other[1],
                "relay",
                reply(Text("relay.ended_by_other")),
                facts.now,
                alert_id=relay.alert_id,
            )
