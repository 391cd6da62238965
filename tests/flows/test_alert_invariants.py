"""Property test over random event sequences: every open alert always has someone who can act on it (or the member
has been told plainly and it is escalating on schedule), nobody removed or erased can reach a member, nobody holds
an alert about themselves, and what the member was last told about sharing is true.

The world below applies events the way the bot's desk and alert job do (bot/safeguarding/desk.py,
bot/jobs/alerts.py), with every decision taken by flows/safeguarding: the rules are the real ones, the storage is
a dictionary. The same journeys run end to end on SQLite and PostgreSQL in tests/e2e/test_alert_model.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.safeguarding import sharing
from flows.safeguarding.model import (
    Alert,
    AlertStatus,
    AlertTimings,
    Join,
    Person,
    Rota,
    StaffRole,
    Step,
    Tier,
    coordinators_for,
    eligible,
    join,
    may_act_as_holder,
    may_claim,
    may_see,
    next_step,
    recipients,
    someone_can_receive,
)

TIMINGS = AlertTimings()
START = datetime(2026, 12, 7, 20, tzinfo=UTC)  # a Monday evening: overnight rotas matter
PEOPLE = (1, 2, 3, 4)  # staff candidates; 1 and 2 may also be the subject of an alert
MEMBERS = (1, 2, 10, 11)


@dataclass
class World:
    now: datetime = START
    team: dict[int, Person] = field(default_factory=dict)
    alerts: dict[int, Alert] = field(default_factory=dict)
    told_nobody: set[int] = field(default_factory=set)
    relays: dict[int, int] = field(default_factory=dict)  # alert id -> volunteer with an open chat
    gone: set[int] = field(default_factory=set)  # removed or erased staff
    last_told: dict[int, str] = field(default_factory=dict)  # member -> catalogue key of what they were told
    next_id: int = 1

    def open_case(self, member: int) -> Alert | None:
        found = [a for a in self.alerts.values() if a.member_id == member and a.status.is_open]
        return max(found, key=lambda a: a.id) if found else None

    # events -------------------------------------------------------------------------------------------------
    def join_team(self, person: int, coordinator: bool, rota: str | None) -> None:
        if person in self.team:
            return
        self.gone.discard(person)
        days = frozenset({0, 1, 2, 3, 4, 5, 6}) if rota else frozenset()
        role = StaffRole.COORDINATOR if coordinator else StaffRole.VOLUNTEER
        self.team[person] = Person(person, 1, role, False, Rota(days, rota or "09:00-17:00"))

    def rota(self, person: int, hours: str) -> None:
        if person in self.team:
            self.team[person] = replace(self.team[person], rota=Rota(frozenset(range(7)), hours))

    def on_it(self, person: int) -> None:
        for held in [a for a in self.alerts.values() if a.claimed_by == person and a.status is AlertStatus.CLAIMED]:
            self.alerts[held.id] = replace(held, answered_at=self.now)

    def duty(self, person: int, on: bool) -> None:
        if person in self.team:
            self.team[person] = replace(self.team[person], on_duty_switch=on)

    def signal(self, member: int, urgent: bool) -> None:
        tier = Tier.URGENT if urgent else Tier.CONCERN
        case = self.open_case(member)
        decision = join(case, tier, self.now, TIMINGS)
        if case is not None and decision is not Join.NEW_CASE:
            went_up = tier.rank > case.tier.rank
            changed = replace(case, tier=tier if went_up else case.tier, raised_again_at=self.now)
            if decision is Join.SAME_WAITING and went_up:
                changed = replace(changed, dispatched=False, escalation=0, waiting_since=self.now,
                                  status=AlertStatus.OPEN)  # fmt: skip
            self.alerts[case.id] = changed
        else:
            self.alerts[self.next_id] = Alert(self.next_id, member, 1, tier, AlertStatus.OPEN, self.now, self.now)
            self.next_id += 1
        told = sharing.told_after_alert(self._facts(member))
        self.last_told[member] = told.parts[0].key
        self._assert_told_truth(member)

    def claim(self, person: int, pick: int) -> None:
        waiting = sorted(a.id for a in self.alerts.values() if a.status.waiting)
        if not waiting:
            return
        target = self.alerts[waiting[pick % len(waiting)]]
        if may_claim(target, self.team.get(person), self.now).allowed:
            self.alerts[target.id] = replace(target, status=AlertStatus.CLAIMED, claimed_by=person,
                                             claimed_at=self.now, answered_at=self.now)  # fmt: skip

    def chat(self, person: int) -> None:
        for held in [a for a in self.alerts.values() if a.claimed_by == person and a.status is AlertStatus.CLAIMED]:
            if may_act_as_holder(held, self.team.get(person)).allowed:
                self.relays[held.id] = person
                self.alerts[held.id] = replace(held, answered_at=self.now)

    def leave(self, person: int) -> None:
        """Removed by a coordinator, or erased with /forget: what the desk's release_person does."""
        if person not in self.team:
            return
        for alert_id, volunteer in list(self.relays.items()):
            if volunteer == person:
                del self.relays[alert_id]
        for held in [a for a in self.alerts.values() if a.claimed_by == person and a.status is AlertStatus.CLAIMED]:
            self.alerts[held.id] = replace(held, status=AlertStatus.OPEN, claimed_by=None, claimed_at=None,
                                           dispatched=False, waiting_since=self.now, escalation=0)  # fmt: skip
        del self.team[person]
        self.gone.add(person)

    def member_forgets(self, member: int) -> None:
        for alert in [a for a in self.alerts.values() if a.member_id == member]:
            del self.alerts[alert.id]
            self.relays.pop(alert.id, None)
        self.last_told.pop(member, None)

    def member_takes_back(self, member: int) -> None:
        case = self.open_case(member)
        key = sharing.offer_to_take_back(self._facts(member)).parts[0].key if case else "contact.declined"
        self.last_told[member] = key
        self._assert_told_truth(member)
        if case is not None:
            self.alerts[case.id] = replace(case, status=AlertStatus.RESOLVED)
            self.relays.pop(case.id, None)
            self.last_told[member] = "sharing.withdrawn"

    def resolve(self, person: int) -> None:
        for held in [a for a in self.alerts.values() if a.claimed_by == person and a.status is AlertStatus.CLAIMED]:
            if may_act_as_holder(held, self.team.get(person)).allowed:
                self.alerts[held.id] = replace(held, status=AlertStatus.RESOLVED)
                self.relays.pop(held.id, None)

    def advance(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)
        self.tick()

    def tick(self) -> None:
        """What the alert job does each tick."""
        team = list(self.team.values())
        for alert in list(self.alerts.values()):
            if alert.status.waiting and not alert.dispatched:
                if recipients(alert, team, self.now).nobody:
                    if alert.id not in self.told_nobody:
                        self.last_told[alert.member_id] = "sharing.nobody_yet"
                    self.told_nobody.add(alert.id)
                else:
                    self.alerts[alert.id] = replace(alert, dispatched=True)
                    self.told_nobody.discard(alert.id)  # told again if nobody can see it later
            elif alert.status.waiting and recipients(alert, team, self.now).nobody:
                self.alerts[alert.id] = replace(alert, dispatched=False)  # everyone it went to left: it waits
                if alert.id not in self.told_nobody:
                    self.last_told[alert.member_id] = "sharing.nobody_yet"
                self.told_nobody.add(alert.id)
        for alert in list(self.alerts.values()):
            step = next_step(alert, self.now, TIMINGS)
            if step is Step.TO_COORDINATORS:
                self.alerts[alert.id] = replace(alert, escalation=1, status=AlertStatus.ESCALATED)
            elif step is Step.MEMBER_FALLBACK:
                self.alerts[alert.id] = replace(alert, escalation=2, status=AlertStatus.ESCALATED)
            elif step is Step.BACK_TO_COORDINATORS:
                self.relays.pop(alert.id, None)
                back = replace(alert, status=AlertStatus.ESCALATED, claimed_by=None, claimed_at=None, escalation=1,
                               waiting_since=self.now, dispatched=bool(coordinators_for(alert, team)))  # fmt: skip
                self.alerts[alert.id] = back

    # what the member is told, checked against the world ---------------------------------------------------
    def _facts(self, member: int):  # type: ignore[no-untyped-def]
        from flows.consent import ConsentAction, ConsentEvent, ConsentScope, ConsentState, ShareLevel
        from flows.snapshot import CaseInfo, Facts, MemberSnapshot, OrganisationInfo, SharingFacts
        from tests.flows.dialogue import CATALOGUE, CRISIS

        consent = ConsentState.from_events(
            [ConsentEvent(ConsentScope.SHARE_FLAGS, ConsentAction.GIVEN, ShareLevel.FLAG_ONLY)]
        )
        case = self.open_case(member)
        info = CaseInfo(case.id, case.tier.value, case.status.value, "flag_only") if case else None
        snapshot = MemberSnapshot(True, OrganisationInfo(1, "Hillside", "hillside"), consent=consent)
        can_see = someone_can_receive(member, 1, list(self.team.values()), self.now)
        return Facts(snapshot, CATALOGUE, CRISIS, self.now, sharing=SharingFacts(info, can_see))

    def _assert_told_truth(self, member: int) -> None:
        key = self.last_told[member]
        someone = someone_can_receive(member, 1, list(self.team.values()), self.now)  # fmt: skip
        case = self.open_case(member)
        if key in ("sharing.told", "sharing.already_told"):
            assert someone and case is not None, "told 'I've let them know' with nobody to know, or no alert"
        if key in ("sharing.nobody_yet", "sharing.already_kept"):
            assert not someone and case is not None, "told 'nobody can see it' when someone could"
        if key == "contact.declined":
            assert case is None, "told 'nobody has been told' while an alert is open"

    # invariants -----------------------------------------------------------------------------------------
    def check(self) -> None:
        team = list(self.team.values())
        for alert in self.alerts.values():
            assert alert.claimed_by != alert.member_id, "nobody holds an alert about themselves"
            if alert.status is AlertStatus.CLAIMED:
                holder = self.team.get(alert.claimed_by or -1)
                assert holder is not None, "a claimed alert's holder is still in the team"
                assert may_act_as_holder(alert, holder).allowed
            if alert.status.waiting:
                can_act = any(may_claim(alert, p, self.now).allowed for p in team)
                assert can_act or alert.id in self.told_nobody or not alert.dispatched, (
                    "a waiting alert has someone who can claim it now, or the member was told nobody can yet"
                )
                if alert.dispatched or alert.escalation:
                    assert (
                        any(may_claim(alert, p, self.now).allowed for p in team)
                        or alert.escalation >= 1
                        or (not eligible(alert, team))
                    ), "dispatched to someone who can act, or escalating on schedule"
        for person in self.gone - set(self.team):
            assert person not in self.relays.values(), "a removed or erased person keeps no chat with a member"
            for alert in self.alerts.values():
                if alert.status.is_open:
                    assert alert.claimed_by != person, "a removed or erased person holds no open alert"
                assert person not in [p.member_id for p in recipients(alert, team, self.now).people]
                stale = Person(person, 1, StaffRole.COORDINATOR, True)  # what they were, in a forged request
                assert may_see(alert, stale, self.now).allowed is (stale.member_id != alert.member_id), (
                    "the rules read the team as it is now: a forged role is refused only by not being in it"
                )
        for member, key in self.last_told.items():
            case = self.open_case(member)
            someone = someone_can_receive(member, 1, team, self.now) or bool(
                case is not None and case.status is AlertStatus.CLAIMED
            )
            if key in ("sharing.told", "sharing.already_told") and case is not None:
                assert someone, "the member was last told someone knows, but nobody could act on it now"
            if key == "contact.declined":
                assert case is None


