"""The alert job: send new alerts to who is on duty, and escalate unclaimed ones on time.

Messages go into the outbox in the same transaction as the alert's state change, so a crash between the two
loses nothing; the outbox job sends them until Telegram confirms.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flows.alert_messages import AlertTimings, alert_for_staff, escalation_step, member_fallback
from flows.crisis import CrisisResources
from flows.outcome import Reply
from flows.snapshot import Facts, MemberSnapshot
from flows.texts import Catalogue
from models.alerts import AlertRow
from models.staff import StaffRow
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

    async def tick(self) -> AlertTick:
        """Dispatch new alerts, then escalate what is overdue."""
        now = self._clock()
        async with self._units() as uow:
            dispatched = 0
            for alert in await uow.alerts.undispatched(self._batch):
                await self._dispatch(uow, alert, now)
                dispatched += 1
            escalated = 0
            for alert in await uow.alerts.unclaimed(self._batch):
                step = escalation_step(alert.tier, alert.escalation, now - alert.created_at, self._timings)
                if step is not None:
                    await self._escalate(uow, alert, step, now)
                    escalated += 1
            await uow.commit()
        if dispatched or escalated:
            log.info("alerts_tick dispatched=%d escalated=%d", dispatched, escalated)
        return AlertTick(dispatched, escalated)

    async def _dispatch(self, uow: UnitOfWork, alert: AlertRow, now: datetime) -> None:
        team = await uow.team.of_organisation(alert.organisation_id)
        on_duty = [person for person in team if person.on_duty_at(now)]
        recipients = on_duty or [person for person in team if person.role == "coordinator"]
        if not recipients:
            log.error("alert_has_no_recipients tier=%s organisation=%d", alert.tier, alert.organisation_id)
        message = await self._staff_message(uow, alert, escalated=False, nobody_on_duty=not on_duty)
        await self._send_to(uow, recipients, alert, message, now)
        await uow.alerts.mark_dispatched(alert.id, now)
        await uow.audit.record("alert_dispatched", "alert", alert.id, now, None, alert.organisation_id)

    async def _escalate(self, uow: UnitOfWork, alert: AlertRow, step: str, now: datetime) -> None:
        if step == "coordinators":
            team = await uow.team.of_organisation(alert.organisation_id)
            coordinators = [person for person in team if person.role == "coordinator"]
            if not coordinators:
                log.error("alert_escalation_has_no_coordinators organisation=%d", alert.organisation_id)
            message = await self._staff_message(uow, alert, escalated=True)
            await self._send_to(uow, coordinators, alert, message, now)
            await uow.alerts.escalate(alert.id, 1, now)
        else:
            facts = Facts(MemberSnapshot(registered=True), self._catalogue, self._crisis, now)
            await self._enqueue(
                uow, alert.member_id, alert.member_chat_id, "fallback", member_fallback(facts), now, alert.id
            )
            await uow.alerts.escalate(alert.id, 2, now)
        await uow.audit.record(f"alert_escalated_{step}", "alert", alert.id, now, None, alert.organisation_id)

    async def _staff_message(
        self, uow: UnitOfWork, alert: AlertRow, escalated: bool, nobody_on_duty: bool = False
    ) -> Reply:
        organisation = await uow.organisations.by_id(alert.organisation_id)
        name = organisation.name if organisation else ""
        return alert_for_staff(alert.id, alert.tier, name, alert.share_level, alert.reasons, escalated, nobody_on_duty)

    async def _send_to(
        self, uow: UnitOfWork, people: list[StaffRow], alert: AlertRow, message: Reply, now: datetime
    ) -> None:
        for person in people:
            if person.member_id != alert.member_id:
                await self._enqueue(uow, person.member_id, person.chat_id, "alert", message, now, alert.id)

    async def _enqueue(
        self, uow: UnitOfWork, member_id: int, chat_id: int, kind: str, message: Reply, now: datetime, alert_id: int
    ) -> None:
        text = self._catalogue.render_reply(message)
        buttons = self._catalogue.render_buttons(message)
        await uow.outbox.enqueue(member_id, chat_id, kind, text, buttons, now, alert_id=alert_id)
