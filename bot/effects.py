"""Apply a flow's effects inside one unit of work; build what the edge must send afterwards."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from bot.activity_effects import ActivityEffects, withdraw_reminders
from bot.broadcast_effects import BROADCAST_EFFECTS, apply_broadcast
from bot.ephemeral import EphemeralConversations
from bot.staff_effects import STAFF_EFFECTS, StaffEffects
from flows import rights, trends
from flows.activities.effects import ACTIVITY_EFFECTS
from flows.alert_messages import raised_again_notice
from flows.consent import ConsentScope, ShareLevel
from flows.crisis import CrisisResources
from flows.outcome import (
    Audit,
    EndConversation,
    EraseMember,
    FinishCheckIn,
    JoinOrganisation,
    KeepEphemeral,
    Outcome,
    PostponePrompt,
    RaiseAlert,
    RecordCheckInAnswer,
    RecordCheckInNote,
    RecordConsent,
    RecordInstrumentScore,
    RedeemStaffInvite,
    RegisterMember,
    SaveConversation,
    SavePlan,
    SendMemberExport,
    SendTrends,
    SetMemberStatus,
    StartCheckIn,
    Text,
    reply,
)
from flows.safeguarding.model import Join
from flows.schedule import CheckInPlan, local_day, next_due
from flows.snapshot import Facts, MemberStatus
from flows.texts import Catalogue
from models import member_data
from models.repositories import MemberRow
from models.unit_of_work import UnitOfWork

log = logging.getLogger("cairn.service")

OUTBOX_EFFECTS = frozenset({"ClaimAlert", "AskRelay", "AnswerRelay", "RelayText", "EndRelay", "RemoveFromTeam"})
OUTBOX_EFFECTS |= {"CancelActivitySession", "SaveActivity"}


@dataclass(frozen=True)
class Document:
    """A file to send to the member."""

    filename: str
    content: bytes
    caption: str


@dataclass(frozen=True)
class Photo:
    """An image to send to the member."""

    content: bytes
    caption: str


@dataclass(frozen=True)
class Delivery:
    """What to send back: the flow's outcome, rendered by the edge, plus any document or picture."""

    outcome: Outcome
    document: Document | None = None
    photo: Photo | None = None
    alerts_raised: tuple[int, ...] = field(default_factory=tuple)
    outbox_written: bool = False
    messages: list[tuple[str, list[list[tuple[str, str]]]]] | None = None  # the replies rendered (None: not yet)
    resent: bool = False  # replies kept from a handling that a crash cut short after its commit, sent again


@dataclass
class Applied:
    """Mutable state while effects are applied in order."""

    outcome: Outcome
    member: MemberRow | None
    document: Document | None = None
    photo: Photo | None = None
    alerts: list[int] = field(default_factory=list)


