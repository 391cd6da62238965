"""Broadcast deliveries: lease a few at a time, record what Telegram said, never send one twice.

Several instances can send side by side on PostgreSQL: a lease claims rows with FOR UPDATE SKIP LOCKED and marks
them "sending" (committed before any request). A lease that runs out without a confirmation (the instance died
mid-send) becomes "uncertain" and is not sent again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from models.broadcast_tables import Broadcast, BroadcastDelivery, UnreachableMember
from models.database import dialect_of
from models.tables import ConsentRecord, Member

LEASE = timedelta(seconds=60)


class Result(StrEnum):
    """What became of one send."""

    SENT = "sent"
    RETRY = "retry"  # Telegram said not now (429, 5xx, network): try again at `retry_at`
    FAILED = "failed"  # refused for good, or too many tries
    UNREACHABLE = "unreachable"  # the member blocked the bot, or the chat is gone
    UNCERTAIN = "uncertain"  # the request may have reached Telegram: never sent again


@dataclass(frozen=True)
class LeasedDelivery:
    """A delivery this instance may send now."""

    id: int
    broadcast_id: int
    member_id: int
    chat_id: int
    attempts: int


@dataclass(frozen=True)
class Outcome:
    """What Telegram said about one delivery."""

    delivery: LeasedDelivery
    result: Result
    retry_at: datetime | None = None
    reason: str = ""


class DeliveryRepository:
    """One row per member per broadcast."""

    def __init__(self, session: AsyncSession) -> None:
        """Work inside the given session."""
        self._session = session

    async def lease(self, now: datetime, limit: int, lease: timedelta = LEASE) -> list[LeasedDelivery]:
        """Claim due deliveries and mark them sending; skip members no longer in the audience or unreachable."""
        rows = (
            await self._session.execute(
                select(
                    BroadcastDelivery, Member.chat_id, Member.status, Member.organisation_id, Broadcast.organisation_id
                )
                .join(Member, Member.id == BroadcastDelivery.member_id)
                .join(Broadcast, Broadcast.id == BroadcastDelivery.broadcast_id)
                .where(BroadcastDelivery.status == "pending", BroadcastDelivery.next_attempt_at <= now)
                .order_by(BroadcastDelivery.status, BroadcastDelivery.next_attempt_at, BroadcastDelivery.id)
                .limit(limit)
                .with_for_update(skip_locked=True, of=BroadcastDelivery)
            )
        ).all()
        if not rows:
            return []
        member_ids = [row[0].member_id for row in rows]
        wanting_news = await self._wanting_news(member_ids)
        unreachable = set(
            await self._session.scalars(
                select(UnreachableMember.member_id).where(UnreachableMember.member_id.in_(member_ids))
            )
        )
        leased = []
        for delivery, chat_id, status, organisation_id, broadcast_organisation_id in rows:
            if delivery.member_id in unreachable:
                delivery.status = "unreachable"
            elif (
                status != "active"
                or organisation_id != broadcast_organisation_id
                or delivery.member_id not in wanting_news
            ):
                delivery.status = "skipped"
            else:
                delivery.status = "sending"
                delivery.attempts += 1
                delivery.next_attempt_at = now + lease
                leased.append(
                    LeasedDelivery(delivery.id, delivery.broadcast_id, delivery.member_id, chat_id, delivery.attempts)
                )
        await self._session.flush()
        return leased

    async def _wanting_news(self, member_ids: Sequence[int]) -> set[int]:
        """Members among these whose latest NEWS record says given."""
        latest = (
            select(func.max(ConsentRecord.id))
            .where(ConsentRecord.scope == "news", ConsentRecord.member_id.in_(member_ids))
            .group_by(ConsentRecord.member_id)
        )
        found = await self._session.scalars(
            select(ConsentRecord.member_id).where(ConsentRecord.id.in_(latest), ConsentRecord.action == "given")
        )
        return set(found)

    async def record(self, outcomes: Sequence[Outcome], now: datetime) -> None:
        """Write what Telegram said; a confirmation wins over a lease that ran out meanwhile."""
        sent = [o.delivery.id for o in outcomes if o.result is Result.SENT]
        if sent:
            await self._session.execute(
                update(BroadcastDelivery)
                .where(BroadcastDelivery.id.in_(sent), BroadcastDelivery.status.in_(("sending", "uncertain")))
                .values(status="sent", sent_at=now)
            )
        for final in (Result.FAILED, Result.UNREACHABLE, Result.UNCERTAIN):
            ids = [o.delivery.id for o in outcomes if o.result is final]
            if ids:
                await self._session.execute(
                    update(BroadcastDelivery)
                    .where(BroadcastDelivery.id.in_(ids), BroadcastDelivery.status == "sending")
                    .values(status=final.value)
                )
        for outcome in outcomes:
            if outcome.result is Result.RETRY:
                await self._session.execute(
                    update(BroadcastDelivery)
                    .where(BroadcastDelivery.id == outcome.delivery.id, BroadcastDelivery.status == "sending")
                    .values(status="pending", next_attempt_at=outcome.retry_at or now)
                )
            elif outcome.result is Result.UNREACHABLE:
                await self.mark_unreachable(outcome.delivery.member_id, outcome.reason or "blocked", now)

    async def release(self, deliveries: Sequence[LeasedDelivery], now: datetime) -> None:
        """Hand back leased deliveries that were never sent (a clean stop)."""
        ids = [delivery.id for delivery in deliveries]
        if ids:
            await self._session.execute(
                update(BroadcastDelivery)
                .where(BroadcastDelivery.id.in_(ids), BroadcastDelivery.status == "sending")
                .values(status="pending", next_attempt_at=now, attempts=BroadcastDelivery.attempts - 1)
            )

    async def expire_leases(self, now: datetime) -> int:
        """Count leases that ran out without a confirmation as uncertain (they are not sent again)."""
        result = await self._session.execute(
            update(BroadcastDelivery)
            .where(BroadcastDelivery.status == "sending", BroadcastDelivery.next_attempt_at <= now)
            .values(status="uncertain")
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def next_due(self) -> datetime | None:
        """When the earliest pending delivery is due, if any."""
        found: datetime | None = await self._session.scalar(
            select(func.min(BroadcastDelivery.next_attempt_at)).where(BroadcastDelivery.status == "pending")
        )
        return found

    async def cancel_pending_for_member(self, member_id: int) -> int:
        """Skip every delivery not yet sent to a member (they stopped news); return how many."""
        result = await self._session.execute(
            update(BroadcastDelivery)
            .where(BroadcastDelivery.member_id == member_id, BroadcastDelivery.status == "pending")
            .values(status="skipped")
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def mark_unreachable(self, member_id: int, reason: str, now: datetime) -> None:
        """Remember that Telegram will not deliver to a member."""
        values = {"member_id": member_id, "reason": reason[:24], "since": now}
        dialect = dialect_of(self._session)
        if dialect == "postgresql":
            statement = pg_insert(UnreachableMember).values(values).on_conflict_do_nothing(index_elements=["member_id"])
            await self._session.execute(statement)
        else:
            await self._session.execute(
                sqlite_insert(UnreachableMember).values(values).on_conflict_do_nothing(index_elements=["member_id"])
            )

    async def mark_reachable(self, member_id: int) -> None:
        """The member wrote to the bot: they can be reached again."""
        await self._session.execute(delete(UnreachableMember).where(UnreachableMember.member_id == member_id))

    async def is_unreachable(self, member_id: int) -> bool:
        """Say whether Telegram refused to deliver to a member."""
        return await self._session.get(UnreachableMember, member_id) is not None
