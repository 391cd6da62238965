"""Aggregates for the coordinator's insight: counts, sums and averages per organisation, never a member's rows.

Every query is filtered by organisation and leaves staff out. Check-ins and scores count only for members whose
latest "keep my check-ins" (STORE) record says given today: a member who withdrew it is no longer counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, Float, Select, Subquery, and_, case, cast, func, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from flows.insight import Aggregate, Measure
from models.member_activity_tables import ActivityPreference
from models.tables import CheckIn, CheckInAnswer, ConsentRecord, InstrumentScore, Member, StaffRole

Area = str | None


def people(organisation_id: int) -> ColumnElement[bool]:
    """Members of an organisation who are not on its staff."""
    staff = select(StaffRole.member_id).where(StaffRole.organisation_id == organisation_id)
    return and_(Member.organisation_id == organisation_id, Member.id.not_in(staff))


def keeping_checkins(organisation_id: int, before: datetime | None = None) -> Select[tuple[int]]:
    """Ids of an organisation's members whose latest STORE record (before a time, if given) says given."""
    latest = select(ConsentRecord.member_id.label("member_id"), func.max(ConsentRecord.id).label("last_id")).where(
        ConsentRecord.scope == "store"
    )
    if before is not None:
        latest = latest.where(ConsentRecord.recorded_at < before)
    last = (
        latest.join(Member, Member.id == ConsentRecord.member_id)
        .where(Member.organisation_id == organisation_id)
        .group_by(ConsentRecord.member_id)
        .subquery()
    )
    record = aliased(ConsentRecord)
    return select(last.c.member_id).join(record, record.id == last.c.last_id).where(record.action == "given")


def completed_checkins(organisation_id: int, start: datetime, end: datetime) -> Select[tuple[int, int]]:
    """Members behind, and number of, completed check-ins in [start, end) by members who keep their check-ins."""
    return (
        select(func.count(func.distinct(CheckIn.member_id)), func.count(CheckIn.id))
        .join(Member, Member.id == CheckIn.member_id)
        .where(
            people(organisation_id),
            Member.id.in_(keeping_checkins(organisation_id)),
            CheckIn.status == "completed",
            CheckIn.started_at >= start,
            CheckIn.started_at < end,
        )
    )


def week_of(
    moment: ColumnElement[datetime] | InstrumentedAttribute[datetime], bounds: Sequence[datetime]
) -> ColumnElement[int]:
    """Which week (0, 1, ...) a moment falls in, given the weeks' UTC starts and the last week's end."""
    return case(*((moment < end, index) for index, end in enumerate(bounds[1:])), else_=-1)


def observations(
    session: AsyncSession, organisation_id: int, measure: Measure, start: datetime, end: datetime
) -> Subquery:
    """Each value of a measure in [start, end) of a member who keeps check-ins: id, member, area, at, value.

    This is a subquery for the aggregates below; its rows never leave the database.
    """
    if measure.instrument_id is None:
        at = CheckInAnswer.answered_at
        value: ColumnElement[float] = cast(CheckInAnswer.value, Float)
        source = select(
            CheckInAnswer.id.label("id"), CheckIn.member_id.label("member_id"), at.label("at"), value.label("value")
        )
        source = source.select_from(CheckInAnswer).join(CheckIn, CheckIn.id == CheckInAnswer.checkin_id)
        source = source.where(CheckInAnswer.item_id == "mood")
    else:
        at = InstrumentScore.scored_at
        value = measure_value(session, measure)
        source = select(
            InstrumentScore.id.label("id"), CheckIn.member_id.label("member_id"), at.label("at"), value.label("value")
        )
        source = source.select_from(InstrumentScore).join(CheckIn, CheckIn.id == InstrumentScore.checkin_id)
        source = source.where(InstrumentScore.instrument_id == measure.instrument_id)
    return (
        source.add_columns(func.nullif(ActivityPreference.area, "").label("area"))
        .join(Member, Member.id == CheckIn.member_id)
        .outerjoin(ActivityPreference, ActivityPreference.member_id == Member.id)
        .where(
            people(organisation_id),
            Member.id.in_(keeping_checkins(organisation_id)),
            at >= start,
            at < end,
            value.is_not(None),
        )
        .subquery()
    )


