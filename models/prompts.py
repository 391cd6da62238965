"""Check-in prompts: claim due plans into delivery rows, then lease deliveries to send.

Several instances can run these side by side on PostgreSQL: claims use FOR UPDATE SKIP LOCKED, and a
delivery is unique per (member, due time), so a due time can never produce two prompts.

A prompt is sent at most once (hazard H14): just before its request it is marked "sending" in its own short
transaction. One still "sending" after its lease ran out (its process died mid-request) becomes "uncertain" and
is never sent again; a definite "not sent" answer (429, 5xx, no connection) puts it back to "pending".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from flows.schedule import CheckInPlan as PlanValue
from models.checkins import plan_from_row
from models.database import dialect_of
from models.tables import CheckInPlan, Member, PromptDelivery, UnreachableMember

LEASE = timedelta(minutes=2)


@dataclass(frozen=True)
class LeasedPrompt:
    """A prompt this instance may send now."""

    delivery_id: int
    member_id: int
    chat_id: int
    attempt: int  # the lease's token: results are written only while the delivery is still on this lease
    leased_until: datetime


class PromptRepository:
    """Due plans and prompt deliveries."""

    def __init__(self, session: AsyncSession) -> None:
        """Work inside the given session."""
        self._session = session

    def _insert(self) -> Callable[..., object]:
        dialect = dialect_of(self._session)
        return pg_insert if dialect == "postgresql" else sqlite_insert  # type: ignore[return-value]

    async def claim_due(
        self, now: datetime, batch: int, next_due: Callable[[PlanValue, datetime], datetime | None]
    ) -> int:
        """Turn due plans into deliveries and move each plan to its next slot after now; return how many."""
        rows = (
            await self._session.scalars(
                select(CheckInPlan)
                .join(Member, Member.id == CheckInPlan.member_id)
                .where(CheckInPlan.next_due_at <= now, Member.status == "active")
                .order_by(CheckInPlan.next_due_at)
                .limit(batch)
                .with_for_update(skip_locked=True, of=CheckInPlan)
            )
        ).all()
        insert = self._insert()
        for row in rows:
            statement = (
                insert(PromptDelivery)  # type: ignore[operator]
                .values(member_id=row.member_id, due_at=row.next_due_at, status="pending", next_attempt_at=now)
                .on_conflict_do_nothing(index_elements=["member_id", "due_at"])
            )
            await self._session.execute(statement)
            row.next_due_at = next_due(plan_from_row(row), now)
        await self._session.flush()
        return len(rows)

    async def lease(self, now: datetime, limit: int) -> list[LeasedPrompt]:
        """Lease pending deliveries for sending; cancel those whose member paused, stopped or blocked the bot."""
        rows = (
            await self._session.execute(
                select(PromptDelivery, Member.chat_id, Member.status, UnreachableMember.member_id)
                .join(Member, Member.id == PromptDelivery.member_id)
                .outerjoin(UnreachableMember, UnreachableMember.member_id == PromptDelivery.member_id)
                .where(PromptDelivery.status == "pending", PromptDelivery.next_attempt_at <= now)
                .order_by(PromptDelivery.next_attempt_at, PromptDelivery.id)
                .limit(limit)
                .with_for_update(skip_locked=True, of=PromptDelivery)
            )
        ).all()
        leased = []
        for delivery, chat_id, status, unreachable in rows:
            if status != "active" or unreachable is not None:
                delivery.status = "cancelled"
                continue
            delivery.attempts += 1
            delivery.next_attempt_at = now + LEASE
            leased.append(
                LeasedPrompt(delivery.id, delivery.member_id, chat_id, delivery.attempts, delivery.next_attempt_at)
            )
        await self._session.flush()
        return leased

    async def mark_sending(self, prompt: LeasedPrompt) -> bool:
        """Note that the request is about to go; False when the lease passed on or the prompt was cancelled."""
        result = await self._session.execute(
            update(PromptDelivery).where(_on_lease(prompt), PromptDelivery.status == "pending").values(status="sending")
        )
        return bool(getattr(result, "rowcount", 0))

    async def expire_sending(self, now: datetime) -> int:
        """Count prompts still "sending" after their lease (the sender died mid-request) as uncertain: never resent.

        Rows another instance holds are skipped (a later tick takes them), so two instances never deadlock here.
        """
        stale = (
            await self._session.scalars(
                select(PromptDelivery.id)
                .where(PromptDelivery.status == "sending", PromptDelivery.next_attempt_at <= now)
                .order_by(PromptDelivery.id)
                .with_for_update(skip_locked=True)
            )
        ).all()
        if not stale:
            return 0
        result = await self._session.execute(
            update(PromptDelivery)
            .where(PromptDelivery.id.in_(stale), PromptDelivery.status == "sending")
            .values(status="uncertain")
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def mark_sent(self, prompt: LeasedPrompt, now: datetime) -> bool:
        """Record that Telegram accepted the prompt (it wins over an expired lease); False when the lease passed on."""
        result = await self._session.execute(
            update(PromptDelivery)
            .where(_on_lease(prompt), PromptDelivery.status.in_(("pending", "sending", "uncertain")))
            .values(status="sent", sent_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    async def retry_at(self, prompt: LeasedPrompt, when: datetime, give_up: bool = False) -> None:
        """Try again later (clearing a "sending" mark), or give up; only while the lease is still ours."""
        values = {"status": "failed"} if give_up else {"status": "pending", "next_attempt_at": when}
        await self._session.execute(
            update(PromptDelivery)
            .where(_on_lease(prompt), PromptDelivery.status.in_(("pending", "sending", "uncertain")))
            .values(**values)
        )

    async def cancel_pending(self, member_id: int) -> None:
        """Cancel prompts not yet sent (withdrawal, /pause, /stop)."""
        await self._session.execute(
            update(PromptDelivery)
            .where(PromptDelivery.member_id == member_id, PromptDelivery.status == "pending")
            .values(status="cancelled")
        )


def _on_lease(prompt: LeasedPrompt) -> ColumnElement[bool]:
    """The delivery row, as long as no later lease has taken it."""
    return and_(PromptDelivery.id == prompt.delivery_id, PromptDelivery.attempts == prompt.attempt)
