"""The alert desk: applies what flows/safeguarding decided, for the chat, the dashboard and the jobs alike.

Every message to another person goes through the outbox in the caller's transaction. The rules (who may claim,
who receives, when it escalates) are never decided here: `flows.safeguarding.model` decides, and the
repository's conditional UPDATEs guard against two people acting at once.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flows.outcome import Reply, Text, reply
from flows.safeguarding.model import MemberOutcome, Refusal, may_act_as_holder, may_claim
from flows.staff import holder_buttons
from flows.texts import Catalogue
from models.staff import StaffRow
from models.unit_of_work import UnitOfWork

log = logging.getLogger("cairn.safeguarding")


class AlertDesk:
    """Claims, releases, withdrawals and removals, with the messages each one owes to other people."""

    def __init__(self, catalogue: Catalogue) -> None:
        """Wire the texts."""
        self._catalogue = catalogue

    async def send(
        self,
        uow: UnitOfWork,
        member_id: int,
        chat_id: int,
        kind: str,
        message: Reply,
        now: datetime,
        alert_id: int | None = None,
        edits_id: int | None = None,
    ) -> None:
        """Queue one message in the outbox (sent after commit, until Telegram confirms)."""
        text = self._catalogue.render_reply(message)
        buttons = self._catalogue.render_buttons(message)
        await uow.outbox.enqueue(member_id, chat_id, kind, text, buttons, now, alert_id=alert_id, edits_id=edits_id)

    async def _edit_alert_messages(
        self, uow: UnitOfWork, alert_id: int, message: Reply, now: datetime, except_member: int | None = None
    ) -> None:
        for outbox_id, recipient, chat_id in await uow.outbox.alert_messages(alert_id):
            if recipient is not None and recipient != except_member:
                await self.send(uow, recipient, chat_id, "alert_update", message, now, alert_id, outbox_id)

    async def claim(
        self, uow: UnitOfWork, alert_id: int, holder: StaffRow, now: datetime, from_web: bool = False
    ) -> Refusal | None:
        """Claim an alert for `holder` if the rules allow; the others' alert messages say who took it."""
        alert = await uow.alerts.get(alert_id)
        if alert is None:
            return Refusal.NOT_IN_TEAM
        decision = may_claim(alert.model(), holder.person(), now)
        refusal = decision.refusal or await uow.alerts.claim(alert_id, holder.member_id, now)
        if refusal is not None:
            await uow.audit.record(
                "alert_claim_refused", "alert", alert_id, now, holder.member_id, holder.organisation_id
            )
            return refusal
        taken = reply(Text("alert.taken", {"id": alert_id, "name": holder.display_name}))
        await self._edit_alert_messages(uow, alert_id, taken, now, except_member=holder.member_id)
        if from_web:  # their Telegram gets the alert with its buttons, so they can get in touch from there
            message = reply(Text("alert.claimed_on_web", {"id": alert_id}), buttons=holder_buttons(alert_id))
            await self.send(uow, holder.member_id, holder.chat_id, "notice", message, now, alert_id)
        await uow.audit.record("alert_claimed", "alert", alert_id, now, holder.member_id, holder.organisation_id)
        log.info("alert_claimed")
        return None

    async def resolve(
        self, uow: UnitOfWork, alert_id: int, holder: StaffRow, outcome: str, note: str, now: datetime
    ) -> Refusal | None:
        """Resolve an alert the person holds, with an outcome and an optional note (kept encrypted); its relayed
        chats end (the member is told)."""
        alert = await uow.alerts.get(alert_id)
        if alert is None:
            return Refusal.NOT_IN_TEAM
        refusal = may_act_as_holder(alert.model(), holder.person()).refusal
        if refusal is None and not await uow.alerts.resolve(alert_id, outcome, now, holder.member_id):
            refusal = Refusal.RESOLVED  # taken back or closed meanwhile
        if refusal is not None:
            return refusal
        await self._close_relays(uow, await uow.relay.open_for_alert(alert_id), now, member_key="relay.ended_by_other")
        if note.strip():
            await uow.alerts.add_note(alert_id, note.strip()[:2000])
            await uow.audit.record("alert_noted", "alert", alert_id, now, holder.member_id, holder.organisation_id)
        await uow.audit.record("alert_resolved", "alert", alert_id, now, holder.member_id, holder.organisation_id)
        return None

    async def withdraw(self, uow: UnitOfWork, alert_id: int, member_id: int, now: datetime) -> bool:
        """The member takes back what was shared: the alert closes as "member declined", its chat ends, and the
        person holding it (or everyone it was sent to) is told."""
        alert = await uow.alerts.get(alert_id)
        if alert is None or alert.member_id != member_id:
            return False
        if not await uow.alerts.resolve(alert_id, MemberOutcome.MEMBER_DECLINED.value, now):
            return False
        told = reply(Text("alert.member_declined_staff", {"id": alert_id}))
        await self._close_relays(uow, await uow.relay.open_for_alert(alert_id), now, "relay.closed_member_declined")
        if alert.claimed_by is not None:
            holder = await uow.team.of_member(alert.claimed_by)
            if holder is not None:
                await self.send(uow, holder.member_id, holder.chat_id, "notice", told, now, alert_id)
        else:
            await self._edit_alert_messages(uow, alert_id, told, now)
        await uow.audit.record("alert_withdrawn", "alert", alert_id, now, member_id, alert.organisation_id)
        log.info("alert_withdrawn_by_member")
        return True

    async def sharing_withdrawn(self, uow: UnitOfWork, member_id: int, now: datetime) -> None:
        """The member withdrew "a worker may get in touch": their open alert closes as they asked, staff told."""
        case = await uow.alerts.open_case_of(member_id)
        if case is not None:
            await self.withdraw(uow, case.id, member_id, now)

    async def member_leaving(self, uow: UnitOfWork, member_id: int, now: datetime) -> None:
        """A member erases their data: whoever is chatting with them, or holds their alert, is told it has closed
        (without the alert's id on the message, which goes with the member's data)."""
        for session_id in await uow.relay.open_for_member(member_id):
            relay = await uow.relay.get(session_id)
            if relay is not None and relay.volunteer_member_id is not None and relay.volunteer_chat_id is not None:
                await uow.relay.set_status(session_id, "closed", now)
                await uow.conversations.end_flow(relay.volunteer_member_id, "rl")
                told = reply(Text("relay.closed_member_left"))
                await self.send(uow, relay.volunteer_member_id, relay.volunteer_chat_id, "notice", told, now)
        case = await uow.alerts.open_case_of(member_id)
        holder = await uow.team.of_member(case.claimed_by) if case and case.claimed_by else None
        if case is not None and holder is not None:
            told = reply(Text("alert.member_left", {"id": case.id}))
            await self.send(uow, holder.member_id, holder.chat_id, "notice", told, now)

    async def release_person(self, uow: UnitOfWork, person: StaffRow, now: datetime) -> int:
        """Someone leaves the team (removed, or erased with /forget): their relayed chats close (both sides
        told), their claims go back to be sent again, their dashboard sessions end. Returns claims released."""
        organisation = await uow.organisations.by_id(person.organisation_id)
        name = organisation.name if organisation else ""
        for session_id in await uow.relay.open_for_volunteer(person.member_id):
            relay = await uow.relay.get(session_id)
            if relay is None:
                continue
            await uow.relay.set_status(session_id, "closed", now)
            await uow.conversations.end_flow(relay.member_id, "rl")
            await self.send(
                uow,
                relay.member_id,
                relay.member_chat_id,
                "relay",
                reply(Text("relay.closed_for_member", {"organisation": name})),
                now,
                relay.alert_id,
            )
            await uow.audit.record("relay_closed_staff_left", "relay", session_id, now, None, person.organisation_id)
        await uow.conversations.end_flow(person.member_id, "rl")
        await uow.outbox.cancel_pending_to(person.member_id, ("relay", "alert", "alert_update"))
        for outbox_id, alert_id, chat_id in await uow.outbox.sent_alert_messages_to(person.member_id):
            gone = reply(Text("alert.no_longer_yours", {"id": alert_id}))  # what the member shared goes from view
            await self.send(uow, person.member_id, chat_id, "alert_update", gone, now, alert_id, outbox_id)
        released = 0
        for alert in await uow.alerts.claims_of(person.member_id):
            if await uow.alerts.release(alert.id, now):
                released += 1
                waiting = reply(Text("alert.released_staff", {"id": alert.id}))
                await self._edit_alert_messages(uow, alert.id, waiting, now, except_member=person.member_id)
                await uow.audit.record("alert_released", "alert", alert.id, now, None, alert.organisation_id)
        for alert_id in await uow.alerts.waiting_sent_to(person.member_id):
            await uow.alerts.send_again(alert_id)  # whoever can act on it now gets it (they were one of its people)
        await uow.dashboard.end_sessions_of(person.member_id)
        if released:
            log.info("claims_released count=%d", released)
        return released

    async def close_chats_of(self, uow: UnitOfWork, alert_id: int, organisation: str, now: datetime) -> None:
        """An alert went back to the team: its relayed chats close, both sides told (the member kindly)."""
        for session_id in await uow.relay.open_for_alert(alert_id):
            relay = await uow.relay.get(session_id)
            if relay is None:
                continue
            await self._close_relays(uow, [session_id], now, "relay.closed_gone_back")
            told = reply(Text("relay.closed_for_member", {"organisation": organisation}))
            await self.send(uow, relay.member_id, relay.member_chat_id, "relay", told, now, alert_id)

    async def _close_relays(
        self,
        uow: UnitOfWork,
        session_ids: list[int],
        now: datetime,
        volunteer_key: str | None = None,
        member_key: str | None = None,
    ) -> None:
        """Close relayed chats (asked or open): both sides leave the chat; each side named is told why."""
        for session_id in session_ids:
            relay = await uow.relay.get(session_id)
            if relay is None:
                continue
            await uow.relay.set_status(session_id, "closed", now)
            await uow.conversations.end_flow(relay.member_id, "rl")
            if member_key is not None:
                told = reply(Text(member_key))
                await self.send(uow, relay.member_id, relay.member_chat_id, "relay", told, now, relay.alert_id)
            if relay.volunteer_member_id is not None and relay.volunteer_chat_id is not None:
                await uow.conversations.end_flow(relay.volunteer_member_id, "rl")
                if volunteer_key is not None:
                    told = reply(Text(volunteer_key))
                    await self.send(uow, relay.volunteer_member_id, relay.volunteer_chat_id, "relay", told, now,
                                    relay.alert_id)  # fmt: skip


async def remove_from_team(uow: UnitOfWork, desk: AlertDesk, target: int, organisation_id: int, now: datetime) -> bool:
    """Take someone out of the team at once: chats closed, claims released, sessions ended, then told."""
    role = await uow.team.of_member(target)
    if role is None or role.organisation_id != organisation_id:
        return False
    await desk.release_person(uow, role, now)
    if not await uow.team.remove(target, organisation_id):
        return False
    await desk.send(uow, role.member_id, role.chat_id, "notice", reply(Text("team.you_were_removed")), now)
    return True
