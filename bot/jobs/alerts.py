"""The alert job: send waiting alerts to whoever can act on them now, and move them on when the clock says so.

Who receives an alert and when it escalates are decided by flows/safeguarding/model.py. Messages go into the
outbox in the same transaction as the alert's state change, so a crash between the two loses nothing; the
outbox job sends them until Telegram confirms. An alert that nobody can receive yet (no staff, or only the
member it is about) is not marked sent: the member is told plainly, once, and every tick tries again, so it
goes to the first person who joins or comes on duty.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from bot.safeguarding.desk import AlertDesk
from flows.alert_messages import alert_for_staff, case_line, member_fallback, member_nobody_yet
from flows.crisis import CrisisResources
from flows.outcome import Reply, Text, reply
from flows.safeguarding.model import AlertTimings, Person, Step, coordinators_for, next_step, recipients
from flows.texts import Catalogue
from models.alerts import AlertRow, two_days_before
from models.unit_of_work import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger("cairn.jobs.alerts")


@dataclass(frozen=True)
class AlertTick:
    """What one tick did."""

    dispatched: int
    escalated: int


class AlertJob:
    """Dispatches and escalates alerts; safe to run in several instances at once."""

    def __init__(
        self,
        units: UnitOfWorkFactory,
        catalogue: Catalogue,
        crisis: CrisisResources,
        clock: Callable[[], datetime],
        timings: AlertTimings | None = None,
        batch: int = 100,
    ) -> None:
        """Wire storage, texts, resources, the clock and the escalation times."""
        self._units = units
        self._catalogue = catalogue
        self._crisis = crisis
        self._clock = clock
        self._timings = timings or AlertTimings()
        self._batch = batch
        self._desk = AlertDesk(catalogue)

    async def tick(self) -> AlertTick:
        """Dispatch waiting alerts, then move on what is overdue."""
        now = self._clock()
        async with self._units() as uow:
            dispatched = 0
            for alert in await uow.alerts.undispatched(self._batch):
                dispatched += await self._dispatch(uow, alert, now)
            escalated = 0
            for alert in await uow.alerts.unclaimed(self._batch):
                if await self._nobody_left(uow, alert, now):
                    await uow.alerts.send_again(alert.id)  # everyone it went to has left: it waits for someone new
                    dispatched += await self._dispatch(uow, replace(alert, dispatched_at=None), now)
            for alert in [*await uow.alerts.unclaimed(self._batch), *await uow.alerts.claimed(self._batch)]:
                step = next_step(alert.model(), now, self._timings)
                if step is not None:
                    await self._escalate(uow, alert, step, now)
                    escalated += 1
            await uow.commit()
        if dispatched or escalated:
            log.info("alerts_tick dispatched=%d escalated=%d", dispatched, escalated)
        return AlertTick(dispatched, escalated)

    async def _nobody_left(self, uow: UnitOfWork, alert: AlertRow, now: datetime) -> bool:
        team = [person for person, _ in await self._team(uow, alert.organisation_id)]
        return recipients(alert.model(), team, now).nobody

    async def _team(self, uow: UnitOfWork, organisation_id: int) -> list[tuple[Person, int]]:
        return [(row.person(), row.chat_id) for row in await uow.team.of_organisation(organisation_id)]

    async def _dispatch(self, uow: UnitOfWork, alert: AlertRow, now: datetime) -> int:
        team = await self._team(uow, alert.organisation_id)
        chats = {person.member_id: chat for person, chat in team}
        chosen = recipients(alert.model(), [person for person, _ in team], now)
        if chosen.nobody:
            if alert.nobody_told_at is None:  # once per case: plainly, with the resources; it keeps waiting
                log.error("alert_has_no_recipients tier=%s organisation=%d", alert.tier, alert.organisation_id)
                organisation = await uow.organisations.by_id(alert.organisation_id)
                told = member_nobody_yet(self._crisis, organisation.name if organisation else "")
                await self._desk.send(uow, alert.member_id, alert.member_chat_id, "fallback", told, now, alert.id)
                await uow.alerts.mark_nobody_told(alert.id, now)
                await uow.audit.record("alert_waits_for_staff", "alert", alert.id, now, None, alert.organisation_id)
            return 0
        message = await self._staff_message(
            uow, alert, escalated=alert.escalation >= 1, nobody_on_duty=chosen.nobody_on_duty, now=now
        )
        for person in chosen.people:
            await self._desk.send(uow, person.member_id, chats[person.member_id], "alert", message, now, alert.id)
        await uow.alerts.mark_dispatched(alert.id, now)
        await uow.audit.record("alert_dispatched", "alert", alert.id, now, None, alert.organisation_id)
        return 1

    async def _escalate(self, uow: UnitOfWork, alert: AlertRow, step: Step, now: datetime) -> None:
        if step is Step.MEMBER_FALLBACK:
            fallback = member_fallback(self._crisis)
            await self._desk.send(uow, alert.member_id, alert.member_chat_id, "fallback", fallback, now, alert.id)
            await uow.alerts.escalate(alert.id, 2, now)
        else:
            await self._to_coordinators(uow, alert, step, now)
        action = "alert_sent_back" if step is Step.BACK_TO_COORDINATORS else f"alert_escalated_{step.value}"
        await uow.audit.record(action, "alert", alert.id, now, None, alert.organisation_id)

    async def _to_coordinators(self, uow: UnitOfWork, alert: AlertRow, step: Step, now: datetime) -> None:
        """Send a waiting alert on to the coordinators (or, with none, to whoever is on duty again); a claim the
        clock takes back first closes its chat and tells its holder. With nobody at all, the alert waits and the
        member is told plainly by the dispatcher."""
        team = await self._team(uow, alert.organisation_id)
        chats = {person.member_id: chat for person, chat in team}
        people = [person for person, _ in team]
        escalated = replace(alert.model(), escalation=1)
        holder = alert.claimed_by if step is Step.BACK_TO_COORDINATORS else None
        targets = coordinators_for(escalated, people) or recipients(escalated, people, now).people
        targets = tuple(person for person in targets if person.member_id != holder)
        if step is Step.BACK_TO_COORDINATORS:
            await uow.alerts.release(alert.id, now, to_coordinators=True)
            organisation = await uow.organisations.by_id(alert.organisation_id)
            await self._desk.close_chats_of(uow, alert.id, organisation.name if organisation else "", now)
            if holder is not None and holder in chats:
                gone = reply(Text("alert.gone_back", {"id": alert.id}))
                await self._desk.send(uow, holder, chats[holder], "notice", gone, now, alert.id)
        else:
            await uow.alerts.escalate(alert.id, 1, now)
        if not targets:
            log.error("alert_escalation_has_nobody organisation=%d", alert.organisation_id)
            await uow.alerts.send_again(alert.id)  # the dispatcher tells the member and sends it to whoever comes
            return
        back = step is Step.BACK_TO_COORDINATORS
        message = await self._staff_message(uow, alert, escalated=True, now=now, back=back)
        for person in targets:
            await self._desk.send(uow, person.member_id, chats[person.member_id], "alert", message, now, alert.id)
        await uow.alerts.mark_dispatched(alert.id, now)

    async def _staff_message(
        self,
        uow: UnitOfWork,
        alert: AlertRow,
        escalated: bool,
        now: datetime,
        nobody_on_duty: bool = False,
        back: bool = False,
    ) -> Reply:
        organisation = await uow.organisations.by_id(alert.organisation_id)
        name = organisation.name if organisation else ""
        count = await uow.alerts.count_since(alert.member_id, two_days_before(now))
        case = case_line(alert.case_ref, count, alert.created_at, alert.raised_again_at)
        message = alert_for_staff(
            alert.id, alert.tier, name, alert.share_level, alert.reasons, escalated, nobody_on_duty, case
        )
        if back:
            message = reply(Text("alert.back_to_coordinators"), *message.parts, buttons=message.buttons)
        return message
