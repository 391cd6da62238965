"""Risk assessment: combine a check-in, the member's own history and language signals into one tier.

Pure: every input is a value. Thresholds are data (`RiskRules`), defaults from ../shared/SAFETY.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flows.assistance import crisis_reply, crisis_resources
from flows.consent import ConsentScope
from flows.outcome import Outcome, RaiseAlert, Text, reply
from flows.risk import LanguageSignal, RiskTier
from flows.safeguarding import sharing
from flows.snapshot import Facts


@dataclass(frozen=True)
class RiskRules:
    """Tunable thresholds for the rules below."""

    low_mood_at_or_below: int = 2
    low_mood_run: int = 3
    baseline_window: int = 5
    falls: dict[str, float] = field(default_factory=lambda: {"swemwbs": 3.0, "who5": 10.0})
    band_instruments: frozenset[str] = frozenset({"who5", "swemwbs", "phq2", "gad2"})


DEFAULT_RULES = RiskRules()


@dataclass(frozen=True)
class CheckInSummary:
    """What one check-in (or message) said, as values."""

    mood: int | None = None
    wrote_note: bool = False
    instrument: Any = None
    score: Any = None
    completed: bool = True
    contact_requested: bool = False
    language: tuple[LanguageSignal, ...] = ()


@dataclass(frozen=True)
class RiskAssessment:
    """A tier and the reasons for it, in plain words a worker can read."""

    tier: RiskTier
    reasons: tuple[Text, ...] = ()


def assess(summary: CheckInSummary, facts: Facts, rules: RiskRules = DEFAULT_RULES) -> RiskAssessment:
    """Combine every signal; the strongest tier wins and every reason is kept."""
    found: list[tuple[RiskTier, Text]] = []
    if summary.contact_requested:
        found.append((RiskTier.CONCERN, Text("reason.asked_for_contact")))
    found += _instrument_signals(summary, rules)
    found += _trend_signals(summary, facts, rules)
    for signal in summary.language:
        if signal.tier > RiskTier.NONE:
            found.append((signal.tier, Text(f"reason.language.{signal.tier.name}")))
    tier = max((tier for tier, _ in found), default=RiskTier.NONE)
    return RiskAssessment(tier, tuple(reason for _, reason in found))


def _instrument_signals(summary: CheckInSummary, rules: RiskRules) -> list[tuple[RiskTier, Text]]:
    score, instrument = summary.score, summary.instrument
    if score is None or instrument is None or not score.complete:
        return []
    found = []
    if score.band is not None and score.band.concern and instrument.id in rules.band_instruments:
        found.append(
            (RiskTier.CONCERN, Text("reason.instrument_band", {"title": instrument.title, "band": score.band.label}))
        )
    if instrument.id == "ons4":
        from flows.instruments.scoring import ons4_high_anxiety_low_happiness

        if ons4_high_anxiety_low_happiness(score):
            found.append((RiskTier.CONCERN, Text("reason.ons4_anxiety_happiness")))
    return found


def _trend_signals(summary: CheckInSummary, facts: Facts, rules: RiskRules) -> list[tuple[RiskTier, Text]]:
    found = []
    moods = [*facts.member.recent_moods, *([summary.mood] if summary.mood is not None else [])]
    recent = moods[-rules.low_mood_run :]
    if len(recent) == rules.low_mood_run and all(mood <= rules.low_mood_at_or_below for mood in recent):
        found.append((RiskTier.CONCERN, Text("reason.low_mood_run", {"count": rules.low_mood_run})))
    score, instrument = summary.score, summary.instrument
    if score is not None and instrument is not None and score.value is not None and instrument.id in rules.falls:
        history = facts.member.recent_scores.get(instrument.id, ())[-rules.baseline_window :]
        if history:
            baseline = sum(history) / len(history)
            if baseline - score.value >= rules.falls[instrument.id]:
                found.append((RiskTier.CONCERN, Text("reason.fall_from_usual", {"title": instrument.title})))
    return found


def assessment_reply(assessment: RiskAssessment, facts: Facts, closing: Text) -> Outcome:
    """Reply to a member after an assessment: crisis help first when urgent, never a suggestion then; what they
    are told about sharing is true (flows.safeguarding.sharing)."""
    shares = facts.member.consent.allows(ConsentScope.SHARE_FLAGS)
    alert = (RaiseAlert(assessment.tier, assessment.reasons),) if shares else ()
    if assessment.tier is RiskTier.URGENT:
        replies = [crisis_reply(facts)]
        if shares:
            replies.append(sharing.told_after_alert(facts))
        return Outcome(replies=tuple(replies), effects=alert)
    if assessment.tier is RiskTier.CONCERN:
        parts = [Text("concern.kind_reply"), crisis_resources(facts)]
        if shares:
            told = sharing.told_after_alert(facts)
            return Outcome(replies=(reply(*parts, *told.parts, buttons=told.buttons),), effects=alert)
        return Outcome(replies=(reply(*parts),))
    return Outcome(replies=(reply(closing),))
