"""Check-ins, answers, scores and plans: repositories returning plain values."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from flows.schedule import CheckInPlan as PlanValue
from flows.schedule import Frequency
from models.crypto import DataCipher
from models.tables import CheckIn, CheckInAnswer, CheckInPlan, InstrumentScore


@dataclass(frozen=True)
class PlanRow:
    """A member's plan, its counter and next due time."""

    plan: PlanValue
    checkins_since_instrument: int
    next_due_at: datetime | None


@dataclass(frozen=True)
class ScorePoint:
    """One instrument score at a time: a total, or per-measure values (ONS4)."""

    instrument_id: str
    value: float | None
    at: datetime
    measures: Mapping[str, float]


@dataclass(frozen=True)
class MoodPoint:
    """One mood answer at a time."""

    value: int
    at: datetime


def plan_from_row(row: Any) -> PlanValue:
    """Turn a stored plan (a CheckInPlan, or a row with its columns) into the flows' value."""
    hour, minute = (int(part) for part in row.time_of_day.split(":"))
    return PlanValue(
        frequency=Frequency(row.frequency),
        weekdays=frozenset(int(day) for day in row.weekdays.split(",") if day),
        time_of_day=time(hour, minute),
        timezone=row.timezone,
        instrument_id=row.instrument_id,
        instrument_every=row.instrument_every,
    )


_plans = CheckInPlan.__table__.c
_PLAN = select(
    _plans.frequency,
    _plans.weekdays,
    _plans.time_of_day,
    _plans.timezone,
    _plans.instrument_id,
    _plans.instrument_every,
    _plans.checkins_since_instrument,
    _plans.next_due_at,
).where(_plans.member_id == bindparam("member_id"))
_answers, _checkins, _scores = CheckInAnswer.__table__.c, CheckIn.__table__.c, InstrumentScore.__table__.c
_RECENT_MOODS = (
    select(_answers.value, _answers.answered_at)
    .join(CheckIn.__table__, _checkins.id == _answers.checkin_id)
    .where(_checkins.member_id == bindparam("member_id"), _answers.item_id == "mood")
    .order_by(_answers.answered_at.desc(), _answers.id.desc())
    .limit(bindparam("limit"))
)
_ALL_SCORES = (
    select(_scores.instrument_id, _scores.value, _scores.scored_at, _scores.measures)
    .join(CheckIn.__table__, _checkins.id == _scores.checkin_id)
    .where(_checkins.member_id == bindparam("member_id"))
    .order_by(_scores.scored_at, _scores.id)
)


_OPEN_CHECKIN = (
    select(_checkins.id)
    .where(_checkins.member_id == bindparam("member_id"), _checkins.status == "in_progress")
    .order_by(_checkins.id.desc())
    .limit(1)
)
_ABANDON_OPEN = (
    update(CheckIn.__table__)
    .where(_checkins.member_id == bindparam("p_member_id"), _checkins.status == "in_progress")
    .values(status="abandoned", finished_at=bindparam("p_now"))
)
_NEW_CHECKIN = (
    insert(CheckIn.__table__)
    .values(
        member_id=bindparam("p_member_id"),
        local_day=bindparam("p_local_day"),
        status="in_progress",
        instrument_id=bindparam("p_instrument_id"),
        started_at=bindparam("p_now"),
    )
    .returning(_checkins.id)
)
_NEW_ANSWER = insert(CheckInAnswer.__table__).values(
    checkin_id=bindparam("p_checkin_id"),
    item_id=bindparam("p_item_id"),
    instrument_id=bindparam("p_instrument_id"),
    value=bindparam("p_value"),
    answered_at=bindparam("p_now"),
)
_SET_NOTE = (
    update(CheckIn.__table__)
    .where(_checkins.id == bindparam("p_checkin_id"))
    .values(note_encrypted=bindparam("p_note"))
)
_FINISH = (
    update(CheckIn.__table__)
    .where(_checkins.id == bindparam("p_checkin_id"))
    .values(status=bindparam("p_status"), finished_at=bindparam("p_now"))
)


class PlanRepository:
    """Check-in plans."""

    def __init__(self, session: AsyncSession) -> None:
        """Work inside the given session."""
        self._session = session

    async def get(self, member_id: int) -> PlanRow | None:
        """Return a member's plan, or None."""
        row = (await self._session.execute(_PLAN, {"member_id": member_id})).first()
        if row is None:
            return None
        return PlanRow(plan_from_row(row), row.checkins_since_instrument, row.next_due_at)

    async def save(self, member_id: int, plan: PlanValue, next_due_at: datetime | None, now: datetime) -> None:
        """Create or replace a member's plan."""
        values = {
            "frequency": plan.frequency.value,
            "weekdays": ",".join(str(day) for day in sorted(plan.weekdays)),
            "time_of_day": plan.time_of_day.strftime("%H:%M"),
            "timezone": plan.timezone,
            "instrument_id": plan.instrument_id,
            "instrument_every": plan.instrument_every,
            "next_due_at": next_due_at,
            "updated_at": now,
        }
        row = await self._session.get(CheckInPlan, member_id)
        if row is None:
            self._session.add(CheckInPlan(member_id=member_id, checkins_since_instrument=0, **values))
        else:
            for name, value in values.items():
                setattr(row, name, value)
        await self._session.flush()

    async def set_next_due(self, member_id: int, next_due_at: datetime | None) -> None:
        """Move the next prompt."""
        await self._session.execute(
            update(CheckInPlan).where(CheckInPlan.member_id == member_id).values(next_due_at=next_due_at)
        )

    async def count_checkin(self, member_id: int, instrument_done: bool) -> None:
        """Count a finished check-in toward the plan's next instrument (reset when one was done)."""
        row = await self._session.get(CheckInPlan, member_id)
        if row is not None:
            row.checkins_since_instrument = 0 if instrument_done else row.checkins_since_instrument + 1
            row.checkins_total += 1
            row.prompts_unanswered = 0
            await self._session.flush()

    async def count_prompt(self, member_id: int) -> tuple[int, int]:
        """Count a prompt sent; return (check-ins ever finished, prompts unanswered in a row)."""
        row = await self._session.get(CheckInPlan, member_id)
        if row is None:
            return 0, 0
        row.prompts_unanswered += 1
        await self._session.flush()
        return row.checkins_total, row.prompts_unanswered


