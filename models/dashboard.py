"""Dashboard access: single-use login links and browser sessions, stored by the SHA-256 of their raw values."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.dashboard_tables import DashboardLoginToken, DashboardSession

LOGIN_LINK_LIFETIME = timedelta(minutes=10)
SEEN_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often (idle expiry is exact to within it)


def sha256_hex(raw: str) -> str:
    """Hash a raw token or session id for storage and lookup."""
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class SessionRow:
    """A live dashboard session."""

    id: int
    member_id: int
    created_at: datetime
    expires_at: datetime


class DashboardAccess:
    """Login links and sessions."""

    def __init__(self, session: AsyncSession) -> None:
        """Work inside the given session."""
        self._session = session

    async def issue_login_token(self, member_id: int, now: datetime, lifetime: timedelta = LOGIN_LINK_LIFETIME) -> str:
        """Make a single-use login token for a member and return the raw value (only its hash is stored)."""
        raw = secrets.token_urlsafe(32)
        self._session.add(
            DashboardLoginToken(
                token_hash=sha256_hex(raw), member_id=member_id, created_at=now, expires_at=now + lifetime
            )
        )
        await self._session.flush()
        return raw

    async def login_token_usable(self, raw: str, now: datetime) -> bool:
        """Say whether a token exists, is unused and has not expired (without using it)."""
        found = await self._session.scalar(
            select(DashboardLoginToken.id).where(
                DashboardLoginToken.token_hash == sha256_hex(raw),
                DashboardLoginToken.used_at.is_(None),
                DashboardLoginToken.expires_at > now,
            )
        )
        return found is not None

    async def consume_login_token(self, raw: str, now: datetime) -> int | None:
        """Use a token once, atomically; return its member, or None if unknown, used or expired."""
        digest = sha256_hex(raw)
        result = await self._session.execute(
            update(DashboardLoginToken)
            .where(
                DashboardLoginToken.token_hash == digest,
                DashboardLoginToken.used_at.is_(None),
                DashboardLoginToken.expires_at > now,
            )
            .values(used_at=now)
        )
        if getattr(result, "rowcount", 0) != 1:
            return None
        return await self._session.scalar(
            select(DashboardLoginToken.member_id).where(DashboardLoginToken.token_hash == digest)
        )

    async def start_session(self, member_id: int, now: datetime, lifetime: timedelta) -> str:
        """Open a session and return its raw id (for the cookie; only its hash is stored)."""
        raw = secrets.token_urlsafe(32)
        self._session.add(
            DashboardSession(
                session_hash=sha256_hex(raw),
                member_id=member_id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + lifetime,
            )
        )
        await self._session.flush()
        return raw

    async def live_session(self, raw: str, now: datetime, idle: timedelta) -> SessionRow | None:
        """Find a session that has neither idled out nor passed its absolute expiry, and note it was seen now.

        The note is written at most once a minute (SEEN_EVERY), so most requests only read the database.
        """
        row = await self._session.scalar(
            select(DashboardSession).where(DashboardSession.session_hash == sha256_hex(raw))
        )
        if row is None:
            return None
        if row.expires_at <= now or row.last_seen_at + idle <= now:
            await self._session.delete(row)
            await self._session.flush()
            return None
        if now - row.last_seen_at >= SEEN_EVERY:
            row.last_seen_at = now
            await self._session.flush()
        return SessionRow(row.id, row.member_id, row.created_at, row.expires_at)

    async def end_session(self, raw: str) -> None:
        """Log out: delete the session."""
        await self._session.execute(delete(DashboardSession).where(DashboardSession.session_hash == sha256_hex(raw)))

    async def end_sessions_of(self, member_id: int) -> None:
        """Log a member out everywhere (used when they leave the team)."""
        await self._session.execute(delete(DashboardSession).where(DashboardSession.member_id == member_id))

    async def purge(self, now: datetime, idle: timedelta) -> int:
        """Delete expired sessions and used or expired login tokens; return how many rows went."""
        sessions = await self._session.execute(
            delete(DashboardSession).where(
                or_(DashboardSession.expires_at <= now, DashboardSession.last_seen_at <= now - idle)
            )
        )
        tokens = await self._session.execute(
            delete(DashboardLoginToken).where(
                or_(DashboardLoginToken.used_at.is_not(None), DashboardLoginToken.expires_at <= now)
            )
        )
        return int(getattr(sessions, "rowcount", 0) or 0) + int(getattr(tokens, "rowcount", 0) or 0)
