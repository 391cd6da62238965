"""What the member is told about sharing is true in every branch of the consent and alert state.

Every combination of: consent to share (none, "only that I may need a chat", "also my answers"); the member's
open case (none, waiting, claimed); whether anyone in the organisation can receive an alert; and what happens
(urgent words, worrying words, "Yes, please get in touch", "No thanks", "Yes, take it back", "No, leave it").
Each reply's texts are checked against the state: a claim that someone knows needs an alert and someone to know;
"nobody can see it" needs nobody; "nobody has been told" needs no alert; taking back needs an open case.
"""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import product

import pytest

from flows import router
from flows.consent import ConsentAction, ConsentEvent, ConsentScope, ConsentState, ShareLevel
from flows.inbound import ButtonPress, TextMessage
from flows.outcome import Outcome, RaiseAlert, WithdrawAlert
from flows.risk import LanguageSignal, RiskTier
from flows.snapshot import CaseInfo, Facts, MemberSnapshot, OrganisationInfo, SharingFacts
from tests.flows.dialogue import CATALOGUE, CRISIS

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
HILLSIDE = OrganisationInfo(1, "Hillside Community Hub", "hillside")
CONSENTS = ("none", "flag_only", "with_answers")
CASES = ("none", "open", "claimed")
ACTIONS = ("urgent_words", "concern_words", "yes", "no", "withdraw", "keep")

# What each text claims about the world.
SAYS_SOMEONE_KNOWS = {"sharing.told", "sharing.already_told", "contact.requested"}
SAYS_NOBODY_CAN_SEE = {"sharing.nobody_yet", "sharing.already_kept"}
SAYS_NOTHING_SHARED = {"contact.declined"}
SAYS_TAKEN_BACK = {"sharing.withdrawn"}


def facts_for(consent: str, case: str, someone: bool, language: tuple[LanguageSignal, ...] = ()) -> Facts:
    events = [ConsentEvent(ConsentScope.STORE, ConsentAction.GIVEN, None),
              ConsentEvent(ConsentScope.NEWS, ConsentAction.GIVEN, None)]  # fmt: skip
    if consent == "none":
        events.append(ConsentEvent(ConsentScope.SHARE_FLAGS, ConsentAction.DECLINED, None))
    else:
        events.append(ConsentEvent(ConsentScope.SHARE_FLAGS, ConsentAction.GIVEN, ShareLevel(consent)))
    info = None if case == "none" else CaseInfo(7, "URGENT", case, consent if consent != "none" else "flag_only")
    snapshot = MemberSnapshot(True, HILLSIDE, consent=ConsentState.from_events(events))
    return Facts(snapshot, CATALOGUE, CRISIS, NOW, language=language, member_id=10,
                 sharing=SharingFacts(info, someone))  # fmt: skip


def run(action: str, consent: str, case: str, someone: bool) -> Outcome:
    if action == "urgent_words":
        signal = (LanguageSignal(RiskTier.URGENT, "lexicon", "rule", 1.0),)
        return router.handle(TextMessage("words"), facts_for(consent, case, someone, signal))
    if action == "concern_words":
        signal = (LanguageSignal(RiskTier.CONCERN, "lexicon", "rule", 1.0),)
        return router.handle(TextMessage("words"), facts_for(consent, case, someone, signal))
    data = {"yes": "ct:ask:yes", "no": "ct:ask:no", "withdraw": "ct:withdraw:7", "keep": "ct:keep:7"}[action]
    return router.handle(ButtonPress(data), facts_for(consent, case, someone))


def keys(outcome: Outcome) -> set[str]:
    return {part.key for each in outcome.replies for part in each.parts}


@pytest.mark.parametrize(
    ("consent", "case", "someone", "action"), list(product(CONSENTS, CASES, (True, False), ACTIONS))
)
def test_what_the_member_is_told_about_sharing_is_true(consent: str, case: str, someone: bool, action: str) -> None:
    if consent == "none" and case != "none":
        pytest.skip("an alert exists only with consent to share (withdrawing consent closes nothing here)")
    outcome = run(action, consent, case, someone)
    said = keys(outcome)
    raises = any(isinstance(effect, RaiseAlert) for effect in outcome.effects)
    withdraws = any(isinstance(effect, WithdrawAlert) for effect in outcome.effects)
    alert_exists_after = (case != "none" or raises) and not withdraws
    if said & SAYS_SOMEONE_KNOWS:
        assert consent != "none" and alert_exists_after and someone, said
    if said & SAYS_NOBODY_CAN_SEE:
        assert consent != "none" and alert_exists_after and not someone, said
        assert "crisis.resources" in said or action in ("no",), "with nobody to see it, the resources are given"
    if said & SAYS_NOTHING_SHARED:
        assert case == "none" and not raises, said
    if said & SAYS_TAKEN_BACK:
        assert withdraws and case != "none", said
    if raises:
        assert consent != "none", "no alert without consent to share"
        assert said & (SAYS_SOMEONE_KNOWS | SAYS_NOBODY_CAN_SEE), (
            f"an alert was raised but the member was not told: {said}"
        )
    if consent == "none":
        assert not said & (SAYS_SOMEONE_KNOWS | SAYS_NOBODY_CAN_SEE), said


def test_no_thanks_after_an_urgent_alert_says_what_was_shared_and_offers_to_take_it_back() -> None:
    outcome = run("no", "with_answers", "open", True)
    text = CATALOGUE.render_reply(outcome.replies[0])
    assert (
        "Hillside Community Hub could know" in text and "already let them know" in text and "check-in answers" in text
    )
    assert "Nobody has been told" not in text and "take that back" in text
    assert [b.label.key for row in outcome.replies[0].buttons for b in row] == [
        "sharing.withdraw_yes",
        "sharing.withdraw_no",
    ]


def test_yes_please_with_no_staff_yet_says_so_plainly_with_the_resources() -> None:
    outcome = run("yes", "flag_only", "none", False)
    text = CATALOGUE.render_reply(outcome.replies[0])
    assert "Nobody at Hillside Community Hub can see this right now" in text and "116 123" in text
    assert "I've let" not in text


def test_a_stale_take_back_button_for_a_closed_case_says_there_is_nothing_to_take_back() -> None:
    outcome = run("withdraw", "flag_only", "none", True)
    assert keys(outcome) == {"sharing.nothing_to_take_back"} and not outcome.effects