class CheckInRepository:
    """Stored check-ins (only for members who gave STORE consent)."""

    def __init__(self, session: AsyncSession, cipher: DataCipher) -> None:
        """Work inside the given session."""
        self._session = session
        self._cipher = cipher

    async def open_id(self, member_id: int) -> int | None:
        """Return the id of the member's check-in in progress, if any."""
        return await self._session.scalar(_OPEN_CHECKIN, {"member_id": member_id})

    async def start(self, member_id: int, local_day: str, instrument_id: str | None, now: datetime) -> None:
        """Open a check-in, closing any earlier one left in progress as abandoned."""
        await self._session.execute(_ABANDON_OPEN, {"p_member_id": member_id, "p_now": now})
        await self._new(member_id, local_day, instrument_id, now)

    async def answer(self, member_id: int, item_id: str, value: int, instrument_id: str | None, now: datetime) -> None:
        """Store one answer on the open check-in."""
        checkin_id = await self._require_open(member_id, now)
        values = {"p_item_id": item_id, "p_instrument_id": instrument_id, "p_value": value, "p_now": now}
        await self._session.execute(_NEW_ANSWER, {"p_checkin_id": checkin_id, **values})

    async def note(self, member_id: int, text: str, now: datetime) -> None:
        """Store the free text of the open check-in, encrypted."""
        checkin_id = await self._require_open(member_id, now)
        await self._session.execute(_SET_NOTE, {"p_checkin_id": checkin_id, "p_note": self._cipher.encrypt(text)})

    async def score(
        self,
        member_id: int,
        instrument_id: str,
        raw: int | None,
        value: float | None,
        band: str | None,
        measures: Mapping[str, float],
        now: datetime,
    ) -> None:
        """Store an instrument's score on the open check-in."""
        checkin_id = await self._require_open(member_id, now)
        self._session.add(
            InstrumentScore(
                checkin_id=checkin_id,
                instrument_id=instrument_id,
                raw=raw,
                value=value,
                band=band,
                measures=json.dumps(dict(measures), sort_keys=True),
                scored_at=now,
            )
        )
        await self._session.flush()

    async def finish(self, member_id: int, status: str, now: datetime) -> bool:
        """Close the open check-in; return whether one was open."""
        checkin_id = await self.open_id(member_id)
        if checkin_id is None:
            return False
        await self._session.execute(_FINISH, {"p_checkin_id": checkin_id, "p_status": status, "p_now": now})
        return True

    async def recent_moods(self, member_id: int, limit: int = 10) -> list[MoodPoint]:
        """Return the member's latest mood answers, oldest first."""
        rows = await self._session.execute(_RECENT_MOODS, {"member_id": member_id, "limit": limit})
        return [MoodPoint(value, at) for value, at in reversed(rows.all())]

    async def moods_since(self, member_id: int, since: datetime) -> list[MoodPoint]:
        """Return mood answers since a time, oldest first."""
        rows = await self._session.execute(
            select(CheckInAnswer.value, CheckInAnswer.answered_at)
            .join(CheckIn, CheckIn.id == CheckInAnswer.checkin_id)
            .where(CheckIn.member_id == member_id, CheckInAnswer.item_id == "mood", CheckInAnswer.answered_at >= since)
            .order_by(CheckInAnswer.answered_at, CheckInAnswer.id)
        )
        return [MoodPoint(value, at) for value, at in rows.all()]

    async def scores_since(self, member_id: int, since: datetime | None = None) -> list[ScorePoint]:
        """Return instrument scores since a time, oldest first."""
        query = _ALL_SCORES if since is None else _ALL_SCORES.where(_scores.scored_at >= since)
        rows = await self._session.execute(query, {"member_id": member_id})
        return [
            ScorePoint(instrument_id, None if value is None else float(value), at, json.loads(measures or "{}"))
            for instrument_id, value, at, measures in rows.all()
        ]

    async def _require_open(self, member_id: int, now: datetime) -> int:
        checkin_id = await self.open_id(member_id)
        if checkin_id is None:  # a prompt's mood button after a restart, or a check-in begun before STORE
            checkin_id = await self._new(member_id, now.date().isoformat(), None, now)
        return checkin_id

    async def _new(self, member_id: int, local_day: str, instrument_id: str | None, now: datetime) -> int:
        values = {"p_member_id": member_id, "p_local_day": local_day, "p_instrument_id": instrument_id, "p_now": now}
        return int((await self._session.execute(_NEW_CHECKIN, values)).scalar_one())
