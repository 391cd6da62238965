"""Staff steps that used to leak around the rules: removing oneself, a second organisation's invite, /alerts."""

from __future__ import annotations

from datetime import UTC, datetime

from flows import router
from flows.inbound import ButtonPress, Command
from flows.outcome import RemoveFromTeam
from flows.safeguarding.model import Alert, AlertStatus, Tier
from flows.snapshot import (
    Facts,
    InviteInfo,
    MemberSnapshot,
    OrganisationInfo,
    StaffInfo,
    StartTarget,
    TeamMate,
)
from tests.flows.dialogue import CATALOGUE, CRISIS

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
HILLSIDE = OrganisationInfo(1, "Hillside Community Hub", "hillside")
RIVERSIDE = OrganisationInfo(2, "Riverside Trust", "riverside")


def staff_facts(role: str = "coordinator", **changes: object) -> Facts:
    staff = StaffInfo(1, role, "Cat", on_duty=False)
    team = (TeamMate(3, "coordinator", "Cat", False), TeamMate(4, "volunteer", "Ash", True))
    facts = Facts(MemberSnapshot(True, HILLSIDE), CATALOGUE, CRISIS, NOW, member_id=3, staff=staff, team=team)
    return facts.__class__(**{**facts.__dict__, **changes})


def test_the_last_coordinator_cannot_remove_themselves_with_a_forged_button() -> None:
    outcome = router.handle(ButtonPress("tm:remove:3"), staff_facts())
    assert outcome.refused == "not_allowed" and not any(type(e).__name__ == "RemoveFromTeam" for e in outcome.effects)
    assert CATALOGUE.render(outcome.notice).startswith("You can't remove yourself")


def test_a_coordinator_can_still_remove_someone_else() -> None:
    outcome = router.handle(ButtonPress("tm:remove:4"), staff_facts())
    assert isinstance(outcome.effects[0], RemoveFromTeam)


def test_staff_of_one_organisation_cannot_redeem_another_organisations_invite() -> None:
    invite = InviteInfo(9, RIVERSIDE, "volunteer", usable=True)
    facts = staff_facts(role="volunteer", start=StartTarget(RIVERSIDE, from_link=True, invite=invite))
    outcome = router.handle(Command("start", "inv_x"), facts)
    text = CATALOGUE.render_reply(outcome.replies[0])
    assert "one team at a time" in text
    assert not any(type(e).__name__ == "RedeemStaffInvite" for e in outcome.effects)


def test_alerts_lists_urgent_first_with_the_case_and_the_buttons_this_person_may_use() -> None:
    waiting = Alert(5, 20, 1, Tier.URGENT, AlertStatus.OPEN, NOW, NOW, dispatched=True, case_ref="K7Q2P")
    mine = Alert(6, 21, 1, Tier.CONCERN, AlertStatus.CLAIMED, NOW, NOW, claimed_by=3, claimed_at=NOW, case_ref="ZZ3AB")
    about_me = Alert(7, 3, 1, Tier.URGENT, AlertStatus.OPEN, NOW, NOW, dispatched=True)
    outcome = router.handle(Command("alerts", ""), staff_facts(alerts=(waiting, mine, about_me)))
    text = CATALOGUE.render_reply(outcome.replies[0])
    assert "#5 (case K7Q2P)" in text and "#6 (case ZZ3AB)" in text and "#7" not in text
    data = [button.data for row in outcome.replies[0].buttons for button in row]
    assert data == ["al:claim:5", "al:chat:6", "al:resolve:6"], "a web claim can be acted on from Telegram"


def test_reasons_are_plain_words_that_never_quote_the_member_or_a_detector_phrase() -> None:
    from flows.assessment import CheckInSummary, assess
    from flows.risk import LanguageSignal, RiskTier

    signal = LanguageSignal(RiskTier.URGENT, "semantic", "close to: I've got the pills ready", 0.8)
    reasons = assess(CheckInSummary(language=(signal,), completed=False), staff_facts()).reasons
    rendered = [CATALOGUE.render(reason) for reason in reasons]
    assert rendered == ["Something they wrote read as a crisis (their words are never shared)."]


def test_the_staff_alert_says_which_case_and_how_many_alerts_in_two_days() -> None:
    from flows.alert_messages import alert_for_staff, case_line

    case = case_line("K7Q2P", 3, NOW, NOW)
    text = CATALOGUE.render_reply(alert_for_staff(4, "URGENT", "Hillside", "flag_only", (), case=case))
    assert "Case K7Q2P: alert 3 for this person in 2 days" in text and "Raised again at" in text
