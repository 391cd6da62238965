"""Early signs in free text (CONCERN language) raise a concern only under the member's sharing choices."""

from __future__ import annotations

from dataclasses import replace

from flows import router
from flows.inbound import TextMessage
from flows.outcome import RaiseAlert
from flows.risk import LanguageSignal, RiskTier
from flows.snapshot import Facts
from tests.flows.dialogue import CATALOGUE, CRISIS, INSTRUMENTS, Dialogue
from tests.flows.test_onboarding import onboard

CONCERN = (LanguageSignal(RiskTier.CONCERN, "trained", "trained model reads CONCERN", 0.9),)


def say_with_signals(d: Dialogue, text: str, signals: tuple[LanguageSignal, ...]) -> tuple[list[str], list[RaiseAlert]]:
    """Send a free-text message whose detectors found `signals`; return the replies and alerts."""
    facts = replace(Facts(d.member, CATALOGUE, CRISIS, d.now, None, INSTRUMENTS), language=signals)
    outcome = router.handle(TextMessage(text), facts, method="test")
    replies = [CATALOGUE.render_reply(reply) for reply in outcome.replies]
    return replies, [effect for effect in outcome.effects if isinstance(effect, RaiseAlert)]


def test_concern_language_with_share_consent_raises_a_concern_alert_and_offers_contact() -> None:
    d = onboard(True, "flag_only", False)
    replies, alerts = say_with_signals(d, "not slept or eaten properly in days, what's the point", CONCERN)
    assert len(alerts) == 1 and alerts[0].tier is RiskTier.CONCERN
    assert "116 123" in " ".join(replies)


def test_concern_language_without_share_consent_gives_resources_and_tells_nobody() -> None:
    d = onboard(True, None, False)
    replies, alerts = say_with_signals(d, "not slept or eaten properly in days, what's the point", CONCERN)
    assert alerts == []
    assert "116 123" in " ".join(replies) and "get in touch" not in " ".join(replies)


def test_ordinary_text_raises_nothing() -> None:
    d = onboard(True, "flag_only", False)
    _replies, alerts = say_with_signals(d, "went to the allotment", ())
    assert alerts == []
