"""One to three activities after a check-in that fit the member's area, interests, the coming week and the moment.

Pure. The moment is read from the check-in just finished and used only here: why an activity was suggested is
never stored (it would be health data). Never called for an URGENT assessment, and says nothing then anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from flows.activities.areas import serves
from flows.activities.cards import FLOW, upcoming_sessions, when_text
from flows.activities.effects import CountSuggestions, MarkAreaOffered
from flows.activities.facts import GOING, NOT_FOR_ME, ActivityFacts, activity_key
from flows.activities.model import Activity, Occurrence
from flows.assessment import CheckInSummary
from flows.callbacks import button_data
from flows.consent import ConsentScope
from flows.outcome import Button, Outcome, Text, reply
from flows.risk import RiskTier
from flows.snapshot import Facts

MOST = 3
LOW_MOOD_AT_OR_BELOW = 2
GAD2_HIGH_AT_OR_ABOVE = 3
ONS4_ANXIETY_HIGH_AT_OR_ABOVE = 6
SOCIAL_TAGS = ("social", "low-barrier")
CALM_TAGS = ("calm", "small-group")


class Moment(StrEnum):
    """What kind of activity fits now."""

    LOW = "low"  # low mood or loneliness: low-barrier, social
    ANXIOUS = "anxious"  # high anxiety: calm, small groups
    ORDINARY = "ordinary"  # the member's interests first


@dataclass(frozen=True)
class Suggestion:
    """An activity, its next session, and a one-line reason in plain words."""

    activity: Activity
    session: Occurrence
    reason: Text


def moment_of(summary: CheckInSummary) -> Moment:
    """Read the moment from a check-in; high anxiety comes first (a calm small group also suits a low day)."""
    score, instrument = summary.score, summary.instrument
    complete = score is not None and instrument is not None and score.complete
    if complete and instrument.id == "gad2" and score.raw is not None and score.raw >= GAD2_HIGH_AT_OR_ABOVE:
        return Moment.ANXIOUS
    if complete and instrument.id == "ons4" and score.measures.get("anxiety", 0) >= ONS4_ANXIETY_HIGH_AT_OR_ABOVE:
        return Moment.ANXIOUS
    lonely = complete and instrument.id == "ucla3" and score.band is not None and score.band.worst
    if lonely or (summary.mood is not None and summary.mood <= LOW_MOOD_AT_OR_BELOW):
        return Moment.LOW
    return Moment.ORDINARY


def suggest(known: ActivityFacts, organisation_id: int, moment: Moment, now: datetime) -> tuple[Suggestion, ...]:
    """Choose up to three: near the member, on in the coming week, not turned down, fitting the moment."""
    area = known.choices.area
    if area is None:
        return ()
    interests = known.choices.interests
    candidates: list[tuple[Activity, Occurrence]] = []
    for activity in known.activities:
        if activity.organisation_id != organisation_id or not serves(activity, area):
            continue
        if known.response_to(activity.id) in (NOT_FOR_ME, GOING):
            continue
        sessions = upcoming_sessions(activity, now)
        if sessions:
            candidates.append((activity, sessions[0]))
    if moment is Moment.ORDINARY:
        return _by_interest(candidates, interests, known)
    tags = SOCIAL_TAGS if moment is Moment.LOW else CALM_TAGS
    reason = Text("activities.reason.social" if moment is Moment.LOW else "activities.reason.calm")
    fitting = [(a, s) for a, s in candidates if set(a.interests) & set(tags)]
    fitting.sort(key=lambda item: (-_overlap(item[0], tags), -_overlap(item[0], interests), item[1].starts_at))
    return tuple(Suggestion(a, s, reason) for a, s in fitting[:MOST])


def after_checkin(summary: CheckInSummary, tier: RiskTier, facts: Facts) -> Outcome:
    """The suggestions after a completed check-in: none after URGENT, only a quiet button after CONCERN."""
    known = facts.activities
    organisation = facts.member.organisation
    if tier >= RiskTier.URGENT or known is None or organisation is None or not summary.completed:
        return Outcome()
    if known.choices.area is None:
        if known.choices.offered or not facts.member.consent.allows(ConsentScope.NEWS):
            return Outcome()
        rows: tuple[tuple[Button, ...], ...] = (
            (Button(Text("activities.offer_yes"), button_data(FLOW, "offer", "yes")),),
            (Button(Text("activities.offer_no"), button_data(FLOW, "offer", "no")),),
        )
        return Outcome(replies=(reply(Text("activities.offer_area"), buttons=rows),), effects=(MarkAreaOffered(),))
    found = suggest(known, organisation.id, moment_of(summary), facts.now)
    if not found:
        return Outcome()
    if tier >= RiskTier.CONCERN:  # beside the offer of help, ideas wait behind one quiet button
        later = ((Button(Text("activities.suggest.later_button"), button_data(FLOW, "page", "0")),),)
        return Outcome(replies=(reply(Text("activities.suggest.later"), buttons=later),))
    lines = tuple(
        Text(
            "activities.suggest.line",
            {"name": s.activity.name, "when": when_text(s.session, facts.now), "reason": s.reason},
        )
        for s in found
    )
    seen: tuple[tuple[Button, ...], ...] = tuple(
        (
            Button(
                Text("activities.suggest.see", {"name": s.activity.name[:40]}),
                button_data(FLOW, "card", activity_key(s.activity.id)),
            ),
        )
        for s in found
    )
    rows = (*seen, (Button(Text("activities.button.see_all"), button_data(FLOW, "page", "0")),))
    return Outcome(
        replies=(
            reply(Text("activities.suggest.intro"), Text("activities.suggest.lines", {"lines": lines}), buttons=rows),
        ),
        effects=(CountSuggestions(organisation.id, len(found)),),  # a day's count for the funder report, no more
    )


def _by_interest(
    candidates: list[tuple[Activity, Occurrence]], interests: frozenset[str], known: ActivityFacts
) -> tuple[Suggestion, ...]:
    if not interests:
        ordered = sorted(candidates, key=lambda item: item[1].starts_at)
        return tuple(Suggestion(a, s, Text("activities.reason.soon")) for a, s in ordered[:MOST])
    matching = [(a, s) for a, s in candidates if _overlap(a, interests)]
    matching.sort(key=lambda item: (-_overlap(item[0], interests), item[1].starts_at))
    labels = {term.id: term.label for term in known.terms}
    found = []
    for activity, session in matching[:MOST]:
        term = next(t for t in activity.interests if t in interests)
        reason = Text("activities.reason.interest", {"interest": Text(labels[term]) if term in labels else term})
        found.append(Suggestion(activity, session, reason))
    return tuple(found)


def _overlap(activity: Activity, terms: frozenset[str] | tuple[str, ...]) -> int:
    return len(set(activity.interests) & set(terms))