class EffectApplier:
    """Turns effects into writes; never commits (the service does)."""

    def __init__(
        self,
        catalogue: Catalogue,
        ephemeral: EphemeralConversations,
        chart: object,
        instruments: Mapping[str, Any],
        crisis: CrisisResources,
        dashboard_url: str = "",
    ) -> None:
        """Wire texts, the in-memory store, the chart renderer, the instruments, the crisis resources and where
        the web dashboard is reached."""
        self._crisis = crisis
        self._catalogue = catalogue
        self._ephemeral = ephemeral
        self._chart = chart
        self._instruments = instruments
        self._staff = StaffEffects(catalogue, crisis, dashboard_url)
        self._activities = ActivityEffects(catalogue)

    async def apply(
        self,
        uow: UnitOfWork,
        outcome: Outcome,
        member: MemberRow | None,
        facts: Facts,
        telegram: tuple[int, int, int, str],
    ) -> Delivery:
        """Apply every effect in order; `telegram` is (user id, chat id, update id, first name)."""
        state = Applied(outcome, member)
        for effect in outcome.effects:
            await self._apply_one(uow, effect, state, facts, telegram)
        wrote = any(type(effect).__name__ in OUTBOX_EFFECTS for effect in outcome.effects)
        return Delivery(state.outcome, state.document, state.photo, tuple(state.alerts), wrote)

    async def _apply_one(
        self, uow: UnitOfWork, effect: object, state: Applied, facts: Facts, telegram: tuple[int, int, int, str]
    ) -> None:
        now = facts.now
        match effect:
            case RegisterMember(organisation_id=organisation_id):
                state.member = await uow.members.add(telegram[0], telegram[1], organisation_id, now)
                log.info("member_registered")
                return
            case EraseMember():
                assert state.member is not None
                self._ephemeral.drop(state.member.id)
                role = await uow.team.of_member(state.member.id)
                if role is not None:  # staff leaving by /forget: chats closed, claims sent again, sessions ended
                    await self._staff.desk.release_person(uow, role, now)
                await self._staff.desk.member_leaving(uow, state.member.id, now)  # their chats and alert close
                counts = await member_data.erase(uow.session, state.member.id)
                uow.fold_log_after_commit()  # SQLite: no copy of the erased rows stays in the write-ahead log
                await uow.audit.record("member_erased", "member", state.member.id, now, state.member.id)
                log.info("member_erased tables=%d rows=%d", len(counts), sum(counts.values()))
                state.outcome = replace(state.outcome, effects=()).then(rights.erased(counts))
                state.member = None
                return
            case Audit(action=action, object_type=object_type, object_id=object_id) if state.member is None:
                await uow.audit.record(action, object_type, object_id, now, None, None)  # someone who never started
                return
        member = state.member
        assert member is not None, f"{type(effect).__name__} needs a registered member"
        match effect:
            case SendMemberExport():
                await uow.session.flush()
                found = await member_data.collect(uow.session, member.id)
                content = member_data.export_document(found, uow.cipher, now)
                await uow.audit.record("member_exported", "member", member.id, now, member.id, member.organisation_id)
                caption = self._catalogue.render(Text("mydata.caption"))
                state.document = Document(f"cairn-my-data-{now:%Y-%m-%d}.json", content, caption)
                log.info("member_export_sent")
            case SendTrends(weeks=weeks):
                state.photo, summary = await self._trends(uow, member.id, weeks, now)
                state.outcome = state.outcome.then(Outcome(replies=(summary,)))
            case RaiseAlert(tier=tier, reasons=reasons):
                level = facts.member.consent.share_level
                texts = [self._catalogue.render(reason) for reason in reasons]
                raised = await uow.alerts.raise_signal(
                    member.id, member.organisation_id, tier.name, level.value if level else "flag_only", texts, now
                )
                alert_id = raised.alert_id
                state.alerts.append(alert_id)
                if raised.join is Join.SAME_CLAIMED:
                    await self._tell_holder_raised_again(uow, alert_id, now)
                await uow.audit.record("alert_raised", "alert", alert_id, now, member.id, member.organisation_id)
                log.info("alert_raised tier=%s", tier.name)
            case RedeemStaffInvite(invite_id=invite_id, organisation_id=organisation_id, role=role):
                if await uow.staff.redeem(invite_id, member.id, organisation_id, role, now):
                    await uow.team.set_display_name(member.id, telegram[3] or role.title())
                    await uow.audit.record(
                        "staff_invite_redeemed", "member", member.id, now, member.id, organisation_id
                    )
                    log.info("staff_invite_redeemed role=%s", role)
            case _ if type(effect).__name__ in STAFF_EFFECTS:
                await self._staff.apply(uow, effect, member, facts, state)
            case _ if type(effect).__name__ in BROADCAST_EFFECTS:
                await apply_broadcast(uow, effect, member, facts, state)
            case _ if type(effect).__name__ in ACTIVITY_EFFECTS:
                await self._activities.apply(uow, effect, member, facts)
            case _:
                await self._apply_member_effect(uow, effect, member, facts, telegram[2])

    async def _tell_holder_raised_again(self, uow: UnitOfWork, alert_id: int, now: datetime) -> None:
        """A new signal joined a claimed case: the holder is told at once and asked to say they are on it."""
        alert = await uow.alerts.get(alert_id)
        holder = await uow.team.of_member(alert.claimed_by) if alert and alert.claimed_by else None
        if alert is None or holder is None:
            return
        message = raised_again_notice(alert.id, alert.case_ref, now)
        await self._staff.desk.send(uow, holder.member_id, holder.chat_id, "alert", message, now, alert.id)

    async def _apply_member_effect(
        self, uow: UnitOfWork, effect: object, member: MemberRow, facts: Facts, update_id: int
    ) -> None:
        now, member_id = facts.now, member.id
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
                await uow.consents.append(member_id, record, update_id, now)
                log.info("consent_recorded scope=%s action=%s", effect.scope.value, effect.action)
                if effect.scope is ConsentScope.STORE and effect.action == "withdrawn":
                    await uow.checkins.finish(member_id, "abandoned", now)
                if effect.scope is ConsentScope.SHARE_FLAGS and effect.action == "withdrawn":
                    await self._staff.desk.sharing_withdrawn(uow, member_id, now)  # open alert closed, staff told
                if effect.scope is ConsentScope.SHARE_FLAGS and effect.action == "given" and effect.share_level:
                    await uow.alerts.narrow_sharing(
                        member_id, effect.share_level.value
                    )  # staff see what they share now
                    if effect.share_level is not ShareLevel.WITH_ANSWERS:
                        await uow.relay.stop_transcripts_of(member_id)
                if effect.scope is ConsentScope.NEWS and effect.action == "withdrawn":
                    await uow.broadcast_deliveries.cancel_pending_for_member(member_id)
            case SaveConversation(flow=flow, step=step, data=data):
                self._ephemeral.drop(member_id)
                await uow.conversations.save(member_id, flow, step, data, now)
            case KeepEphemeral(flow=flow, step=step, data=data):
                await uow.conversations.end(member_id)
                self._ephemeral.put(member_id, flow, step, data, now)
            case EndConversation():
                self._ephemeral.drop(member_id)
                await uow.conversations.end(member_id)
            case SetMemberStatus(status=status):
                await uow.members.set_status(member_id, status)
                await self._on_status(uow, member_id, MemberStatus(status), now)
            case _:
                await self._apply_checkin_effect(uow, effect, member_id, facts)

    async def _apply_checkin_effect(self, uow: UnitOfWork, effect: object, member_id: int, facts: Facts) -> None:
        now = facts.now
        match effect:
            case StartCheckIn(local_day=day, instrument_id=instrument_id):
                await uow.checkins.start(member_id, day, instrument_id, now)
            case RecordCheckInAnswer(item_id=item_id, value=value, instrument_id=instrument_id):
                await uow.checkins.answer(member_id, item_id, value, instrument_id, now)
            case RecordCheckInNote(text=text):
                await uow.checkins.note(member_id, text, now)
            case RecordInstrumentScore():
                await uow.checkins.score(
                    member_id, effect.instrument_id, effect.raw, effect.value, effect.band, effect.measures, now
                )
            case FinishCheckIn(status=status, counts_toward_instrument=counts):
                instrument_done = _instrument_was_asked(facts)
                if status != "completed_unstored":
                    await uow.checkins.finish(member_id, status, now)
                if counts:
                    await uow.plans.count_checkin(member_id, instrument_done)
                log.info("checkin_finished status=%s", status.removesuffix("_unstored"))
            case SavePlan(plan=plan):
                await uow.plans.save(member_id, plan, next_due(plan, now), now)
            case PostponePrompt(until=until, skip_today=skip_today):
                await self._postpone(uow, member_id, until, skip_today, now)
            case _:
                raise TypeError(f"unknown effect {type(effect).__name__}")

    async def _on_status(self, uow: UnitOfWork, member_id: int, status: MemberStatus, now: datetime) -> None:
        if status is not MemberStatus.ACTIVE:
            await uow.prompts.cancel_pending(member_id)
            if status is MemberStatus.STOPPED:
                await withdraw_reminders(uow, member_id)
            return
        stored = await uow.plans.get(member_id)
        if stored is not None:
            await uow.plans.set_next_due(member_id, next_due(stored.plan, now))

    async def _postpone(
        self, uow: UnitOfWork, member_id: int, until: datetime | None, skip_today: bool, now: datetime
    ) -> None:
        stored = await uow.plans.get(member_id)
        plan = stored.plan if stored else CheckInPlan()
        if skip_today:
            today = local_day(now, plan.timezone)
            candidate = next_due(plan, now)
            while candidate is not None and local_day(candidate, plan.timezone) <= today:
                candidate = next_due(plan, candidate)
            until = candidate
        if stored is None:
            await uow.plans.save(member_id, plan, until, now)
        else:
            await uow.plans.set_next_due(member_id, until)

    async def _trends(self, uow: UnitOfWork, member_id: int, weeks: int, now: datetime) -> tuple[Photo, object]:
        since = now - timedelta(weeks=weeks)
        moods = await uow.checkins.moods_since(member_id, since)
        scores = await uow.checkins.scores_since(member_id, since)
        series = [
            trends.Series(
                "mood", self._catalogue.render(Text("trends.mood")), tuple((p.at, float(p.value)) for p in moods)
            )
        ]
        for instrument_id in sorted({point.instrument_id for point in scores}):
            instrument = self._instruments.get(instrument_id)
            title = instrument.title if instrument is not None else instrument_id
            mine = [p for p in scores if p.instrument_id == instrument_id]
            totals = tuple((p.at, p.value) for p in mine if p.value is not None)
            if totals:
                series.append(trends.Series(instrument_id, title, totals))
                continue
            for measure in sorted({name for p in mine for name in p.measures}):
                points = tuple((p.at, float(p.measures[measure])) for p in mine if measure in p.measures)
                label = self._catalogue.render(
                    Text("trends.measure_title", {"title": title, "measure": measure.replace("_", " ")})
                )
                series.append(trends.Series(f"{instrument_id}:{measure}", label, points))
        image = self._chart.render(series, weeks, now)  # type: ignore[attr-defined]
        caption = self._catalogue.render(Text("trends.caption"))
        return Photo(image, caption), reply(*trends.summarise(series, weeks))


def _instrument_was_asked(facts: Facts) -> bool:
    """Say whether the check-in being finished included its instrument."""
    position = facts.member.conversation
    return bool(position and position.flow == "ci" and position.data.get("instrument"))
