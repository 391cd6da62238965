"""The alert model: who may see, claim and hold an alert; who receives it; when it moves on. Tests are named after
what they protect (issue 16's "Why" list)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flows.safeguarding.model import (
    Alert,
    AlertStatus,
    AlertTimings,
    Join,
    Person,
    Refusal,
    Rota,
    StaffRole,
    Step,
    Tier,
    join,
    may_act_as_holder,
    may_claim,
    may_see,
    next_step,
    recipients,
    waiting_key,
)

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)  # a Monday
TIMINGS = AlertTimings()
MEMBER, ASH, BEA, CAT = 10, 1, 2, 3
ash = Person(ASH, 1, StaffRole.VOLUNTEER, on_duty_switch=True)
bea_off = Person(BEA, 1, StaffRole.VOLUNTEER)
cat = Person(CAT, 1, StaffRole.COORDINATOR)


def alert(**changes: object) -> Alert:
    values: dict[str, object] = {
        "id": 4, "member_id": MEMBER, "organisation_id": 1, "tier": Tier.URGENT, "status": AlertStatus.OPEN,
        "raised_at": NOW, "waiting_since": NOW, "dispatched": True,
    }  # fmt: skip
    values.update(changes)
    return Alert(**values)  # type: ignore[arg-type]


def test_an_off_duty_volunteer_cannot_claim_with_a_forged_button() -> None:
    assert may_claim(alert(), bea_off, NOW).refusal is Refusal.OFF_DUTY
    assert may_claim(alert(), ash, NOW).allowed and may_claim(alert(), cat, NOW).allowed


def test_nobody_claims_or_sees_an_alert_about_themselves_coordinators_included() -> None:
    about_cat = alert(member_id=CAT)
    assert may_claim(about_cat, cat, NOW).refusal is Refusal.ABOUT_YOU
    assert may_see(about_cat, cat, NOW).refusal is Refusal.ABOUT_YOU
    assert [p.member_id for p in recipients(about_cat, [ash, cat], NOW).people] == [ASH]


def test_a_coordinators_own_alert_with_nobody_else_reaches_nobody_so_the_member_is_told() -> None:
    assert recipients(alert(member_id=CAT), [cat], NOW).nobody


def test_a_removed_person_is_not_in_the_team_and_can_do_nothing() -> None:
    other_org = Person(ASH, 2, StaffRole.VOLUNTEER, on_duty_switch=True)
    held = alert(status=AlertStatus.CLAIMED, claimed_by=ASH, claimed_at=NOW)
    assert may_act_as_holder(held, None).refusal is Refusal.NOT_IN_TEAM
    assert may_act_as_holder(held, other_org).refusal is Refusal.NOT_IN_TEAM
    assert may_see(held, None, NOW).refusal is Refusal.NOT_IN_TEAM


def test_only_the_holder_may_chat_or_resolve() -> None:
    held = alert(status=AlertStatus.CLAIMED, claimed_by=ASH, claimed_at=NOW)
    assert may_act_as_holder(held, ash).allowed
    assert may_act_as_holder(held, cat).refusal is Refusal.NOT_CLAIMER
    assert may_claim(held, cat, NOW).refusal is Refusal.ALREADY_CLAIMED


def test_overnight_rotas_count_after_midnight_on_the_day_the_shift_started() -> None:
    night = Person(BEA, 1, StaffRole.VOLUNTEER, rota=Rota(frozenset({0}), "22:00-06:00"))  # Monday night
    monday_23 = datetime(2026, 12, 7, 23, tzinfo=UTC)
    tuesday_03 = datetime(2026, 12, 8, 3, tzinfo=UTC)
    tuesday_07 = datetime(2026, 12, 8, 7, tzinfo=UTC)
    sunday_23 = datetime(2026, 12, 6, 23, tzinfo=UTC)
    assert night.on_duty(monday_23) and night.on_duty(tuesday_03)
    assert not night.on_duty(tuesday_07) and not night.on_duty(sunday_23)
    assert not night.on_duty(datetime(2026, 12, 7, 3, tzinfo=UTC)), "Monday 03:00 belongs to Sunday's shift"


def test_a_day_rota_still_works() -> None:
    day = Person(BEA, 1, StaffRole.VOLUNTEER, rota=Rota(frozenset({0}), "09:00-17:00"))
    assert day.on_duty(NOW) and not day.on_duty(NOW + timedelta(hours=6))


def test_nobody_on_duty_sends_it_to_the_coordinators() -> None:
    chosen = recipients(alert(), [bea_off, cat], NOW)
    assert chosen.nobody_on_duty and [p.member_id for p in chosen.people] == [CAT]


def test_a_new_urgent_signal_on_a_claimed_case_escalates_if_the_holder_does_not_answer() -> None:
    held = alert(status=AlertStatus.CLAIMED, claimed_by=ASH, claimed_at=NOW, answered_at=NOW)
    assert join(held, Tier.URGENT, NOW + timedelta(minutes=31), TIMINGS) is Join.SAME_CLAIMED
    again = held.__class__(**{**held.__dict__, "raised_again_at": NOW + timedelta(minutes=31)})
    assert next_step(again, NOW + timedelta(minutes=40), TIMINGS) is None
    assert next_step(again, NOW + timedelta(minutes=46), TIMINGS) is Step.BACK_TO_COORDINATORS
    answered = again.__class__(**{**again.__dict__, "answered_at": NOW + timedelta(minutes=35)})
    assert next_step(answered, NOW + timedelta(minutes=46), TIMINGS) is None


def test_a_claim_left_unresolved_too_long_goes_back_to_the_coordinators_sooner_for_urgent() -> None:
    urgent = alert(status=AlertStatus.CLAIMED, claimed_by=ASH, claimed_at=NOW, answered_at=NOW)
    concern = alert(tier=Tier.CONCERN, status=AlertStatus.CLAIMED, claimed_by=ASH, claimed_at=NOW, answered_at=NOW)
    later = NOW + TIMINGS.urgent_claim_limit
    assert next_step(urgent, later, TIMINGS) is Step.BACK_TO_COORDINATORS
    assert next_step(concern, later, TIMINGS) is None
    assert next_step(concern, NOW + TIMINGS.concern_claim_limit, TIMINGS) is Step.BACK_TO_COORDINATORS


def test_an_undispatched_alert_waits_for_someone_rather_than_escalating_into_nobody() -> None:
    assert next_step(alert(dispatched=False), NOW + timedelta(hours=5), TIMINGS) is None


def test_waiting_list_is_urgent_first_then_longest_waiting() -> None:
    concern_old = alert(id=1, tier=Tier.CONCERN, waiting_since=NOW - timedelta(hours=3))
    urgent_new = alert(id=2, waiting_since=NOW)
    urgent_old = alert(id=3, waiting_since=NOW - timedelta(hours=1))
    assert [a.id for a in sorted([concern_old, urgent_new, urgent_old], key=waiting_key)] == [3, 2, 1]


def test_raised_keeps_the_first_time_and_a_later_signal_joins_the_open_case() -> None:
    waiting = alert(tier=Tier.CONCERN)
    assert join(waiting, Tier.URGENT, NOW + timedelta(hours=1), TIMINGS) is Join.SAME_WAITING
    assert join(waiting, Tier.URGENT, NOW + timedelta(days=3), TIMINGS) is Join.NEW_CASE
    assert join(None, Tier.CONCERN, NOW, TIMINGS) is Join.NEW_CASE
