"""Alerts: written in the same transaction as their cause; dispatched, claimed, released, escalated and resolved.

What anyone may do with an alert is decided in flows/safeguarding/model.py; the conditional UPDATEs here are
the race guard (two people acting at once) and report refusals in that module's vocabulary.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from flows.safeguarding.model import Alert as AlertModel
from flows.safeguarding.model import AlertStatus, AlertTimings, Join, Refusal, Tier, join, waiting_key
from models.crypto import DataCipher
from models.tables import Alert, Member, OutboxMessage
from models.tables import StaffRole as StaffRoleTable

OPEN_STATES = (AlertStatus.OPEN.value, AlertStatus.ESCALATED.value)
UNRESOLVED = (*OPEN_STATES, AlertStatus.CLAIMED.value)
CASE_REF_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


@dataclass(frozen=True)
class AlertRow:
    """An alert as plain values, its reasons decrypted."""

    id: int
    member_id: int
    organisation_id: int
    tier: str
    share_level: str
    status: str
    escalation: int
    created_at: datetime
    claimed_by: int | None
    reasons: tuple[str, ...]
    member_chat_id: int
    claimed_at: datetime | None = None
    resolved_at: datetime | None = None
    outcome: str | None = None
    has_note: bool = False
    waiting_since: datetime | None = None
    raised_again_at: datetime | None = None
    answered_at: datetime | None = None
    dispatched_at: datetime | None = None
    nobody_told_at: datetime | None = None
    case_ref: str = ""

    def model(self) -> AlertModel:
        """The alert as the safeguarding rules read it."""
        return AlertModel(
            id=self.id,
            member_id=self.member_id,
            organisation_id=self.organisation_id,
            tier=Tier(self.tier),
            status=AlertStatus(self.status),
            raised_at=self.created_at,
            waiting_since=self.waiting_since or self.created_at,
            claimed_by=self.claimed_by,
            claimed_at=self.claimed_at,
            answered_at=self.answered_at,
            raised_again_at=self.raised_again_at,
            escalation=self.escalation,
            dispatched=self.dispatched_at is not None,
            case_ref=self.case_ref,
        )


@dataclass(frozen=True)
class Raised:
    """What raising a signal did to the member's case."""

    alert_id: int
    join: Join
    tier_went_up: bool


