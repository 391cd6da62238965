"""The inbox: store an update before Telegram forgets it, then claim it for handling, one per member at a time.

Webhook mode stores an update before answering 200; polling mode stores each fetched batch before asking for the
next offset (which is what confirms the batch to Telegram).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from models.crypto import DataCipher
from models.database import dialect_of
from models.inbox_tables import InboxUpdate

log = logging.getLogger("cairn.inbox")

MAX_ATTEMPTS = 5
GIVE_UP_AFTER = timedelta(minutes=10)
"""An update claimed more often than MAX_ATTEMPTS *and* stored longer than GIVE_UP_AFTER is given up (dropped), so
one bad update (one that cannot be read, or that kills the process each time) never blocks its member for ever.
Both, because a crash abandons every update in flight: a run of restarts (a crash loop, a kill storm) must not
drop the innocent updates that happened to be in flight each time, crisis messages among them.
"""
_NO_SYNC = {"synchronize_session": False}
"""For the lease updates and deletes: each runs in a unit of work of its own, holding no inbox rows to bring up to
date, and working out which ones it could touch (compiling the condition to Python) cost more than the statement."""


@dataclass(frozen=True)
class ClaimedUpdate:
    """An update leased for handling, with its payload decrypted.

    `attempts` is also the lease token: each claim increments it, and renew/release/done act only while it is
    unchanged, so a claimer whose lease lapsed and was taken over cannot touch the new claimer's row.
    `payload` is None when the update is to be given up (`given_up`: see GIVE_UP_AFTER) or could not be decrypted
    (`unreadable`); an unreadable update keeps its lease (its member's later updates wait) and is tried again
    once the lease lapses (another instance may hold the key), until it is given up.
    """

    update_id: int
    payload: dict[str, Any] | None
    attempts: int
    unreadable: bool = False
    given_up: bool = False


class InboxRepository:
    """Updates received (by the webhook or the poller) and not yet handled."""

    def __init__(self, session: AsyncSession, cipher: DataCipher) -> None:
        """Work inside the given session; payloads are encrypted with the cipher."""
        self._session = session
        self._cipher = cipher

    async def add(self, update_id: int, sender_key: str, payload: dict[str, Any], now: datetime) -> bool:
        """Store an update; False if an update with this id is already waiting."""
        return bool(await self.add_many([(update_id, sender_key, payload)], now))

    async def add_many(self, updates: Sequence[tuple[int, str, dict[str, Any]]], now: datetime) -> int:
        """Store updates (update_id, sender key, payload) in one statement; return how many were new (an update
        already waiting is left as it is)."""
        if not updates:
            return 0
        dialect = dialect_of(self._session)
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        rows = [
            {
                "update_id": update_id,
                "sender_key": sender_key,
                "payload_encrypted": self._cipher.encrypt(json.dumps(payload, separators=(",", ":"))),
                "received_at": now,
                "attempts": 0,
            }
            for update_id, sender_key, payload in updates
        ]
        statement = (
            insert(InboxUpdate.__table__)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["update_id"])
            .returning(InboxUpdate.__table__.c.update_id)
        )
        return len((await self._session.execute(statement)).all())

    async def claim(
        self, now: datetime, limit: int, lease: timedelta, exclude: Collection[int] = ()
    ) -> list[ClaimedUpdate]:
        """Lease up to `limit` updates, each the oldest waiting update of its member and not leased by anyone.

        A member whose earlier update is still waiting or in flight (anywhere) gets nothing: their updates are
        handled one at a time, in update_id order. Rows locked by another instance's claim are skipped, and so
        are the `exclude`d ones (the claimer is still handling them, even if their lease lapsed meanwhile).
        """
        earlier = aliased(InboxUpdate)
        not_ours = [InboxUpdate.update_id.not_in(list(exclude))] if exclude else []
        rows = (
            await self._session.scalars(
                select(InboxUpdate)
                .where(
                    or_(InboxUpdate.leased_until.is_(None), InboxUpdate.leased_until < now),
                    *not_ours,
                    ~exists().where(
                        earlier.sender_key == InboxUpdate.sender_key, earlier.update_id < InboxUpdate.update_id
                    ),
                )
                .order_by(InboxUpdate.update_id)
                .limit(limit)
                .with_for_update(skip_locked=True, of=InboxUpdate)
            )
        ).all()
        claimed = []
        for row in rows:
            row.leased_until = now + lease
            row.attempts += 1
            claimed.append(self._open(row, now))
        await self._session.flush()
        return claimed

    def _open(self, row: InboxUpdate, now: datetime) -> ClaimedUpdate:
        """Decrypt one claimed row; a row that cannot be read is reported as unreadable, never raised."""
        if row.attempts > MAX_ATTEMPTS and row.received_at + GIVE_UP_AFTER <= now:
            return ClaimedUpdate(row.update_id, None, row.attempts, given_up=True)
        try:
            payload = json.loads(self._cipher.decrypt(row.payload_encrypted))
            if not isinstance(payload, dict):
                raise ValueError("not an update")
        except ValueError as error:  # DataKeyError (a key that was removed) or a damaged payload
            log.error("inbox_update_unreadable attempts=%d error=%s", row.attempts, type(error).__name__)
            return ClaimedUpdate(row.update_id, None, row.attempts, unreadable=True)
        return ClaimedUpdate(row.update_id, payload, row.attempts)

    async def payload(self, update_id: int) -> dict[str, Any] | None:
        """The stored update (decrypted); None if it is gone or cannot be read."""
        value = await self._session.scalar(
            select(InboxUpdate.payload_encrypted).where(InboxUpdate.update_id == update_id)
        )
        if value is None:
            return None
        try:
            payload = json.loads(self._cipher.decrypt(value))
        except ValueError:  # DataKeyError (a key that was removed) or a damaged payload
            return None
        return payload if isinstance(payload, dict) else None

    async def renew(self, leases: Sequence[tuple[int, int]], until: datetime) -> set[int]:
        """Extend the leases (update_id, attempts) still ours; return the update_ids whose lease was extended."""
        renewed = set()
        for update_id, attempts in sorted(leases):  # in update_id order, as every locker of several rows does
            result = await self._session.execute(
                update(InboxUpdate).where(_on_lease(update_id, attempts)).values(leased_until=until),
                execution_options=_NO_SYNC,
            )
            if getattr(result, "rowcount", 0):
                renewed.add(update_id)
        return renewed

    async def release(self, leases: Sequence[tuple[int, int]]) -> None:
        """Hand back leases (update_id, attempts) still ours, so any instance may claim these updates now."""
        for update_id, attempts in sorted(leases):  # in update_id order, as every locker of several rows does
            await self._session.execute(
                update(InboxUpdate).where(_on_lease(update_id, attempts)).values(leased_until=None),
                execution_options=_NO_SYNC,
            )

    async def release_all(self) -> int:
        """Hand back every lease (for a single-instance start: whoever held them is gone); return how many."""
        result = await self._session.execute(
            update(InboxUpdate).where(InboxUpdate.leased_until.is_not(None)).values(leased_until=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def keep_reply(
        self, update_id: int, messages: Sequence[tuple[str, Sequence[Sequence[tuple[str, str]]]]]
    ) -> None:
        """Keep an update's rendered reply (text and button rows per message) with it until it is finished."""
        payload = json.dumps([[text, [[list(button) for button in row] for row in rows]] for text, rows in messages])
        await self._session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.update_id == update_id)
            .values(reply_encrypted=self._cipher.encrypt(payload))
        )

    async def kept_reply(self, update_id: int) -> list[tuple[str, list[list[tuple[str, str]]]]] | None:
        """The reply kept with an update that was handled but never finished; None if there is none."""
        value = await self._session.scalar(
            select(InboxUpdate.reply_encrypted).where(InboxUpdate.update_id == update_id)
        )
        if value is None:
            return None
        messages = json.loads(self._cipher.decrypt(value))
        return [(text, [[(label, data) for label, data in row] for row in rows]) for text, rows in messages]

    async def forget_reply(self, update_id: int) -> None:
        """Drop a kept reply (what was not sent has gone to the outbox)."""
        await self._session.execute(
            update(InboxUpdate).where(InboxUpdate.update_id == update_id).values(reply_encrypted=None)
        )

    async def done(self, update_id: int, attempts: int) -> bool:
        """Forget a handled update while its lease is ours; False if another claimer has it now.

        Its update_id stays in processed_updates, so a redelivery has no effect.
        """
        result = await self._session.execute(
            delete(InboxUpdate).where(_on_lease(update_id, attempts)), execution_options=_NO_SYNC
        )
        return bool(getattr(result, "rowcount", 0))

    async def done_many(self, leases: Sequence[tuple[int, int]]) -> set[int]:
        """Forget handled updates (update_id, attempts) whose lease is still ours, in one statement; return the
        update_ids forgotten (the others are another claimer's now)."""
        if not leases:
            return set()
        matches = or_(*(_on_lease(update_id, attempts) for update_id, attempts in leases))
        # Lock the rows in update_id order first, as renew and release do: a DELETE locks them in the table's own
        # order, which another instance's renewal (one row at a time, by update_id) could cross into a deadlock.
        await self._session.execute(
            select(InboxUpdate.update_id).where(matches).order_by(InboxUpdate.update_id).with_for_update()
        )
        result = await self._session.execute(
            delete(InboxUpdate).where(matches).returning(InboxUpdate.update_id), execution_options=_NO_SYNC
        )
        return set(result.scalars().all())

    async def depth(self) -> int:
        """Count updates waiting or in flight."""
        return int(await self._session.scalar(select(func.count()).select_from(InboxUpdate)) or 0)

    async def oldest_received(self) -> datetime | None:
        """When the oldest update still stored was received, or None when the inbox is empty."""
        return await self._session.scalar(select(func.min(InboxUpdate.received_at)))


def _on_lease(update_id: int, attempts: int) -> ColumnElement[bool]:
    """Match an update only while the lease taken with this claim (its attempts count) is still the current one."""
    return and_(InboxUpdate.update_id == update_id, InboxUpdate.attempts == attempts)
