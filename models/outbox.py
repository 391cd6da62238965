"""The outbox: messages to any chat, written with their cause, leased and sent until Telegram confirms."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from models.crypto import DataCipher
from models.tables import OutboxMessage

LEASE = timedelta(minutes=2)
ButtonRows = Sequence[Sequence[tuple[str, str]]]


DELIVERED_PAYLOAD = json.dumps({"text": "", "buttons": []})  # what a delivered relayed message keeps


@dataclass(frozen=True)
class LeasedMessage:
    """A message this instance may send (or an edit it may make) now."""

    id: int
    chat_id: int
    kind: str
    text: str
    buttons: list[list[tuple[str, str]]]
    edit_message_id: int | None
    is_edit: bool


class OutboxRepository:
    """Outgoing messages."""

    def __init__(self, session: AsyncSession, cipher: DataCipher) -> None:
        """Work inside the given session."""
        self._session = session
        self._cipher = cipher

    async def enqueue(
        self,
        recipient_member_id: int,
        chat_id: int,
        kind: str,
        text: str,
        buttons: ButtonRows,
        now: datetime,
        *,
        alert_id: int | None = None,
        edits_id: int | None = None,
        not_before: datetime | None = None,
    ) -> int:
        """Write a message to send after commit (or, with `not_before`, from that time on)."""
        payload = {"text": text, "buttons": [[list(button) for button in row] for row in buttons]}
        row = OutboxMessage(
            recipient_member_id=recipient_member_id,
            chat_id=chat_id,
            kind=kind,
            alert_id=alert_id,
            edits_id=edits_id,
            payload_encrypted=self._cipher.encrypt(json.dumps(payload)),
            next_attempt_at=max(now, not_before) if not_before else now,
            created_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return row.id

    async def lease(self, now: datetime, limit: int) -> list[LeasedMessage]:
        """Lease due messages; an edit waits until the message it edits has been sent."""
        original = aliased(OutboxMessage)
        rows = (
            await self._session.execute(
                select(OutboxMessage, original.telegram_message_id, original.status)
                .outerjoin(original, original.id == OutboxMessage.edits_id)
                .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(limit)
                .with_for_update(skip_locked=True, of=OutboxMessage)
            )
        ).all()
        leased = []
        for row, edited_message_id, edited_status in rows:
            if row.edits_id is not None and edited_message_id is None:
                if edited_status in ("failed", "cancelled"):
                    row.status = "cancelled"
                else:
                    row.next_attempt_at = now + timedelta(seconds=5)
                continue
            row.attempts += 1
            row.next_attempt_at = now + LEASE
            row.leased = True
            payload: dict[str, Any] = json.loads(self._cipher.decrypt(row.payload_encrypted))
            buttons = [[(label, data) for label, data in line] for line in payload["buttons"]]
            leased.append(
                LeasedMessage(
                    row.id, row.chat_id, row.kind, payload["text"], buttons, edited_message_id, row.edits_id is not None
                )
            )
        await self._session.flush()
        return leased

    async def release_dead_leases(self, now: datetime) -> int:
        """Make messages leased by a process that died due now (single instance, at start: every lease is dead);
        a message waiting out a back-off (429, a network error) keeps its time. Return how many."""
        result = await self._session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == "pending", OutboxMessage.leased.is_(True))
            .values(next_attempt_at=now, leased=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def mark_sent(self, message_id: int, telegram_message_id: int | None, now: datetime) -> None:
        """Record that Telegram accepted the message; a message to a non-member is deleted instead."""
        await self._session.execute(
            delete(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.recipient_member_id.is_(None))
        )
        await self._session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(status="sent", sent_at=now, telegram_message_id=telegram_message_id, leased=False)
        )
        await self._session.execute(  # relayed words are not kept once delivered (a transcript only if chosen)
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.kind == "relay")
            .values(payload_encrypted=self._cipher.encrypt(DELIVERED_PAYLOAD))
        )

    async def cancel_pending_to(self, member_id: int, kinds: tuple[str, ...]) -> int:
        """Withdraw messages of these kinds not yet sent to someone (they left the team); relayed words go too."""
        result = await self._session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.recipient_member_id == member_id,
                OutboxMessage.status == "pending",
                OutboxMessage.kind.in_(kinds),
            )
            .values(status="cancelled", payload_encrypted=self._cipher.encrypt(DELIVERED_PAYLOAD), leased=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def sent_alert_messages_to(self, member_id: int) -> list[tuple[int, int, int]]:
        """(outbox id, alert id, chat id) of the alert messages someone was sent, to take the details back."""
        rows = await self._session.execute(
            select(OutboxMessage.id, OutboxMessage.alert_id, OutboxMessage.chat_id).where(
                OutboxMessage.recipient_member_id == member_id,
                OutboxMessage.kind == "alert",
                OutboxMessage.status == "sent",
                OutboxMessage.alert_id.is_not(None),
            )
        )
        return [(row[0], row[1], row[2]) for row in rows.all()]

    async def cancel(self, message_id: int) -> bool:
        """Withdraw a message not yet sent (a reminder no longer wanted); False if it has gone already."""
        result = await self._session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending")
            .values(status="cancelled")
        )
        return bool(getattr(result, "rowcount", 0))

    async def retry_at(self, message_id: int, when: datetime, give_up: bool = False) -> None:
        """Try again later, or give up for good."""
        values: dict[str, Any] = {"status": "failed"} if give_up else {"next_attempt_at": when}
        values["leased"] = False  # a back-off is not a lease: a restart waits it out
        await self._session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))
        if give_up:  # relayed words that can never be delivered are not kept either
            await self._session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.kind == "relay")
                .values(payload_encrypted=self._cipher.encrypt(DELIVERED_PAYLOAD))
            )

    async def alert_messages(self, alert_id: int) -> list[tuple[int, int, int]]:
        """Return (outbox id, recipient member id, chat id) of every alert message sent for an alert."""
        rows = await self._session.execute(
            select(OutboxMessage.id, OutboxMessage.recipient_member_id, OutboxMessage.chat_id).where(
                OutboxMessage.alert_id == alert_id, OutboxMessage.kind == "alert"
            )
        )
        return [(row[0], row[1], row[2]) for row in rows.all()]
