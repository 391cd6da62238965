"""The alert model's promises, checked on the real storage and the real desk and alert job, on SQLite and
PostgreSQL, over random sequences of events: signals, claims, chats, duty and rota changes (overnight included),
removals, staff and member erasure, taking back, resolving, the clock moving and restarts (a new job).

After every step: every waiting alert has someone who may claim it now, or the member was told plainly that
nobody can yet; every claimed alert is held by someone still in its team; nobody holds an alert about themselves;
someone who left keeps no role, no chat and no queued alert or relayed message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from bot.jobs.alerts import AlertJob
from bot.safeguarding.desk import AlertDesk, remove_from_team
from flows.crisis import load_crisis_resources
from flows.safeguarding.model import AlertStatus, may_claim
from flows.texts import load_catalogue
from models import member_data
from models.base import Base
from models.tables import Alert, OutboxMessage, RelaySession, StaffRole
from tests.conftest import Database

CATALOGUE = load_catalogue()
CRISIS = load_crisis_resources("GB-SCT")
START = datetime(2026, 12, 7, 21, tzinfo=UTC)  # a Monday evening: overnight rotas matter
STAFF = (0, 1, 2)
MEMBERS = (0, 1)


@dataclass
class Run:
    database: Database
    now: datetime = START
    organisation_id: int = 0
    staff: dict[int, int] = field(default_factory=dict)  # index -> member id
    members: dict[int, int] = field(default_factory=dict)
    gone: set[int] = field(default_factory=set)  # member ids of staff who left or were erased
    erased: set[int] = field(default_factory=set)
    job: AlertJob | None = None
    desk: AlertDesk = field(default_factory=lambda: AlertDesk(CATALOGUE))
    invites: int = 0

    def clock(self) -> datetime:
        return self.now

    async def setup(self) -> None:
        async with self.database.units() as uow:
            for table in reversed(Base.metadata.sorted_tables):
                await uow.session.execute(delete(table))
            organisation = await uow.organisations.add("hillside", "Hillside", self.now)
            self.organisation_id = organisation.id
            for index in STAFF:
                self.staff[index] = (await uow.members.add(100 + index, 100 + index, organisation.id, self.now)).id
            for index in MEMBERS:
                self.members[index] = (await uow.members.add(200 + index, 200 + index, organisation.id, self.now)).id
            await uow.commit()
        self.job = AlertJob(self.database.units, CATALOGUE, CRISIS, self.clock)

    async def join(self, index: int, coordinator: bool, rota: str | None) -> None:
        person = self.staff[index]
        if person in self.erased:
            return
        async with self.database.units() as uow:
            if await uow.team.of_member(person) is not None:
                return
            self.invites += 1
            token = f"invite-{self.invites}"
            role = "coordinator" if coordinator else "volunteer"
            await uow.staff.add_invite(self.organisation_id, role, token, self.now, self.now + timedelta(days=1))
            invite = await uow.staff.invite_by_token(token)
            assert invite is not None
            assert await uow.staff.redeem(invite.id, person, self.organisation_id, role, self.now)
            if rota:
                await uow.team.set_rota(person, frozenset(range(7)), rota)
            await uow.commit()
        self.gone.discard(person)

    async def duty(self, index: int, on: bool) -> None:
        async with self.database.units() as uow:
            await uow.team.set_duty(self.staff[index], on)
            await uow.commit()

    async def signal(self, index: int, urgent: bool, about_staff: bool) -> None:
        member = self.staff[index % len(STAFF)] if about_staff else self.members[index]
        if member in self.erased:
            return
        async with self.database.units() as uow:
            tier = "URGENT" if urgent else "CONCERN"
            await uow.alerts.raise_signal(member, self.organisation_id, tier, "flag_only", ["r"], self.now)
            await uow.commit()

    async def claim(self, index: int, pick: int) -> None:
        async with self.database.units() as uow:
            holder = await uow.team.of_member(self.staff[index])
            waiting = (await uow.session.scalars(select(Alert.id).where(Alert.status.in_(("open", "escalated"))))).all()
            if holder is None or not waiting:
                return
            await self.desk.claim(uow, sorted(waiting)[pick % len(waiting)], holder, self.now)
            await uow.commit()

    async def chat(self, index: int) -> None:
        async with self.database.units() as uow:
            for alert in await uow.alerts.claims_of(self.staff[index]):
                session_id = await uow.relay.open(alert.id, alert.member_id, self.staff[index], False, self.now)
                await uow.relay.set_status(session_id, "open", self.now)
            await uow.commit()

    async def leave(self, index: int, erase: bool) -> None:
        person = self.staff[index]
        async with self.database.units() as uow:
            if erase:
                role = await uow.team.of_member(person)
                if role is not None:
                    await self.desk.release_person(uow, role, self.now)
                await member_data.erase(uow.session, person)
                self.erased.add(person)
            else:
                await remove_from_team(uow, self.desk, person, self.organisation_id, self.now)
            await uow.commit()
        self.gone.add(person)

    async def member_forgets(self, index: int) -> None:
        async with self.database.units() as uow:
            await member_data.erase(uow.session, self.members[index])
            await uow.commit()
        self.erased.add(self.members[index])

    async def take_back(self, index: int) -> None:
        async with self.database.units() as uow:
            case = await uow.alerts.open_case_of(self.members[index])
            if case is not None:
                await self.desk.withdraw(uow, case.id, self.members[index], self.now)
            await uow.commit()

    async def resolve(self, index: int) -> None:
        async with self.database.units() as uow:
            holder = await uow.team.of_member(self.staff[index])
            for alert in await uow.alerts.claims_of(self.staff[index]):
                if holder is not None:
                    await self.desk.resolve(uow, alert.id, holder, "ok", "", self.now)
            await uow.commit()

    async def tick(self) -> None:
        assert self.job is not None
        await self.job.tick()

    async def check(self) -> None:
        async with self.database.units() as uow:
            team = [row.person() for row in await uow.team.of_organisation(self.organisation_id)]
            in_team = {person.member_id for person in team}
            for alert in (await uow.session.scalars(select(Alert).where(Alert.status != "resolved"))).all():
                row = await uow.alerts.get(alert.id)
                assert row is not None
                model = row.model()
                assert model.claimed_by != model.member_id, "nobody holds an alert about themselves"
                if model.status is AlertStatus.CLAIMED:
                    assert model.claimed_by in in_team, "a claimed alert is held by someone still in the team"
                else:
                    can_claim = any(may_claim(model, person, self.now).allowed for person in team)
                    assert can_claim or row.nobody_told_at is not None, (
                        "a waiting alert has someone who may claim it now, or the member was told nobody can yet"
                    )
            for person in self.gone - in_team:
                assert (
                    await uow.session.scalars(select(StaffRole.id).where(StaffRole.member_id == person))
                ).first() is None
                chats = select(RelaySession.id).where(
                    RelaySession.volunteer_member_id == person, RelaySession.status != "closed"
                )
                assert (await uow.session.scalars(chats)).first() is None, "someone who left keeps no chat"
                queued = select(OutboxMessage.id).where(
                    OutboxMessage.recipient_member_id == person,
                    OutboxMessage.status == "pending",
                    OutboxMessage.kind.in_(("relay", "alert")),
                )
                assert (await uow.session.scalars(queued)).first() is None, "nothing of a member's is queued to them"


EVENTS = st.one_of(
    st.tuples(
        st.just("join"), st.sampled_from(STAFF), st.booleans(), st.sampled_from([None, "22:00-06:00", "09:00-17:00"])
    ),
    st.tuples(st.just("duty"), st.sampled_from(STAFF), st.booleans()),
    st.tuples(st.just("signal"), st.sampled_from(MEMBERS), st.booleans(), st.booleans()),
    st.tuples(st.just("claim"), st.sampled_from(STAFF), st.integers(0, 4)),
    st.tuples(st.just("chat"), st.sampled_from(STAFF)),
    st.tuples(st.just("leave"), st.sampled_from(STAFF), st.booleans()),
    st.tuples(st.just("member_forgets"), st.sampled_from(MEMBERS)),
    st.tuples(st.just("take_back"), st.sampled_from(MEMBERS)),
    st.tuples(st.just("resolve"), st.sampled_from(STAFF)),
    st.tuples(st.just("advance"), st.sampled_from([1, 16, 31, 300, 60 * 25])),
    st.tuples(st.just("restart")),
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(events=st.lists(EVENTS, min_size=12, max_size=30))
async def test_the_alert_models_promises_hold_on_real_storage_after_every_step(
    database: Database, events: list[tuple]
) -> None:
    run = Run(database)
    await run.setup()
    for name, *args in events:
        if name == "advance":
            run.now += timedelta(minutes=args[0])
        elif name == "restart":
            run.job = AlertJob(database.units, CATALOGUE, CRISIS, run.clock)
        else:
            await getattr(run, name)(*args)
        await run.tick()
        await run.check()
