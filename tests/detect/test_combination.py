"""The combination rule: lexicon verdicts cap model signals unless the model is near-certain."""

from __future__ import annotations

from bot.detect.base import LexiconVeto
from bot.detect.combined import combine, combined_tier, load_combination_rule, parse_combination_rule
from flows.risk import LanguageSignal, RiskTier

RULE = load_combination_rule()
OVERRIDE = RULE.override_score("semantic")


def semantic(tier: RiskTier, score: float) -> LanguageSignal:
    return LanguageSignal(tier, "semantic", "close to: an exemplar", score)


def veto(kind: str) -> LexiconVeto:
    return LexiconVeto(RiskTier.NONE, "lexicon", "verdict", 1.0, kind)


def test_strongest_tier_wins_without_verdicts() -> None:
    signals = [LanguageSignal(RiskTier.CONCERN, "lexicon", "x"), semantic(RiskTier.URGENT, 0.6)]
    assert combined_tier(signals, RULE) == RiskTier.URGENT


def test_idiom_and_negation_drop_a_semantic_signal_below_the_override() -> None:
    for kind in ("idiom", "negation", "quote", "past_tense"):
        assert combine([veto(kind), semantic(RiskTier.URGENT, OVERRIDE - 0.01)], RULE) == []


def test_a_near_paraphrase_overrides_a_verdict() -> None:
    assert combined_tier([veto("idiom"), semantic(RiskTier.URGENT, OVERRIDE)], RULE) == RiskTier.URGENT


def test_third_person_caps_at_concern_and_keeps_the_reason() -> None:
    counted = combine([veto("third_person"), semantic(RiskTier.URGENT, 0.7)], RULE)
    assert [(signal.tier, signal.reason) for signal in counted] == [(RiskTier.CONCERN, "close to: an exemplar")]


def test_lexicon_hits_are_never_capped() -> None:
    signals = [veto("idiom"), LanguageSignal(RiskTier.URGENT, "lexicon", "words about ending their life")]
    assert combined_tier(signals, RULE) == RiskTier.URGENT


def test_lowest_cap_wins_and_unknown_detectors_need_certainty() -> None:
    signals = [veto("third_person"), veto("idiom"), semantic(RiskTier.CONCERN, 0.7)]
    assert combined_tier(signals, RULE) == RiskTier.NONE
    other = LanguageSignal(RiskTier.URGENT, "something-new", "x", 1.0)
    assert combined_tier([veto("idiom"), other], RULE) == RiskTier.NONE


def test_rule_is_data() -> None:
    rule = parse_combination_rule({"veto_caps": {"idiom": "CONCERN"}, "override_scores": {"semantic": 0.5}})
    assert combined_tier([veto("idiom"), semantic(RiskTier.URGENT, 0.4)], rule) == RiskTier.CONCERN
    assert combined_tier([veto("idiom"), semantic(RiskTier.URGENT, 0.5)], rule) == RiskTier.URGENT


def trained(tier: RiskTier, score: float = 0.9) -> LanguageSignal:
    return LanguageSignal(tier, "trained", f"trained model reads {tier.name}", score)


def test_a_word_list_urgent_hit_is_never_lowered_by_the_decider() -> None:
    lexicon_hit = LanguageSignal(RiskTier.URGENT, "lexicon", "words about ending their life")
    for decided in (RiskTier.NONE, RiskTier.CONCERN, RiskTier.URGENT):
        for score in (0.0, 0.5, 0.99):
            for extra in ([], [veto("idiom")], [veto("third_person"), veto("negation")]):
                signals = [*extra, lexicon_hit, trained(decided, score)]
                assert combined_tier(signals, RULE) == RiskTier.URGENT
                assert lexicon_hit in combine(signals, RULE)


def test_a_word_list_concern_hit_counts_and_the_decider_may_raise_it() -> None:
    lexicon_hit = LanguageSignal(RiskTier.CONCERN, "lexicon", "words of hopelessness")
    assert combine([lexicon_hit, trained(RiskTier.NONE)], RULE) == [lexicon_hit]
    assert combined_tier([lexicon_hit, trained(RiskTier.URGENT)], RULE) == RiskTier.URGENT


def test_the_decider_caps_other_model_signals_and_counts_past_verdicts() -> None:
    assert combine([semantic(RiskTier.URGENT, 0.95), trained(RiskTier.NONE)], RULE) == []
    counted = combine([semantic(RiskTier.URGENT, 0.95), trained(RiskTier.CONCERN)], RULE)
    assert [(signal.detector, signal.tier) for signal in counted] == [
        ("trained", RiskTier.CONCERN),
        ("semantic", RiskTier.CONCERN),
    ]
    assert combined_tier([veto("idiom"), trained(RiskTier.URGENT, 0.6)], RULE) == RiskTier.URGENT


def test_without_a_trained_reading_the_old_rules_apply() -> None:
    lexicon_hit = LanguageSignal(RiskTier.URGENT, "lexicon", "words about ending their life")
    assert combined_tier([lexicon_hit], RULE) == RiskTier.URGENT
    assert RULE.decider == "trained"
