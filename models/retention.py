"""Retention: remove each kind of data once it is older than its period, in small batches, idempotently.

Each purge selects a batch of ids (skipping rows another instance has locked, on PostgreSQL) and deletes or
clears them, until a batch comes back short. Running it again finds nothing more to do.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Table, delete, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute

from models.base import Base
from models.broadcast_tables import Broadcast, BroadcastDelivery
from models.dashboard_tables import DashboardLoginToken, DashboardSession
from models.tables import Alert, AuditEvent, CheckIn, OutboxMessage, ProcessedUpdate, PromptDelivery, RelayLine
from models.unit_of_work import UnitOfWorkFactory

BATCH = 1000
DONE_OUTBOX = ("sent", "failed", "cancelled")


async def _purge(
    units: UnitOfWorkFactory,
    key: InstrumentedAttribute[int],
    condition: ColumnElement[bool],
    clear: Callable[[list[int]], list[object]],
) -> int:
    """Select ids matching `condition` in batches and run the statements `clear(ids)` returns on each batch."""
    total = 0
    while True:
        async with units() as uow:
            ids = list(
                (
                    await uow.session.scalars(
                        select(key).where(condition).order_by(key).limit(BATCH).with_for_update(skip_locked=True)
                    )
                ).all()
            )
            for statement in clear(ids):
                await uow.session.execute(statement)  # type: ignore[call-overload]
            await uow.commit()
        total += len(ids)
        if len(ids) < BATCH:
            return total


def _children(parent: str) -> list[Table]:
    """Tables with a foreign key to `parent` (for example a check-in's answers and scores)."""
    return [
        table
        for table in Base.metadata.sorted_tables
        if any(fk.column.table.name == parent for fk in table.foreign_keys)
    ]


def _delete_with_children(table: Table) -> Callable[[list[int]], list[object]]:
    def clear(ids: list[int]) -> list[object]:
        statements: list[object] = []
        for child in _children(table.name):
            for fk in child.foreign_keys:
                if fk.column.table.name == table.name:
                    statements.append(delete(child).where(fk.parent.in_(ids)))
        statements.append(delete(table).where(table.c.id.in_(ids)))
        return statements

    return clear


async def purge_processed_updates(units: UnitOfWorkFactory, before: datetime) -> int:
    """Forget handled update ids older than `before`."""
    return await _purge(
        units,
        ProcessedUpdate.update_id,
        ProcessedUpdate.processed_at < before,
        lambda ids: [delete(ProcessedUpdate).where(ProcessedUpdate.update_id.in_(ids))],
    )


async def purge_outbox(units: UnitOfWorkFactory, before: datetime) -> int:
    """Delete outbox messages sent, failed or withdrawn before `before` (those of unresolved alerts stay)."""
    resolved = select(Alert.id).where(Alert.status == "resolved")
    condition = (
        OutboxMessage.status.in_(DONE_OUTBOX)
        & (OutboxMessage.created_at < before)
        & or_(OutboxMessage.alert_id.is_(None), OutboxMessage.alert_id.in_(resolved))
    )
    return await _purge(
        units, OutboxMessage.id, condition, lambda ids: [delete(OutboxMessage).where(OutboxMessage.id.in_(ids))]
    )


async def purge_prompt_deliveries(units: UnitOfWorkFactory, before: datetime) -> int:
    """Delete records of prompts due before `before` that are no longer pending."""
    condition = (PromptDelivery.status != "pending") & (PromptDelivery.due_at < before)
    return await _purge(
        units, PromptDelivery.id, condition, lambda ids: [delete(PromptDelivery).where(PromptDelivery.id.in_(ids))]
    )


async def purge_checkins(units: UnitOfWorkFactory, before: datetime) -> int:
    """Delete check-ins started before `before`, with their answers and scores."""
    return await _purge(
        units, CheckIn.id, CheckIn.started_at < before, _delete_with_children(Base.metadata.tables["checkins"])
    )


async def purge_alert_notes(units: UnitOfWorkFactory, before: datetime) -> int:
    """Clear the note of alerts resolved before `before` (the alert and its outcome stay)."""
    condition = (Alert.status == "resolved") & (Alert.resolved_at < before) & Alert.note_encrypted.is_not(None)
    return await _purge(
        units, Alert.id, condition, lambda ids: [update(Alert).where(Alert.id.in_(ids)).values(note_encrypted=None)]
    )


async def purge_relay_transcripts(units: UnitOfWorkFactory, before: datetime) -> int:
    """Delete relayed lines sent before `before`."""
    return await _purge(
        units, RelayLine.id, RelayLine.sent_at < before, lambda ids: [delete(RelayLine).where(RelayLine.id.in_(ids))]
    )


async def purge_audit_events(units: UnitOfWorkFactory, before: datetime) -> int:
    """Delete audit events recorded before `before`."""
    return await _purge(
        units, AuditEvent.id, AuditEvent.at < before, lambda ids: [delete(AuditEvent).where(AuditEvent.id.in_(ids))]
    )


async def purge_broadcast_deliveries(units: UnitOfWorkFactory, before: datetime) -> int:
    """Delete the per-member delivery records of broadcasts that finished before `before`."""
    finished = select(Broadcast.id).where(Broadcast.status == "done", Broadcast.finished_at < before)
    return await _purge(
        units,
        BroadcastDelivery.id,
        BroadcastDelivery.broadcast_id.in_(finished),
        lambda ids: [delete(BroadcastDelivery).where(BroadcastDelivery.id.in_(ids))],
    )


async def purge_broadcasts(units: UnitOfWorkFactory, before: datetime) -> int:
    """Delete broadcasts (their text with them) that finished before `before`, with any delivery records left."""
    condition = (Broadcast.status == "done") & (Broadcast.finished_at < before)
    return await _purge(units, Broadcast.id, condition, _delete_with_children(Base.metadata.tables["broadcasts"]))


PURGES = {
    "processed_updates": purge_processed_updates,
    "outbox": purge_outbox,
    "prompt_deliveries": purge_prompt_deliveries,
    "checkins": purge_checkins,
    "alert_notes": purge_alert_notes,
    "relay_transcripts": purge_relay_transcripts,
    "audit_events": purge_audit_events,
    "broadcast_deliveries": purge_broadcast_deliveries,
    "broadcasts": purge_broadcasts,
}
"""Each kind of data and how it is purged; its period is the RetentionPeriods field of the same name, or PERIOD_OF."""

PERIOD_OF = {"broadcast_deliveries": "outbox"}
"""Kinds kept for another kind's period: a broadcast's delivery records go with the outbox's."""


async def purge_dashboard_sessions(units: UnitOfWorkFactory, now: datetime, idle: timedelta | None) -> int:
    """Delete dashboard sessions that have ended: past their absolute end, or (given `idle`) unused that long."""
    ended = DashboardSession.expires_at <= now
    if idle is not None:
        ended = or_(ended, DashboardSession.last_seen_at <= now - idle)
    return await _purge(
        units, DashboardSession.id, ended, lambda ids: [delete(DashboardSession).where(DashboardSession.id.in_(ids))]
    )


async def purge_dashboard_login_links(units: UnitOfWorkFactory, now: datetime, idle: timedelta | None) -> int:
    """Delete dashboard login links that were used or have expired (a link works once, for minutes)."""
    done = or_(DashboardLoginToken.used_at.is_not(None), DashboardLoginToken.expires_at <= now)
    return await _purge(
        units,
        DashboardLoginToken.id,
        done,
        lambda ids: [delete(DashboardLoginToken).where(DashboardLoginToken.id.in_(ids))],
    )


EXPIRED: dict[str, Callable[[UnitOfWorkFactory, datetime, timedelta | None], Awaitable[int]]] = {
    "dashboard_sessions": purge_dashboard_sessions,
    "dashboard_login_links": purge_dashboard_login_links,
}
"""Kinds with no period: nothing is kept for a reason once it has expired, so each run removes what has expired by
then (a session idle for CAIRN_DASHBOARD_IDLE_MINUTES has expired too)."""