class AlertRepository:
    """Alerts for community workers."""

    def __init__(self, session: AsyncSession, cipher: DataCipher) -> None:
        """Work inside the given session."""
        self._session = session
        self._cipher = cipher

    async def raise_alert(
        self,
        member_id: int,
        organisation_id: int,
        tier: str,
        share_level: str,
        reasons: Sequence[str],
        now: datetime,
        timings: AlertTimings | None = None,
    ) -> int:
        """Write an alert, or join the signal to the member's open case; return the alert's id."""
        return (await self.raise_signal(member_id, organisation_id, tier, share_level, reasons, now, timings)).alert_id

    async def raise_signal(
        self,
        member_id: int,
        organisation_id: int,
        tier: str,
        share_level: str,
        reasons: Sequence[str],
        now: datetime,
        timings: AlertTimings | None = None,
    ) -> Raised:
        """Join a signal to the member's open case (flows.safeguarding.model.join decides how), or open a new one.

        A higher tier on a waiting alert sends it out again; any later signal on a claimed alert marks it
        "raised again", which the holder must answer (an urgent one escalates if they do not)."""
        timings = timings or AlertTimings()
        recent = await self._session.scalar(
            select(Alert)
            .where(Alert.member_id == member_id, Alert.status.in_(UNRESOLVED))
            .order_by(Alert.id.desc())
            .limit(1)
        )
        decision = join(self._row(recent, 0).model() if recent is not None else None, Tier(tier), now, timings)
        if recent is not None and decision is not Join.NEW_CASE:
            known = json.loads(self._cipher.decrypt(recent.reasons_encrypted))
            merged = known + [reason for reason in reasons if reason not in known]
            recent.reasons_encrypted = self._cipher.encrypt(json.dumps(merged))
            went_up = Tier(tier).rank > Tier(recent.tier).rank
            if went_up:
                recent.tier = tier
            recent.raised_again_at = now
            recent.share_level = share_level  # what they share now
            if decision is Join.SAME_WAITING and went_up:  # sent out again at the higher tier, its clock restarted
                recent.dispatched_at, recent.escalation, recent.waiting_since = None, 0, now
                recent.status = AlertStatus.OPEN.value
            elif decision is Join.SAME_WAITING and Tier(tier) is Tier.URGENT and _quiet_since(recent, now, timings):
                recent.dispatched_at = None  # sent again to whoever can act now (at most every few minutes)
            await self._session.flush()
            return Raised(recent.id, decision, went_up)
        alert = Alert(
            member_id=member_id,
            organisation_id=organisation_id,
            tier=tier,
            share_level=share_level,
            reasons_encrypted=self._cipher.encrypt(json.dumps(list(reasons))),
            created_at=now,
            waiting_since=now,
            case_ref=await self._case_ref(member_id),
        )
        self._session.add(alert)
        await self._session.flush()
        return Raised(alert.id, Join.NEW_CASE, False)

    async def _case_ref(self, member_id: int) -> str:
        """The member's private case reference: the one on their earlier alerts, or a new random one."""
        known = await self._session.scalar(
            select(Alert.case_ref).where(Alert.member_id == member_id, Alert.case_ref.is_not(None)).limit(1)
        )
        return known or "".join(secrets.choice(CASE_REF_ALPHABET) for _ in range(5))

    async def get(self, alert_id: int) -> AlertRow | None:
        """Return one alert."""
        row = (
            await self._session.execute(
                select(Alert, Member.chat_id).join(Member, Member.id == Alert.member_id).where(Alert.id == alert_id)
            )
        ).first()
        return self._row(row[0], row[1]) if row else None

    async def open_case_of(self, member_id: int) -> AlertRow | None:
        """The member's newest alert that is not resolved (their open case), if any."""
        row = (
            await self._session.execute(
                select(Alert, Member.chat_id)
                .join(Member, Member.id == Alert.member_id)
                .where(Alert.member_id == member_id, Alert.status.in_(UNRESOLVED))
                .order_by(Alert.id.desc())
                .limit(1)
            )
        ).first()
        return self._row(row[0], row[1]) if row else None

    async def count_since(self, member_id: int, since: datetime) -> int:
        """How many alerts were raised for a member since a time (for "3rd alert for this person in 2 days")."""
        found = await self._session.scalar(
            select(func.count()).where(Alert.member_id == member_id, Alert.created_at >= since)
        )
        return int(found or 0)

    async def undispatched(self, limit: int) -> list[AlertRow]:
        """Lock waiting alerts not yet sent to anyone since they last started waiting."""
        return await self._locked(
            select(Alert).where(Alert.dispatched_at.is_(None), Alert.status.in_(OPEN_STATES)), limit
        )

    async def unclaimed(self, limit: int) -> list[AlertRow]:
        """Lock dispatched alerts nobody has claimed yet."""
        query = select(Alert).where(Alert.dispatched_at.is_not(None), Alert.status.in_(OPEN_STATES))
        return await self._locked(query, limit)

    async def claimed(self, limit: int) -> list[AlertRow]:
        """Lock claimed alerts (the clock checks that their holder is still answering)."""
        return await self._locked(select(Alert).where(Alert.status == AlertStatus.CLAIMED.value), limit)

    async def waiting_sent_to(self, member_id: int) -> list[int]:
        """The ids of waiting alerts whose message went to this person (sent again when they leave the team)."""
        rows = await self._session.scalars(
            select(Alert.id)
            .join(OutboxMessage, OutboxMessage.alert_id == Alert.id)
            .where(
                OutboxMessage.recipient_member_id == member_id,
                OutboxMessage.kind == "alert",
                Alert.status.in_(OPEN_STATES),
            )
            .distinct()
        )
        return list(rows.all())

    async def send_again(self, alert_id: int) -> None:
        """Mark a waiting alert as not yet sent, so the next tick sends it to whoever can act on it now."""
        await self._session.execute(
            update(Alert).where(Alert.id == alert_id, Alert.status.in_(OPEN_STATES)).values(dispatched_at=None)
        )

    async def mark_dispatched(self, alert_id: int, now: datetime) -> None:
        """Note that the alert went out (if nobody can see it again later, the member is told again)."""
        await self._session.execute(
            update(Alert).where(Alert.id == alert_id).values(dispatched_at=now, nobody_told_at=None)
        )

    async def mark_nobody_told(self, alert_id: int, now: datetime) -> None:
        """Note that the member was told nobody can see their alert yet."""
        await self._session.execute(update(Alert).where(Alert.id == alert_id).values(nobody_told_at=now))

    async def escalate(self, alert_id: int, level: int, now: datetime) -> None:
        """Move a waiting alert to an escalation level."""
        await self._session.execute(
            update(Alert)
            .where(Alert.id == alert_id, Alert.status.in_(OPEN_STATES))
            .values(escalation=level, escalated_at=now, status=AlertStatus.ESCALATED.value)
        )

    async def claim(self, alert_id: int, volunteer_member_id: int, now: datetime) -> Refusal | None:
        """Claim a waiting alert; the refusal if someone else got there first (or it closed meanwhile)."""
        in_team = exists().where(  # still in the alert's team as the row is written (a removal may race the claim)
            StaffRoleTable.member_id == volunteer_member_id, StaffRoleTable.organisation_id == Alert.organisation_id
        )
        result = await self._session.execute(
            update(Alert)
            .where(Alert.id == alert_id, Alert.status.in_(OPEN_STATES), in_team)
            .values(
                status=AlertStatus.CLAIMED.value,
                claimed_by_member_id=volunteer_member_id,
                claimed_at=now,
                answered_at=now,
            )
        )
        return None if getattr(result, "rowcount", 0) else Refusal.ALREADY_CLAIMED

    async def narrow_sharing(self, member_id: int, share_level: str) -> None:
        """The member changed what they share: their open alerts follow (staff see only what they share now)."""
        await self._session.execute(
            update(Alert)
            .where(Alert.member_id == member_id, Alert.status.in_(UNRESOLVED))
            .values(share_level=share_level)
        )

    async def answered(self, alert_id: int, holder_member_id: int, now: datetime) -> None:
        """Note the holder's answer (they are on it): an unanswered new signal no longer escalates."""
        await self._session.execute(
            update(Alert)
            .where(Alert.id == alert_id, Alert.claimed_by_member_id == holder_member_id)
            .values(answered_at=now)
        )

    async def release(self, alert_id: int, now: datetime, to_coordinators: bool = False) -> bool:
        """Take a claim back: the alert waits again and goes out again (to the coordinators as well, if asked)."""
        values: dict[str, object] = {
            "status": AlertStatus.ESCALATED.value if to_coordinators else AlertStatus.OPEN.value,
            "claimed_by_member_id": None,
            "claimed_at": None,
            "dispatched_at": None,
            "waiting_since": now,
            "escalation": 1 if to_coordinators else 0,
        }
        if to_coordinators:
            values["escalated_at"] = now
        result = await self._session.execute(
            update(Alert).where(Alert.id == alert_id, Alert.status == AlertStatus.CLAIMED.value).values(**values)
        )
        return bool(getattr(result, "rowcount", 0))

    async def claims_of(self, holder_member_id: int) -> list[AlertRow]:
        """The unresolved alerts a person holds."""
        rows = await self._session.execute(
            select(Alert, Member.chat_id)
            .join(Member, Member.id == Alert.member_id)
            .where(Alert.claimed_by_member_id == holder_member_id, Alert.status == AlertStatus.CLAIMED.value)
        )
        return [self._row(alert, chat_id) for alert, chat_id in rows.all()]

    async def resolve(self, alert_id: int, outcome: str, now: datetime, holder_member_id: int | None = None) -> bool:
        """Close an unresolved alert with its outcome (with `holder_member_id`, only while that person holds it);
        False if it was already closed or taken back meanwhile."""
        condition = [Alert.id == alert_id, Alert.status.in_(UNRESOLVED)]
        if holder_member_id is not None:
            condition += [Alert.status == AlertStatus.CLAIMED.value, Alert.claimed_by_member_id == holder_member_id]
        result = await self._session.execute(
            update(Alert).where(*condition).values(status=AlertStatus.RESOLVED.value, outcome=outcome, resolved_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    async def add_note(self, alert_id: int, note: str) -> None:
        """Keep the volunteer's note, encrypted."""
        await self._session.execute(
            update(Alert).where(Alert.id == alert_id).values(note_encrypted=self._cipher.encrypt(note))
        )

    async def open_for_organisation(self, organisation_id: int) -> list[AlertRow]:
        """List an organisation's alerts that are not resolved: urgent first, then the longest waiting."""
        rows = await self._session.execute(
            select(Alert, Member.chat_id)
            .join(Member, Member.id == Alert.member_id)
            .where(Alert.organisation_id == organisation_id, Alert.status != AlertStatus.RESOLVED.value)
        )
        found = [self._row(alert, chat_id) for alert, chat_id in rows.all()]
        return sorted(found, key=lambda row: waiting_key(row.model()))

    async def in_organisation(self, alert_id: int, organisation_id: int) -> AlertRow | None:
        """Return one alert only if it belongs to the organisation (the dashboard never reads across them)."""
        row = (
            await self._session.execute(
                select(Alert, Member.chat_id)
                .join(Member, Member.id == Alert.member_id)
                .where(Alert.id == alert_id, Alert.organisation_id == organisation_id)
            )
        ).first()
        return self._row(row[0], row[1]) if row else None

    async def for_dashboard(
        self, organisation_id: int, resolved_since: datetime, claimed_by: int | None = None, limit: int = 200
    ) -> list[AlertRow]:
        """An organisation's unresolved alerts (urgent first, then oldest), then those resolved since a time
        (newest first); with `claimed_by`, only the resolved ones that person claimed."""
        open_rows = await self.open_for_organisation(organisation_id)
        resolved = (
            select(Alert, Member.chat_id)
            .join(Member, Member.id == Alert.member_id)
            .where(
                Alert.organisation_id == organisation_id,
                Alert.status == AlertStatus.RESOLVED.value,
                Alert.resolved_at >= resolved_since,
            )
            .order_by(Alert.resolved_at.desc())
            .limit(limit)
        )
        if claimed_by is not None:
            resolved = resolved.where(Alert.claimed_by_member_id == claimed_by)
        rows = (await self._session.execute(resolved)).all()
        return open_rows[:limit] + [self._row(alert, chat_id) for alert, chat_id in rows]

    async def note_of(self, alert_id: int) -> str | None:
        """Return the volunteer's note on an alert, decrypted."""
        encrypted = await self._session.scalar(select(Alert.note_encrypted).where(Alert.id == alert_id))
        return self._cipher.decrypt(encrypted) if encrypted is not None else None

    async def _locked(self, query: object, limit: int) -> list[AlertRow]:
        statement = (
            query.add_columns(Member.chat_id)  # type: ignore[attr-defined]
            .join(Member, Member.id == Alert.member_id)
            .order_by(Alert.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True, of=Alert)
        )
        rows = (await self._session.execute(statement)).all()
        return [self._row(alert, chat_id) for alert, chat_id in rows]

    def _row(self, alert: Alert, chat_id: int) -> AlertRow:
        return AlertRow(
            alert.id,
            alert.member_id,
            alert.organisation_id,
            alert.tier,
            alert.share_level,
            alert.status,
            alert.escalation,
            alert.created_at,
            alert.claimed_by_member_id,
            tuple(json.loads(self._cipher.decrypt(alert.reasons_encrypted))),
            chat_id,
            alert.claimed_at,
            alert.resolved_at,
            alert.outcome,
            alert.note_encrypted is not None,
            alert.waiting_since,
            alert.raised_again_at,
            alert.answered_at,
            alert.dispatched_at,
            alert.nobody_told_at,
            alert.case_ref or "",
        )


def _quiet_since(alert: Alert, now: datetime, timings: AlertTimings) -> bool:
    """Whether a waiting alert went out long enough ago to be sent again for a new urgent signal (a member who
    writes several messages in a crisis does not flood the team with copies)."""
    return alert.dispatched_at is None or now - alert.dispatched_at >= timings.resend_after


def two_days_before(now: datetime) -> datetime:
    """The start of the window staff see counts for ("3rd alert for this person in 2 days")."""
    return now - timedelta(days=2)
