"""Alerts: written in the same transaction as their cause; dispatched, claimed, escalated and resolved."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.crypto import DataCipher
from models.tables import Alert, Member

OPEN_STATES = ("open", "escalated")
MERGE_WINDOW = timedelta(hours=2)
TIER_ORDER = {"WATCH": 1, "CONCERN": 2, "URGENT": 3}


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


class AlertRepository:
    """Alerts for community workers."""

    def __init__(self, session: AsyncSession, cipher: DataCipher) -> None:
        """Work inside the given session."""
        self._session = session
        self._cipher = cipher

    async def raise_alert(
        self, member_id: int, organisation_id: int, tier: str, share_level: str, reasons: Sequence[str], now: datetime
    ) -> int:
        """Write an alert, or fold it into the member's unresolved alert of the last two hours (raising its tier)."""
        recent = await self._session.scalar(
            select(Alert)
            .where(
                Alert.member_id == member_id,
                Alert.status.in_((*OPEN_STATES, "claimed")),
                Alert.created_at >= now - MERGE_WINDOW,
            )
            .order_by(Alert.id.desc())
            .limit(1)
        )
        if recent is not None:
            known = json.loads(self._cipher.decrypt(recent.reasons_encrypted))
            merged = known + [reason for reason in reasons if reason not in known]
            recent.reasons_encrypted = self._cipher.encrypt(json.dumps(merged))
            if TIER_ORDER.get(tier, 0) > TIER_ORDER.get(recent.tier, 0):
                recent.tier = tier
                if recent.status != "claimed":  # unclaimed: send it out again at the higher tier, clock restarted
                    recent.dispatched_at, recent.escalation, recent.created_at = None, 0, now
            await self._session.flush()
            return recent.id
        alert = Alert(
            member_id=member_id,
            organisation_id=organisation_id,
            tier=tier,
            share_level=share_level,
            reasons_encrypted=self._cipher.encrypt(json.dumps(list(reasons))),
            created_at=now,
        )
        self._session.add(alert)
        await self._session.flush()
        return alert.id

    async def get(self, alert_id: int) -> AlertRow | None:
        """Return one alert."""
        row = (
            await self._session.execute(
                select(Alert, Member.chat_id).join(Member, Member.id == Alert.member_id).where(Alert.id == alert_id)
            )
        ).first()
        return self._row(row[0], row[1]) if row else None

    async def undispatched(self, limit: int) -> list[AlertRow]:
        """Lock alerts not yet sent to anyone."""
        return await self._locked(
            select(Alert).where(Alert.dispatched_at.is_(None), Alert.status.in_(OPEN_STATES)), limit
        )

    async def unclaimed(self, limit: int) -> list[AlertRow]:
        """Lock dispatched alerts nobody has claimed yet."""
        query = select(Alert).where(Alert.dispatched_at.is_not(None), Alert.status.in_(OPEN_STATES))
        return await self._locked(query, limit)

    async def mark_dispatched(self, alert_id: int, now: datetime) -> None:
        """Note that the alert went out."""
        await self._session.execute(update(Alert).where(Alert.id == alert_id).values(dispatched_at=now))

    async def escalate(self, alert_id: int, level: int, now: datetime) -> None:
        """Move an alert to an escalation level."""
        await self._session.execute(
            update(Alert).where(Alert.id == alert_id).values(escalation=level, escalated_at=now, status="escalated")
        )

    async def claim(self, alert_id: int, volunteer_member_id: int, now: datetime) -> bool:
        """Claim an open alert; False if someone else got there first."""
        result = await self._session.execute(
            update(Alert)
            .where(Alert.id == alert_id, Alert.status.in_(OPEN_STATES))
            .values(status="claimed", claimed_by_member_id=volunteer_member_id, claimed_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    async def resolve(self, alert_id: int, outcome: str, now: datetime) -> None:
        """Close a claimed alert with its outcome."""
        await self._session.execute(
            update(Alert).where(Alert.id == alert_id).values(status="resolved", outcome=outcome, resolved_at=now)
        )

    async def add_note(self, alert_id: int, note: str) -> None:
        """Keep the volunteer's note, encrypted."""
        await self._session.execute(
            update(Alert).where(Alert.id == alert_id).values(note_encrypted=self._cipher.encrypt(note))
        )

    async def open_for_organisation(self, organisation_id: int) -> list[AlertRow]:
        """List an organisation's alerts that are not resolved, oldest first."""
        rows = await self._session.execute(
            select(Alert, Member.chat_id)
            .join(Member, Member.id == Alert.member_id)
            .where(Alert.organisation_id == organisation_id, Alert.status != "resolved")
            .order_by(Alert.created_at)
        )
        return [self._row(alert, chat_id) for alert, chat_id in rows.all()]

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
        """An organisation's unresolved alerts (oldest first), then those resolved since a time (newest first);
        with `claimed_by`, only the resolved ones that person claimed."""
        open_rows = await self.open_for_organisation(organisation_id)
        resolved = (
            select(Alert, Member.chat_id)
            .join(Member, Member.id == Alert.member_id)
            .where(
                Alert.organisation_id == organisation_id,
                Alert.status == "resolved",
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
        )
