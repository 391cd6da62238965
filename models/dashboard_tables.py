"""Dashboard login links and sessions: only SHA-256 hashes of the raw values are kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import HIDDEN_FROM_EXPORT, Base


class DashboardLoginToken(Base):
    """A single-use login link, valid for a few minutes, sent by `/dashboard` in the bot."""

    __tablename__ = "dashboard_login_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, info=HIDDEN_FROM_EXPORT)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", name="fk_dashboard_tokens_member"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class DashboardSession(Base):
    """A signed-in browser: idle and absolute expiry; the role is read from staff_roles on every request."""

    __tablename__ = "dashboard_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True, info=HIDDEN_FROM_EXPORT)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", name="fk_dashboard_sessions_member"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