EVENTS = st.one_of(
    st.tuples(
        st.just("join"), st.sampled_from(PEOPLE), st.booleans(), st.sampled_from([None, "22:00-06:00", "09:00-17:00"])
    ),
    st.tuples(st.just("duty"), st.sampled_from(PEOPLE), st.booleans()),
    st.tuples(st.just("rota"), st.sampled_from(PEOPLE), st.sampled_from(["22:00-06:00", "09:00-17:00", "00:00-00:00"])),
    st.tuples(st.just("on_it"), st.sampled_from(PEOPLE)),
    st.tuples(st.just("signal"), st.sampled_from(MEMBERS), st.booleans()),
    st.tuples(st.just("claim"), st.sampled_from(PEOPLE), st.integers(0, 5)),
    st.tuples(st.just("chat"), st.sampled_from(PEOPLE)),
    st.tuples(st.just("leave"), st.sampled_from(PEOPLE)),
    st.tuples(st.just("member_forgets"), st.sampled_from(MEMBERS)),
    st.tuples(st.just("take_back"), st.sampled_from(MEMBERS)),
    st.tuples(st.just("resolve"), st.sampled_from(PEOPLE)),
    st.tuples(st.just("advance"), st.sampled_from([1, 10, 16, 31, 120, 300])),
    st.tuples(st.just("restart")),
)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(EVENTS, min_size=10, max_size=40))
def test_every_open_alert_always_has_someone_and_nobody_gone_keeps_access(events: list[tuple]) -> None:
    world = World()
    for event in events:
        name, *args = event
        match name:
            case "join":
                world.join_team(*args)
            case "duty":
                world.duty(*args)
            case "rota":
                world.rota(*args)
            case "on_it":
                world.on_it(*args)
            case "signal":
                world.signal(*args)
            case "claim":
                world.claim(*args)
            case "chat":
                world.chat(*args)
            case "leave":
                world.leave(*args)
            case "member_forgets":
                world.member_forgets(*args)
            case "take_back":
                world.member_takes_back(*args)
            case "resolve":
                world.resolve(*args)
            case "advance":
                world.advance(*args)
            case "restart":
                pass  # every fact is stored; a restart changes nothing the rules read
        world.tick()
        world.check()
