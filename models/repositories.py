"""Repositories: read and write one kind of row, return plain values, never commit."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Insert, bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from models.checkins import PlanRow, plan_from_row
from models.crypto import DataCipher
from models.database import dialect_of
from models.staff import StaffRow, staff_row
from models.tables import (
    CheckInPlan,
    ConsentRecord,
    Conversation,
    Member,
    Organisation,
    ProcessedUpdate,
    StaffInvite,
    StaffRole,
    UnreachableMember,
)

# The statements every update runs, built once with bound parameters: building an ORM statement for each call
# cost about as much again as running it (`python -m bench e2e`, profiled).
_members, _organisations, _unreachable = Member.__table__.c, Organisation.__table__.c, UnreachableMember.__table__.c
_conversations, _plans, _roles = Conversation.__table__.c, CheckInPlan.__table__.c, StaffRole.__table__.c
_other_roles = StaffRole.__table__.alias("other_roles")
_FIRST_ROLE = (
    select(func.min(_other_roles.c.id))
    .where(_other_roles.c.member_id == _members.id)
    .correlate(Member.__table__)
    .scalar_subquery()
)
_CONTEXT_BY_TELEGRAM_USER = (
    select(
        _members.id,
        _members.telegram_user_id,
        _members.chat_id,
        _members.organisation_id,
        _members.status,
        _members.language,
        _organisations.slug,
        _organisations.name,
        _unreachable.member_id.is_not(None).label("unreachable"),
        _conversations.flow.label("conversation_flow"),
        _conversations.step.label("conversation_step"),
        _conversations.data_encrypted.label("conversation_data"),
        *(column.label(f"plan_{column.name}") for column in _plans if column.name != "member_id"),
        _roles.organisation_id.label("role_organisation_id"),
        _roles.role.label("role_role"),
        _roles.display_name.label("role_display_name"),
        _roles.on_duty.label("role_on_duty"),
        _roles.rota_days.label("role_rota_days"),
        _roles.rota_hours.label("role_rota_hours"),
    )
    .select_from(Member.__table__)
    .outerjoin(Organisation.__table__, _organisations.id == _members.organisation_id)
    .outerjoin(UnreachableMember.__table__, _unreachable.member_id == _members.id)
    .outerjoin(Conversation.__table__, _conversations.member_id == _members.id)
    .outerjoin(CheckInPlan.__table__, _plans.member_id == _members.id)
    .outerjoin(StaffRole.__table__, _roles.id == _FIRST_ROLE)
    .where(_members.telegram_user_id == bindparam("telegram_user_id"))
)
_consents = ConsentRecord.__table__.c
_PLAN_LABELS = tuple(f"plan_{column.name}" for column in _plans if column.name != "member_id")
_CONSENT_HISTORY = (
    select(_consents.scope, _consents.action, _consents.share_level, _consents.recorded_at)
    .where(_consents.member_id == bindparam("member_id"))
    .order_by(_consents.id)
)
_CONVERSATION = select(_conversations.flow, _conversations.step, _conversations.data_encrypted).where(
    _conversations.member_id == bindparam("member_id")
)


def _conversation_upsert(insert: Any) -> Insert:
    statement = insert(Conversation.__table__).values(
        member_id=bindparam("p_member_id"),
        flow=bindparam("p_flow"),
        step=bindparam("p_step"),
        data_encrypted=bindparam("p_data_encrypted"),
        updated_at=bindparam("p_updated_at"),
    )
    columns = ("flow", "step", "data_encrypted", "updated_at")
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=["member_id"], set_={column: statement.excluded[column] for column in columns}
    )


_SAVE_CONVERSATION = {"postgresql": _conversation_upsert(pg_insert), "sqlite": _conversation_upsert(sqlite_insert)}
_CLAIM_UPDATE: dict[str, Insert] = {
    dialect: insert(ProcessedUpdate.__table__)
    .values(update_id=bindparam("p_update_id"), processed_at=bindparam("p_processed_at"))
    .on_conflict_do_nothing(index_elements=["update_id"])
    for dialect, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}


@dataclass(frozen=True)
class OrganisationRow:
    """An organisation as plain values."""

    id: int
    slug: str
    name: str


@dataclass(frozen=True)
class MemberRow:
    """A member as plain values."""

    id: int
    telegram_user_id: int
    chat_id: int
    organisation_id: int
    status: str
    language: str


@dataclass(frozen=True)
class MemberContext:
    """A member with what every update needs about them, read in one query."""

    member: MemberRow
    organisation: OrganisationRow | None
    unreachable: bool  # Telegram refused to deliver to them; writing to the bot clears it
    conversation: ConversationRow | None = None  # where they are in a conversation, as stored
    plan: PlanRow | None = None  # their check-in plan
    staff: StaffRow | None = None  # their staff role (the first, if they have several)


@dataclass(frozen=True)
class ConsentRow:
    """A consent record as plain values."""

    scope: str
    action: str
    share_level: str | None
    recorded_at: datetime


@dataclass(frozen=True)
class ConversationRow:
    """A conversation position with its data decrypted."""

    flow: str
    step: str
    data: dict[str, Any]


@dataclass(frozen=True)
class InviteRow:
    """A staff invite as plain values."""

    id: int
    organisation_id: int
    role: str
    expires_at: datetime
    redeemed: bool


def hash_invite_token(token: str) -> str:
    """Hash an invite token: only the hash is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def _organisation(row: Organisation) -> OrganisationRow:
    return OrganisationRow(row.id, row.slug, row.name)


