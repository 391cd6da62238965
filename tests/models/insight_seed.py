"""A hand-computed set of members, check-ins, scores and activity answers whose insight and report are known.

Organisation under test (all times UTC; weeks are ISO weeks in Europe/London):

- A: 12 members in EH6, joined 15 Aug, keep check-ins. Completed check-ins on 7 Sep (W37, mood 3, WHO-5 40 or
  44, ONS4 first) and 5 Oct (W41, mood 4, WHO-5 first + 0/4/8, ONS4 last). A0 also has a completed check-in on
  20 Aug (before everything: mood 1, WHO-5 0) and an abandoned one on 8 Sep (mood 1: not a completed check-in, but
  its mood answer counts in the mood averages, as every stored mood does).
  A0 and A1 have two SWEMWBS scores (8 and 10 Oct). A0..A10 said "I'm interested" to act-1 on 10 Oct, A0 also to
  act-2; A11 said it on 10 Aug (before the period).
- B: 10 members in EH7, joined 10 Sep, keep check-ins. Completed check-ins on 20 Sep (W38, mood 4, ONS4 first)
  and 6 Oct (W41, mood 2, ONS4 last). B0 also checked in at 23:30 UTC on Sunday 13 Sep, which is Monday 00:30 in
  London: week 38, not 37 (mood 5). B0..B3 said "I'll go" to act-1 on 11 Oct (4 members: hidden).
- C: 3 members in EH8, joined 1 Oct, keep check-ins. Three completed check-ins each on 13, 14, 15 Oct (W42,
  moods 1, 2, 3); WHO-5 20 on the 13th and 36 on the 15th; SWEMWBS 18.59 then 21.54.
- W: EH6, joined 1 Aug, kept check-ins then withdrew on 20 Oct: two check-ins with huge changes, never counted.
- N: no area, joined 5 Sep, declined to keep check-ins; said "I'm interested" to act-3 on 12 Oct (counted: activity
  answers do not depend on keeping check-ins).
- L: no area, joined 18 Nov (after the report's period).
- a coordinator of the organisation, who keeps check-ins and checks in (never counted).
- Suggestions shown (daily tallies, UK days): 50 on 31 Aug and 100 on 1 Nov (outside), 7 on 1 Sep, 5 on 15 Oct and
  3 on 31 Oct: 15 in September and October.
- Headcounts: act-1 on 12 Sep 8 and on 10 Oct 6, act-2 on 31 Oct 4: 18; act-1 on 31 Aug 20 and on 1 Nov 30 (outside).

The other organisation has 15 members with check-ins, scores, answers, a tally of 40 suggestions and a headcount of
25 that must never show.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from models.activity_count_tables import ActivitySuggestionTally, SessionAttendance
from models.member_activity_tables import ActivityPreference, ActivityResponse
from models.tables import CheckIn, CheckInAnswer, ConsentRecord, InstrumentScore, Member, StaffRole
from models.unit_of_work import UnitOfWork


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A moment in 2026, UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


class Seeder:
    """Writes rows straight into the tables, as the bot would have written them."""

    def __init__(self, uow: UnitOfWork, telegram_base: int) -> None:
        self.uow = uow
        self.next_telegram = telegram_base

    async def member(self, organisation_id: int, area: str | None, joined: datetime) -> int:
        self.next_telegram += 1
        row = Member(
            telegram_user_id=self.next_telegram,
            chat_id=self.next_telegram,
            organisation_id=organisation_id,
            created_at=joined,
        )
        self.uow.session.add(row)
        await self.uow.session.flush()
        self.uow.session.add(ActivityPreference(member_id=row.id, area=area, interests="", updated_at=joined))
        return row.id

    async def consent(self, member_id: int, action: str, when: datetime) -> None:
        self.uow.session.add(
            ConsentRecord(
                member_id=member_id,
                scope="store",
                action=action,
                share_level=None,
                text_version="v1",
                text_hash="a" * 64,
                method="test",
                recorded_at=when,
            )
        )
        await self.uow.session.flush()

    async def checkin(
        self,
        member_id: int,
        when: datetime,
        mood: int | None = None,
        scores: dict[str, float | dict[str, float]] | None = None,
        status: str = "completed",
    ) -> None:
        row = CheckIn(
            member_id=member_id, local_day=when.date().isoformat(), status=status, started_at=when, finished_at=when
        )
        self.uow.session.add(row)
        await self.uow.session.flush()
        if mood is not None:
            self.uow.session.add(CheckInAnswer(checkin_id=row.id, item_id="mood", value=mood, answered_at=when))
        for instrument_id, value in (scores or {}).items():
            if isinstance(value, dict):
                score = InstrumentScore(
                    checkin_id=row.id,
                    instrument_id=instrument_id,
                    raw=None,
                    value=None,
                    measures=json.dumps(value, sort_keys=True),
                    scored_at=when,
                )
            else:
                score = InstrumentScore(
                    checkin_id=row.id,
                    instrument_id=instrument_id,
                    raw=None,
                    value=value,
                    measures=json.dumps({instrument_id: value}),
                    scored_at=when,
                )
            self.uow.session.add(score)
        await self.uow.session.flush()

    async def answer(self, member_id: int, activity_id: str, response: str, when: datetime) -> None:
        self.uow.session.add(
            ActivityResponse(member_id=member_id, activity_id=activity_id, response=response, updated_at=when)
        )
        await self.uow.session.flush()

    async def tally(self, organisation_id: int, day: date, suggested: int) -> None:
        self.uow.session.add(ActivitySuggestionTally(organisation_id=organisation_id, day=day, suggested=suggested))
        await self.uow.session.flush()

    async def headcount(self, organisation_id: int, activity_id: str, day: date, count: int) -> None:
        self.uow.session.add(
            SessionAttendance(
                organisation_id=organisation_id,
                activity_id=activity_id,
                session_day=day,
                count=count,
                recorded_at=at(11, 20),
            )
        )
        await self.uow.session.flush()


def ons4(life: float, worthwhile: float, happiness: float, anxiety: float) -> dict[str, float]:
    return {"life_satisfaction": life, "worthwhile": worthwhile, "happiness": happiness, "anxiety": anxiety}


async def seed_known_answers(uow: UnitOfWork, organisation_id: int, other_id: int, telegram_base: int = 50_000) -> None:
    """Seed the organisation under test and the other one (see the module's docstring)."""
    s = Seeder(uow, telegram_base)
    group_a = [await s.member(organisation_id, "EH6", at(8, 15)) for _ in range(12)]
    group_b = [await s.member(organisation_id, "EH7", at(9, 10)) for _ in range(10)]
    group_c = [await s.member(organisation_id, "EH8", at(10, 1)) for _ in range(3)]
    for member_id in (*group_a, *group_b, *group_c):
        await s.consent(member_id, "given", at(8, 1))
    for index, member_id in enumerate(group_a):
        first = 40 + 4 * (index % 2)
        await s.checkin(member_id, at(9, 7), mood=3, scores={"who5": first, "ons4": ons4(5, 7, 4, 6)})
        await s.checkin(
            member_id, at(10, 5), mood=4, scores={"who5": first + 4 * (index % 3), "ons4": ons4(7, 7, 6, 4)}
        )
    await s.checkin(group_a[0], at(8, 20), mood=1, scores={"who5": 0})
    await s.checkin(group_a[0], at(9, 8), mood=1, status="abandoned")
    for member_id in group_a[:2]:
        await s.checkin(member_id, at(10, 8), scores={"swemwbs": 14.0}, status="abandoned")
        await s.checkin(member_id, at(10, 10), scores={"swemwbs": 35.0}, status="abandoned")
    for member_id in group_b:
        await s.checkin(member_id, at(9, 20), mood=4, scores={"ons4": ons4(6, 8, 5, 3)})
        await s.checkin(member_id, at(10, 6), mood=2, scores={"ons4": ons4(6, 8, 8, 3)})
    await s.checkin(group_b[0], at(9, 13, 23, 30), mood=5)
    for member_id in group_c:
        await s.checkin(member_id, at(10, 13), mood=1, scores={"who5": 20, "swemwbs": 18.59})
        await s.checkin(member_id, at(10, 14), mood=2)
        await s.checkin(member_id, at(10, 15), mood=3, scores={"who5": 36, "swemwbs": 21.54})

    withdrew = await s.member(organisation_id, "EH6", at(8, 1))
    await s.consent(withdrew, "given", at(8, 1))
    await s.checkin(withdrew, at(9, 7), mood=5, scores={"who5": 0, "ons4": ons4(0, 0, 0, 10), "swemwbs": 7.0})
    await s.checkin(withdrew, at(10, 5), mood=5, scores={"who5": 100, "ons4": ons4(10, 10, 10, 0), "swemwbs": 35.0})
    await s.consent(withdrew, "withdrawn", at(10, 20))

    declined = await s.member(organisation_id, None, at(9, 5))
    await s.consent(declined, "declined", at(9, 5))
    await s.member(organisation_id, None, at(11, 18))

    coordinator = await s.member(organisation_id, "EH6", at(8, 1))
    uow.session.add(
        StaffRole(member_id=coordinator, organisation_id=organisation_id, role="coordinator", granted_at=at(8, 1))
    )
    await s.consent(coordinator, "given", at(8, 1))
    await s.checkin(coordinator, at(10, 5), mood=5, scores={"who5": 100})
    await s.checkin(coordinator, at(10, 6), mood=5, scores={"who5": 0})
    await s.answer(coordinator, "act-1", "going", at(10, 11))

    for member_id in group_a[:11]:
        await s.answer(member_id, "act-1", "interested", at(10, 10))
    await s.answer(group_a[0], "act-2", "interested", at(10, 10))
    await s.answer(group_a[11], "act-1", "interested", at(8, 10))
    await s.answer(declined, "act-3", "interested", at(10, 12))
    for member_id in group_b[:4]:
        await s.answer(member_id, "act-1", "going", at(10, 11))

    for _ in range(15):
        other = await s.member(other_id, "EH6", at(8, 1))
        await s.consent(other, "given", at(8, 1))
        await s.checkin(other, at(9, 7), mood=1, scores={"who5": 0, "ons4": ons4(0, 0, 0, 10), "swemwbs": 7.0})
        await s.checkin(other, at(10, 5), mood=1, scores={"who5": 100, "ons4": ons4(10, 10, 10, 0), "swemwbs": 35.0})
        await s.answer(other, "other-act", "interested", at(10, 10))
        await s.answer(other, "other-act-2", "going", at(10, 10))

    for day, suggested in ((date(2026, 8, 31), 50), (date(2026, 9, 1), 7), (date(2026, 10, 15), 5)):
        await s.tally(organisation_id, day, suggested)
    for day, suggested in ((date(2026, 10, 31), 3), (date(2026, 11, 1), 100)):
        await s.tally(organisation_id, day, suggested)
    await s.tally(other_id, date(2026, 10, 1), 40)
    for activity_id, day, count in (
        ("act-1", date(2026, 8, 31), 20),
        ("act-1", date(2026, 9, 12), 8),
        ("act-1", date(2026, 10, 10), 6),
        ("act-2", date(2026, 10, 31), 4),
        ("act-1", date(2026, 11, 1), 30),
    ):
        await s.headcount(organisation_id, activity_id, day, count)
    await s.headcount(other_id, "other-act", date(2026, 10, 10), 25)
