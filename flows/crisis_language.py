"""Crisis language, wherever it appears: before consent, mid-onboarding, in a check-in, in any message.

URGENT: the fixed crisis message first, then (only with SHARE_FLAGS) an alert and the offer of contact.
CONCERN outside a check-in: a kind reply, the resources, and with SHARE_FLAGS an alert and the offer.
"""

from __future__ import annotations

from flows import checkin
from flows.assessment import CheckInSummary, assess, assessment_reply
from flows.consent import ConsentScope
from flows.outcome import EndConversation, FinishCheckIn, Outcome, Text
from flows.risk import RiskTier, strongest
from flows.snapshot import Facts


def on_language(facts: Facts) -> Outcome | None:
    """Answer URGENT language at once, whatever the member was doing."""
    if strongest(list(facts.language)) is not RiskTier.URGENT:
        return None
    member = facts.member
    if not member.registered or member.organisation is None:
        from flows.assistance import crisis_reply

        return Outcome(replies=(crisis_reply(facts),))
    assessment = assess(CheckInSummary(language=facts.language, completed=False), facts)
    outcome = assessment_reply(assessment, facts, Text("checkin.close.okay.3"))
    position = member.conversation
    if position is not None and position.flow == checkin.FLOW:
        stop = [FinishCheckIn("abandoned", False)] if member.consent.allows(ConsentScope.STORE) else []
        outcome = Outcome(replies=outcome.replies, effects=(*outcome.effects, *stop, EndConversation()))
    return outcome


def on_concern(facts: Facts) -> Outcome | None:
    """Answer CONCERN language outside a check-in (inside one, the check-in's own assessment does)."""
    if strongest(list(facts.language)) is not RiskTier.CONCERN or not facts.member.registered:
        return None
    position = facts.member.conversation
    if position is not None and position.flow == checkin.FLOW:
        return None
    if facts.member.organisation is None:
        return None
    assessment = assess(CheckInSummary(language=facts.language, completed=False), facts)
    return assessment_reply(assessment, facts, Text("checkin.close.okay.3"))
