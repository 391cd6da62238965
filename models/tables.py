"""The tables. Every table that refers to a member is covered by export and erasure (models/member_data)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import ENCRYPTED, HIDDEN_FROM_EXPORT, IDS_NEVER_REUSED, NULL_ON_ERASE, Base


class Organisation(Base):
    """A community organisation running Cairn for its members."""

    __tablename__ = "organisations"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class Member(Base):
    """A person who talks to the bot. No name is kept: the Telegram ids are enough to reply."""

    __tablename__ = "members"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    language: Mapped[str] = mapped_column(String(8), default="en")
    created_at: Mapped[datetime]


class ConsentRecord(Base):
    """One consent event, append-only: given, declined or withdrawn, with the text's version and hash."""

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    scope: Mapped[str] = mapped_column(String(24))
    action: Mapped[str] = mapped_column(String(16))
    share_level: Mapped[str | None] = mapped_column(String(24))
    text_version: Mapped[str] = mapped_column(String(32))
    text_hash: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(80))
    update_id: Mapped[int | None] = mapped_column(BigInteger)
    recorded_at: Mapped[datetime]


class Conversation(Base):
    """Where a member is in a conversation; the step's data is encrypted (it may hold free text)."""

    __tablename__ = "conversations"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    flow: Mapped[str] = mapped_column(String(24))
    step: Mapped[str] = mapped_column(String(24))
    data_encrypted: Mapped[bytes] = mapped_column(LargeBinary, info=ENCRYPTED)
    updated_at: Mapped[datetime]


class ProcessedUpdate(Base):
    """A Telegram update already handled: a redelivery of the same update_id has no second effect."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(index=True)


class StaffInvite(Base):
    """A single-use, expiring invite for a coordinator or volunteer; only its hash is kept."""

    __tablename__ = "staff_invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    redeemed_at: Mapped[datetime | None]
    redeemed_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)


class StaffRole(Base):
    """A member's role in an organisation's team."""

    __tablename__ = "staff_roles"
    __table_args__ = (UniqueConstraint("member_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True, unique=True)  # one team per person
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    granted_at: Mapped[datetime]
    display_name: Mapped[str] = mapped_column(String(64), default="")
    on_duty: Mapped[bool] = mapped_column(default=False)
    rota_days: Mapped[str] = mapped_column(String(16), default="")
    rota_hours: Mapped[str] = mapped_column(String(11), default="09:00-17:00")


class CheckInPlan(Base):
    """When a member wants to be asked, and when the next prompt is due (the scheduler's source of truth)."""

    __tablename__ = "checkin_plans"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    frequency: Mapped[str] = mapped_column(String(16))
    weekdays: Mapped[str] = mapped_column(String(16))
    time_of_day: Mapped[str] = mapped_column(String(5))
    timezone: Mapped[str] = mapped_column(String(64))
    instrument_id: Mapped[str | None] = mapped_column(String(32))
    instrument_every: Mapped[int] = mapped_column(default=7)
    checkins_since_instrument: Mapped[int] = mapped_column(default=0)
    checkins_total: Mapped[int] = mapped_column(default=0)
    prompts_unanswered: Mapped[int] = mapped_column(default=0)
    next_due_at: Mapped[datetime | None] = mapped_column(index=True)
    updated_at: Mapped[datetime]


class PromptDelivery(Base):
    """A check-in prompt owed to a member for one due time: written when claimed, marked sent when Telegram confirms."""

    __tablename__ = "prompt_deliveries"
    __table_args__ = (UniqueConstraint("member_id", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    due_at: Mapped[datetime]
    # pending, sending (request about to go), sent, uncertain (sender died mid-request: never resent), failed, cancelled
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class CheckIn(Base):
    """One check-in (kept only with STORE consent); the free text is encrypted."""

    __tablename__ = "checkins"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    local_day: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(16), default="in_progress")
    instrument_id: Mapped[str | None] = mapped_column(String(32))
    note_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary, info=ENCRYPTED)
    started_at: Mapped[datetime] = mapped_column(index=True)
    finished_at: Mapped[datetime | None]


class CheckInAnswer(Base):
    """One answer of a check-in, stored as it comes."""

    __tablename__ = "checkin_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkins.id"), index=True)
    item_id: Mapped[str] = mapped_column(String(48))
    instrument_id: Mapped[str | None] = mapped_column(String(32))
    value: Mapped[int]
    answered_at: Mapped[datetime]


