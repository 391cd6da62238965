"""Staff: invites, roles, duty and rota, and who should receive an alert now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from flows.safeguarding.model import Person, Rota, StaffRole
from models.tables import Member
from models.tables import StaffRole as StaffRoleTable


@dataclass(frozen=True)
class StaffRow:
    """A member's role in an organisation's team."""

    member_id: int
    organisation_id: int
    role: str
    display_name: str
    on_duty: bool
    rota_days: frozenset[int]
    rota_hours: str
    chat_id: int

    def person(self) -> Person:
        """This role as the safeguarding rules read it."""
        return Person(
            self.member_id,
            self.organisation_id,
            StaffRole(self.role),
            self.on_duty,
            Rota(self.rota_days, self.rota_hours),
        )

    def on_duty_at(self, moment: datetime) -> bool:
        """Say whether this person is on duty: switched on, or inside their weekly rota (overnight shifts too)."""
        return self.person().on_duty(moment)


_roles, _members = StaffRoleTable.__table__.c, Member.__table__.c
_ROLE_OF_MEMBER = (
    select(
        _roles.member_id,
        _roles.organisation_id,
        _roles.role,
        _roles.display_name,
        _roles.on_duty,
        _roles.rota_days,
        _roles.rota_hours,
        _members.chat_id,
    )
    .join(Member.__table__, _members.id == _roles.member_id)
    .where(_roles.member_id == bindparam("member_id"))
    .order_by(_roles.id)
    .limit(1)
)


def staff_row(
    member_id: int,
    organisation_id: int,
    role: str,
    display_name: str,
    on_duty: bool,
    rota_days: str,
    rota_hours: str,
    chat_id: int,
) -> StaffRow:
    """A staff role from its stored columns (rota days as stored: "0,2,4")."""
    days = frozenset(int(day) for day in rota_days.split(",") if day)
    return StaffRow(member_id, organisation_id, role, display_name, on_duty, days, rota_hours, chat_id)


class StaffTeam:
    """Staff roles, duty and rota."""

    def __init__(self, session: AsyncSession) -> None:
        """Work inside the given session."""
        self._session = session

    async def of_member(self, member_id: int) -> StaffRow | None:
        """Return a member's staff role, if any (asked on every update: one statement built once)."""
        row = (await self._session.execute(_ROLE_OF_MEMBER, {"member_id": member_id})).first()
        return staff_row(*row) if row else None

    async def of_organisation(self, organisation_id: int) -> list[StaffRow]:
        """Return an organisation's team."""
        return await self._rows(StaffRoleTable.organisation_id == organisation_id)

    async def set_duty(self, member_id: int, on: bool) -> None:
        """Switch duty on or off."""
        await self._session.execute(
            update(StaffRoleTable).where(StaffRoleTable.member_id == member_id).values(on_duty=on)
        )

    async def set_rota(self, member_id: int, days: frozenset[int], hours: str) -> None:
        """Set the weekly rota."""
        values = {"rota_days": ",".join(str(day) for day in sorted(days)), "rota_hours": hours}
        await self._session.execute(
            update(StaffRoleTable).where(StaffRoleTable.member_id == member_id).values(**values)
        )

    async def set_display_name(self, member_id: int, name: str) -> None:
        """Set the first name other staff and relayed members see."""
        await self._session.execute(
            update(StaffRoleTable).where(StaffRoleTable.member_id == member_id).values(display_name=name[:64])
        )

    async def remove(self, member_id: int, organisation_id: int) -> bool:
        """Remove someone from an organisation's team; access ends at once."""
        result = await self._session.execute(
            delete(StaffRoleTable).where(
                StaffRoleTable.member_id == member_id, StaffRoleTable.organisation_id == organisation_id
            )
        )
        return bool(getattr(result, "rowcount", 0))

    async def _rows(self, condition: object) -> list[StaffRow]:
        rows = await self._session.execute(
            select(StaffRoleTable, Member.chat_id)
            .join(Member, Member.id == StaffRoleTable.member_id)
            .where(condition)  # type: ignore[arg-type]
            .order_by(StaffRoleTable.id)
        )
        return [
            staff_row(
                role.member_id,
                role.organisation_id,
                role.role,
                role.display_name,
                role.on_duty,
                role.rota_days,
                role.rota_hours,
                chat_id,
            )
            for role, chat_id in rows.all()
        ]
