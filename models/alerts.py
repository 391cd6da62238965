"""Alerts: written in the same transaction as their cause, with the reasons encrypted."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models.crypto import DataCipher
from models.tables import Alert


class AlertRepository:
    """Alerts for community workers."""

    def __init__(self, session: AsyncSession, cipher: DataCipher) -> None:
        """Work inside the given session."""
        self._session = session
        self._cipher = cipher

    async def raise_alert(
        self, member_id: int, organisation_id: int, tier: str, share_level: str, reasons: Sequence[str], now: datetime
    ) -> int:
        """Write an alert; its relay picks it up after commit."""
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
