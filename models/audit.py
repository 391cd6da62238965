"""The audit trail: append-only, no health content, no Telegram ids."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.tables import AuditEvent


@dataclass(frozen=True)
class AuditRow:
    """One audit event as plain values."""

    actor_member_id: int | None
    organisation_id: int | None
    action: str
    object_type: str
    object_id: int | None


ACTION_LENGTH = 32  # audit_events.action


class AuditRepository:
    """Append and read audit events."""

    def __init__(self, session: AsyncSession) -> None:
        """Work inside the given session."""
        self._session = session

    async def record(
        self,
        action: str,
        object_type: str,
        object_id: int | None,
        now: datetime,
        actor_member_id: int | None = None,
        organisation_id: int | None = None,
    ) -> None:
        """Append one event (an action name longer than its column is refused on every backend, not only
        PostgreSQL)."""
        if len(action) > ACTION_LENGTH:
            raise ValueError(f"audit action {action!r} is longer than {ACTION_LENGTH} characters")
        self._session.add(
            AuditEvent(
                at=now,
                actor_member_id=actor_member_id,
                organisation_id=organisation_id,
                action=action,
                object_type=object_type,
                object_id=object_id,
            )
        )
        await self._session.flush()

    async def all(self) -> list[AuditRow]:
        """Return every event, oldest first."""
        rows = await self._session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        return [AuditRow(r.actor_member_id, r.organisation_id, r.action, r.object_type, r.object_id) for r in rows]