class InstrumentScore(Base):
    """An instrument's score for a check-in."""

    __tablename__ = "instrument_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkins.id"), index=True)
    instrument_id: Mapped[str] = mapped_column(String(32))
    raw: Mapped[int | None]
    value: Mapped[float | None]
    band: Mapped[str | None] = mapped_column(String(32))
    measures: Mapped[str] = mapped_column(String(400), default="{}")
    scored_at: Mapped[datetime] = mapped_column(index=True)


class Alert(Base):
    """A request for a community worker, written in the same transaction as its cause; reasons are encrypted."""

    __tablename__ = "alerts"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    tier: Mapped[str] = mapped_column(String(16))
    share_level: Mapped[str] = mapped_column(String(24))
    reasons_encrypted: Mapped[bytes] = mapped_column(LargeBinary, info=ENCRYPTED)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    escalation: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(index=True)
    claimed_by_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", name="fk_alerts_claimed_by"), info=NULL_ON_ERASE | HIDDEN_FROM_EXPORT
    )
    claimed_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(32))
    note_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary, info=ENCRYPTED)
    dispatched_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    waiting_since: Mapped[datetime | None]  # when it last needed someone new (raised, sent back); None: created_at
    raised_again_at: Mapped[datetime | None]  # a later signal joined this case (created_at stays the first)
    answered_at: Mapped[datetime | None]  # the holder's last answer on it (claim, "I'm on it", a relayed line)
    nobody_told_at: Mapped[datetime | None]  # the member was told nobody can see it yet (it waits for someone)
    case_ref: Mapped[str | None] = mapped_column(String(8))  # private per-member case reference staff see


class OutboxMessage(Base):
    """A message to any chat, written in the same transaction as its cause and sent until Telegram confirms.

    `recipient_member_id` is who receives it (None for someone who never pressed /start: their row is deleted
    once sent); the payload (text and buttons) is encrypted. An `edit` row
    changes the message another row sent (`edits_id`), for example "claimed by Sam" on other volunteers' alerts.
    """

    __tablename__ = "outbox"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id"), index=True, info=HIDDEN_FROM_EXPORT
    )
    chat_id: Mapped[int] = mapped_column(BigInteger, info=HIDDEN_FROM_EXPORT)
    kind: Mapped[str] = mapped_column(String(24))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", name="fk_outbox_alert"), index=True)
    edits_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox.id", name="fk_outbox_edits", ondelete="CASCADE"), info=NULL_ON_ERASE
    )
    payload_encrypted: Mapped[bytes] = mapped_column(LargeBinary, info=ENCRYPTED)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(index=True)  # while leased: when the lease runs out
    leased: Mapped[bool] = mapped_column(default=False)  # held by a sender (not waiting out a back-off)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)


class RelaySession(Base):
    """A relayed conversation between the volunteer who claimed an alert and the member."""

    __tablename__ = "relay_sessions"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", name="fk_relay_alert"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", name="fk_relay_member"), index=True)
    volunteer_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", name="fk_relay_volunteer"), info=NULL_ON_ERASE | HIDDEN_FROM_EXPORT
    )
    status: Mapped[str] = mapped_column(String(16), default="asked")
    keep_transcript: Mapped[bool] = mapped_column(default=False)
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class RelayLine(Base):
    """One relayed message, kept (encrypted) only when the member chose "also my answers"."""

    __tablename__ = "relay_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("relay_sessions.id"), index=True)
    from_member: Mapped[bool]
    text_encrypted: Mapped[bytes] = mapped_column(LargeBinary, info=ENCRYPTED)
    sent_at: Mapped[datetime]


class AuditEvent(Base):
    """Append-only: who saw, claimed, resolved, exported or erased what. No health content, no Telegram ids.

    Member ids here are internal numbers without a foreign key, so the record outlives an erasure without
    pointing back to anyone.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_member_id: Mapped[int | None]
    organisation_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(32))
    object_type: Mapped[str] = mapped_column(String(16))
    object_id: Mapped[int | None]


from models.activity_count_tables import ActivitySuggestionTally, SessionAttendance  # noqa: E402, F401
from models.activity_tables import (  # noqa: E402, F401
    ActivityCancellation,
    ActivityCostRow,
    ActivityLocationRow,
    ActivityRow,
    ActivityScheduleRow,
)
from models.broadcast_tables import Broadcast, BroadcastDelivery, UnreachableMember  # noqa: E402, F401
from models.dashboard_tables import DashboardLoginToken, DashboardSession  # noqa: E402, F401
from models.inbox_tables import InboxUpdate  # noqa: E402, F401
from models.member_activity_tables import ActivityPreference, ActivityResponse  # noqa: E402, F401