class OrganisationRepository:
    """Organisations."""

    def __init__(self, session: AsyncSession) -> None:
        """Work inside the given session."""
        self._session = session

    async def add(self, slug: str, name: str, now: datetime) -> OrganisationRow:
        """Create an organisation."""
        row = Organisation(slug=slug, name=name, created_at=now)
        self._session.add(row)
        await self._session.flush()
        return _organisation(row)

    async def by_slug(self, slug: str) -> OrganisationRow | None:
        """Find an organisation by its link name."""
        row = await self._session.scalar(select(Organisation).where(Organisation.slug == slug))
        return _organisation(row) if row else None

    async def by_id(self, organisation_id: int) -> OrganisationRow | None:
        """Find an organisation by id."""
        row = await self._session.get(Organisation, organisation_id)
        return _organisation(row) if row else None

    async def all(self) -> list[OrganisationRow]:
        """List every organisation."""
        rows = await self._session.scalars(select(Organisation).order_by(Organisation.id))
        return [_organisation(row) for row in rows]


def _member(row: Member) -> MemberRow:
    return MemberRow(row.id, row.telegram_user_id, row.chat_id, row.organisation_id, row.status, row.language)


class MemberRepository:
    """Members."""

    def __init__(self, session: AsyncSession, cipher: DataCipher | None = None) -> None:
        """Work inside the given session; the cipher opens the stored conversation read with a member's context."""
        self._session = session
        self._cipher = cipher

    async def by_telegram_user(self, telegram_user_id: int) -> MemberRow | None:
        """Find a member by their Telegram user id."""
        row = await self._session.scalar(select(Member).where(Member.telegram_user_id == telegram_user_id))
        return _member(row) if row else None

    async def context_by_telegram_user(self, telegram_user_id: int) -> MemberContext | None:
        """Find a member by their Telegram user id, with their organisation and whether they are unreachable."""
        row = (await self._session.execute(_CONTEXT_BY_TELEGRAM_USER, {"telegram_user_id": telegram_user_id})).first()
        if row is None:
            return None
        member = MemberRow(*row[:6])
        organisation = OrganisationRow(member.organisation_id, row.slug, row.name) if row.slug is not None else None
        conversation = None
        if row.conversation_flow is not None:
            data = self._cipher.decrypt_json(row.conversation_data) if self._cipher else {}
            conversation = ConversationRow(row.conversation_flow, row.conversation_step, data)
        plan = None
        if row.plan_frequency is not None:
            columns = SimpleNamespace(**{name.removeprefix("plan_"): row._mapping[name] for name in _PLAN_LABELS})
            plan = PlanRow(plan_from_row(columns), columns.checkins_since_instrument, columns.next_due_at)
        staff = None
        if row.role_role is not None:
            staff = staff_row(
                member.id,
                row.role_organisation_id,
                row.role_role,
                row.role_display_name,
                row.role_on_duty,
                row.role_rota_days,
                row.role_rota_hours,
                member.chat_id,
            )
        return MemberContext(member, organisation, bool(row.unreachable), conversation, plan, staff)

    async def add(self, telegram_user_id: int, chat_id: int, organisation_id: int, now: datetime) -> MemberRow:
        """Register a member."""
        row = Member(
            telegram_user_id=telegram_user_id,
            chat_id=chat_id,
            organisation_id=organisation_id,
            created_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return _member(row)

    async def by_id(self, member_id: int) -> MemberRow | None:
        """Find a member by internal id."""
        row = await self._session.get(Member, member_id)
        return _member(row) if row else None

    async def set_organisation(self, member_id: int, organisation_id: int) -> None:
        """Move a member to another organisation."""
        await self._session.execute(
            update(Member).where(Member.id == member_id).values(organisation_id=organisation_id)
        )

    async def set_status(self, member_id: int, status: str) -> None:
        """Set whether Cairn may start messages to the member."""
        await self._session.execute(update(Member).where(Member.id == member_id).values(status=status))

    async def count(self) -> int:
        """Count members."""
        return int(await self._session.scalar(select(func.count()).select_from(Member)) or 0)


class ConsentRepository:
    """Append-only consent records."""

    def __init__(self, session: AsyncSession) -> None:
        """Work inside the given session."""
        self._session = session

    async def append(self, member_id: int, record: Mapping[str, Any], update_id: int | None, now: datetime) -> None:
        """Append one record; records are never changed."""
        self._session.add(ConsentRecord(member_id=member_id, update_id=update_id, recorded_at=now, **record))
        await self._session.flush()

    async def history(self, member_id: int) -> list[ConsentRow]:
        """Return a member's records, oldest first."""
        rows = await self._session.execute(_CONSENT_HISTORY, {"member_id": member_id})
        return [ConsentRow(*row) for row in rows]


class ConversationRepository:
    """Members' positions in conversations, with their data encrypted."""

    def __init__(self, session: AsyncSession, cipher: DataCipher) -> None:
        """Work inside the given session."""
        self._session = session
        self._cipher = cipher

    async def get(self, member_id: int) -> ConversationRow | None:
        """Return where a member is, or None."""
        row = (await self._session.execute(_CONVERSATION, {"member_id": member_id})).first()
        if row is None:
            return None
        return ConversationRow(row.flow, row.step, self._cipher.decrypt_json(row.data_encrypted))

    async def save(self, member_id: int, flow: str, step: str, data: Mapping[str, Any], now: datetime) -> None:
        """Remember a member's position (one statement: insert, or overwrite the one there)."""
        position = {"flow": flow, "step": step, "data_encrypted": self._cipher.encrypt_json(data), "updated_at": now}
        values = {"p_member_id": member_id, **{f"p_{name}": value for name, value in position.items()}}
        await self._session.execute(_SAVE_CONVERSATION[dialect_of(self._session)], values)

    async def end(self, member_id: int) -> None:
        """Forget a member's position."""
        await self._session.execute(delete(Conversation).where(Conversation.member_id == member_id))

    async def end_flow(self, member_id: int, flow: str) -> None:
        """Forget a member's position only if it is in this flow (a closed chat leaves a check-in alone)."""
        await self._session.execute(
            delete(Conversation).where(Conversation.member_id == member_id, Conversation.flow == flow)
        )


class UpdateLog:
    """Updates already handled, so a redelivered update has no second effect."""

    def __init__(self, session: AsyncSession) -> None:
        """Work inside the given session."""
        self._session = session

    async def claim(self, update_id: int, now: datetime) -> bool:
        """Record an update as handled; False if it was handled before."""
        dialect = dialect_of(self._session)
        statement = _CLAIM_UPDATE["postgresql" if dialect == "postgresql" else "sqlite"]
        result = await self._session.execute(statement, {"p_update_id": update_id, "p_processed_at": now})
        return bool(getattr(result, "rowcount", 0))


class StaffRepository:
    """Staff invites and roles."""

    def __init__(self, session: AsyncSession) -> None:
        """Work inside the given session."""
        self._session = session

    async def add_invite(
        self, organisation_id: int, role: str, token: str, now: datetime, expires_at: datetime
    ) -> None:
        """Store an invite by the hash of its token."""
        self._session.add(
            StaffInvite(
                organisation_id=organisation_id,
                role=role,
                token_hash=hash_invite_token(token),
                created_at=now,
                expires_at=expires_at,
            )
        )
        await self._session.flush()

    async def invite_by_token(self, token: str) -> InviteRow | None:
        """Find an invite from the token in a link."""
        row = await self._session.scalar(select(StaffInvite).where(StaffInvite.token_hash == hash_invite_token(token)))
        if row is None:
            return None
        return InviteRow(row.id, row.organisation_id, row.role, row.expires_at, row.redeemed_at is not None)

    async def redeem(self, invite_id: int, member_id: int, organisation_id: int, role: str, now: datetime) -> bool:
        """Use an invite once and grant its role; False if it was already used, or the person is in another
        organisation's team (one team per person; the unique index on staff_roles.member_id backs this up)."""
        elsewhere = await self._session.scalar(
            select(StaffRole.id).where(StaffRole.member_id == member_id, StaffRole.organisation_id != organisation_id)
        )
        if elsewhere is not None:
            return False
        result = await self._session.execute(
            update(StaffInvite)
            .where(StaffInvite.id == invite_id, StaffInvite.redeemed_at.is_(None))
            .values(redeemed_at=now, redeemed_by_member_id=member_id)
        )
        if not getattr(result, "rowcount", 0):
            return False
        existing = await self._session.scalar(
            select(StaffRole).where(StaffRole.member_id == member_id, StaffRole.organisation_id == organisation_id)
        )
        if existing:
            existing.role = role
        else:
            self._session.add(
                StaffRole(member_id=member_id, organisation_id=organisation_id, role=role, granted_at=now)
            )
        await self._session.flush()
        return True
