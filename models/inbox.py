"""The webhook inbox: store an update before answering 200, then claim it for handling, one per member at a time."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from models.crypto import DataCipher
from models.inbox_tables import InboxUpdate


@dataclass(frozen=True)
class ClaimedUpdate:
    """An update leased for handling, with its payload decrypted."""

    update_id: int
    payload: dict[str, Any]
    attempts: int


class InboxRepository:
    """Updates received by the webhook and not yet handled."""

    def __init__(self, session: AsyncSession, cipher: DataCipher) -> None:
        """Work inside the given session; payloads are encrypted with the cipher."""
        self._session = session
        self._cipher = cipher

    async def add(self, update_id: int, sender_key: str, payload: dict[str, Any], now: datetime) -> bool:
        """Store an update; False if an update with this id is already waiting."""
        dialect = self._session.bind.dialect.name if self._session.bind else "sqlite"
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = (
            insert(InboxUpdate)
            .values(
                update_id=update_id,
                sender_key=sender_key,
                payload_encrypted=self._cipher.encrypt(json.dumps(payload, separators=(",", ":"))),
                received_at=now,
                attempts=0,
            )
            .on_conflict_do_nothing(index_elements=["update_id"])
        )
        result = await self._session.execute(statement)
        return bool(getattr(result, "rowcount", 0))

    async def claim(self, now: datetime, limit: int, lease: timedelta) -> list[ClaimedUpdate]:
        """Lease up to `limit` updates, each the oldest waiting update of its member and not leased by anyone.

        A member whose earlier update is still waiting or in flight (anywhere) gets nothing: their updates are
        handled one at a time, in update_id order. Rows locked by another instance's claim are skipped.
        """
        earlier = aliased(InboxUpdate)
        rows = (
            await self._session.scalars(
                select(InboxUpdate)
                .where(
                    or_(InboxUpdate.leased_until.is_(None), InboxUpdate.leased_until < now),
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
            payload = json.loads(self._cipher.decrypt(row.payload_encrypted))
            claimed.append(ClaimedUpdate(row.update_id, payload, row.attempts))
        await self._session.flush()
        return claimed

    async def renew(self, update_ids: Sequence[int], until: datetime) -> None:
        """Extend the lease of updates still being handled."""
        if update_ids:
            await self._session.execute(
                update(InboxUpdate).where(InboxUpdate.update_id.in_(update_ids)).values(leased_until=until)
            )

    async def release(self, update_ids: Sequence[int]) -> None:
        """Hand back leases so any instance may claim these updates now."""
        if update_ids:
            await self._session.execute(
                update(InboxUpdate).where(InboxUpdate.update_id.in_(update_ids)).values(leased_until=None)
            )

    async def done(self, update_id: int) -> None:
        """Forget a handled update (its update_id stays in processed_updates, so a redelivery has no effect)."""
        await self._session.execute(delete(InboxUpdate).where(InboxUpdate.update_id == update_id))

    async def depth(self) -> int:
        """Count updates waiting or in flight."""
        return int(await self._session.scalar(select(func.count()).select_from(InboxUpdate)) or 0)