def measure_value(session: AsyncSession, measure: Measure) -> ColumnElement[float]:
    """An instrument's total, or one named measure read from the score's JSON (SQLite or PostgreSQL)."""
    if measure.measure is None:
        return cast(InstrumentScore.value, Float)
    if session.get_bind().dialect.name == "postgresql":
        return cast(cast(InstrumentScore.measures, JSONB)[measure.measure].astext, Float)
    return type_coerce(func.json_extract(InstrumentScore.measures, f"$.{measure.measure}"), Float)


@dataclass(frozen=True)
class AverageCounts:
    """A measure's aggregates by area and week, by area, by week and over everything."""

    cells: dict[tuple[Area, int], Aggregate]
    by_area: dict[Area, Aggregate]
    by_week: dict[int, Aggregate]
    overall: Aggregate


class InsightQueries:
    """The insight page's aggregates for one organisation."""

    def __init__(self, session: AsyncSession) -> None:
        """Work inside the given session."""
        self._session = session

    async def members_by_area(self, organisation_id: int, joined_before: datetime | None = None) -> dict[Area, int]:
        """Count the organisation's members (who joined before a time, if given) by the area they chose.

        None stands for no area set.
        """
        area = func.nullif(ActivityPreference.area, "")
        query = (
            select(area, func.count(Member.id))
            .select_from(Member)
            .outerjoin(ActivityPreference, ActivityPreference.member_id == Member.id)
            .where(people(organisation_id))
            .group_by(area)
        )
        if joined_before is not None:
            query = query.where(Member.created_at < joined_before)
        rows = await self._session.execute(query)
        counts: dict[Area, int] = {}
        for area, count in rows.all():
            counts[area or None] = counts.get(area or None, 0) + int(count)
        return counts

    async def checkins_by_week(
        self, organisation_id: int, bounds: Sequence[datetime]
    ) -> tuple[dict[int, Aggregate], int]:
        """Count completed check-ins and the members behind them per week, and the members over all weeks."""
        week = week_of(CheckIn.started_at, bounds)
        base = completed_checkins(organisation_id, bounds[0], bounds[-1])
        rows = await self._session.execute(base.add_columns(week.label("week")).group_by(week))
        per_week = {int(index): Aggregate(int(members), int(count)) for members, count, index in rows.all()}
        overall = (await self._session.execute(base)).one()
        return per_week, int(overall[0])

    async def averages(self, organisation_id: int, measure: Measure, bounds: Sequence[datetime]) -> AverageCounts:
        """Aggregate a measure by area and week, by area, by week and overall."""
        values = observations(self._session, organisation_id, measure, bounds[0], bounds[-1])
        week = week_of(values.c.at, bounds)
        sums = (func.count(func.distinct(values.c.member_id)), func.count(values.c.value), func.sum(values.c.value))
        cells = await self._session.execute(
            select(values.c.area, week.label("week"), *sums).group_by(values.c.area, week)
        )
        by_area = await self._session.execute(select(values.c.area, *sums).group_by(values.c.area))
        by_week = await self._session.execute(select(week.label("week"), *sums).group_by(week))
        overall = (await self._session.execute(select(*sums))).one()
        return AverageCounts(
            cells={(area or None, int(index)): _aggregate(rest) for area, index, *rest in cells.all()},
            by_area={area or None: _aggregate(rest) for area, *rest in by_area.all()},
            by_week={int(index): _aggregate(rest) for index, *rest in by_week.all()},
            overall=_aggregate(overall),
        )


def _aggregate(row: Sequence[object]) -> Aggregate:
    members, observed, total = (_number(value) for value in row)
    return Aggregate(int(members), int(observed), total)


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float | Decimal) else 0.0
