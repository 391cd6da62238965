"""The evaluation set (size, labels, kinds, kept apart from the data files) and the targets it must meet."""

from __future__ import annotations

import json
import re
from collections import Counter
from importlib import resources
from pathlib import Path

import pytest

from bot.detect.combined import load_combination_rule
from bot.detect.evaluate import LABELS, evaluate, load_messages, main
from bot.detect.lexicon import LexiconDetector
from bot.detect.scoring import FALSE_ALARM_TARGET, URGENT_RECALL_TARGET
from bot.detect.semantic import SemanticDetector
from flows.risk import RiskTier

EVAL_PATH = Path(__file__).resolve().parents[1] / "data" / "risk_eval.jsonl"
HARD_NEGATIVE_NOTES = {"idiom", "negation", "sarcasm", "lyrics", "quote", "third_person", "past_tense"}
SPELLING_NOTES = {"typo", "slang"}


def rows() -> list[dict[str, str]]:
    return [json.loads(line) for line in EVAL_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]


def plain(text: str) -> str:
    """Lower-case a text and keep only its words, for comparing phrasing."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower().replace("’", "").replace("'", "")))


def test_eval_file_has_enough_valid_labelled_lines() -> None:
    data = rows()
    assert len(data) >= 300
    assert all(set(row) == {"text", "label", "note"} and row["text"].strip() and row["note"] for row in data)
    assert all(row["label"] in LABELS for row in data)
    counts = Counter(row["label"] for row in data)
    assert counts["URGENT"] >= 90 and counts["CONCERN"] >= 90 and counts["NONE"] >= 120
    assert len({plain(row["text"]) for row in data}) == len(data), "duplicate texts"


def test_eval_file_has_hard_negatives_and_spelling_variety() -> None:
    data = rows()
    none_notes = Counter(row["note"] for row in data if row["label"] == "NONE")
    assert set(none_notes) >= HARD_NEGATIVE_NOTES
    assert sum(none_notes[note] for note in HARD_NEGATIVE_NOTES) >= 50
    assert {row["note"] for row in data if row["label"] == "URGENT"} >= SPELLING_NOTES


def test_eval_texts_are_not_copied_into_the_data_files() -> None:
    exemplar_data = json.loads(resources.files("bot.detect").joinpath("data/exemplars.json").read_text("utf-8"))
    exemplars = {plain(phrase) for phrases in exemplar_data["exemplars"].values() for phrase in phrases}
    lexicon_text = plain(resources.files("bot.detect").joinpath("data/lexicon.json").read_text("utf-8"))
    for row in rows():
        text = plain(row["text"])
        assert text not in exemplars, f"an eval text equals an exemplar ({row['note']})"
        if len(text.split()) >= 3:
            assert f" {text} " not in f" {lexicon_text} ", f"an eval text is in the lexicon ({row['note']})"


def test_load_messages_rejects_a_bad_label(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "hi", "label": "MAYBE", "note": "plain"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.jsonl:1"):
        load_messages(path)


def test_lexicon_only_evaluation_meets_the_targets() -> None:
    scores = evaluate(load_messages(EVAL_PATH), [LexiconDetector()], load_combination_rule())
    combination = scores[-1]
    assert combination.recall_at_least(RiskTier.URGENT) >= URGENT_RECALL_TARGET
    assert combination.false_alarm_rate() <= FALSE_ALARM_TARGET


def test_combined_evaluation_meets_the_targets(minilm_detector: SemanticDetector) -> None:
    scores = evaluate(load_messages(EVAL_PATH), [LexiconDetector(), minilm_detector], load_combination_rule())
    by_name = {score.name: score for score in scores}
    combination = by_name["combination"]
    assert combination.recall_at_least(RiskTier.URGENT) >= URGENT_RECALL_TARGET
    assert combination.false_alarm_rate() <= FALSE_ALARM_TARGET
    assert combination.recall_at_least(RiskTier.URGENT) >= by_name["lexicon"].recall_at_least(RiskTier.URGENT)


def test_main_prints_the_table_and_notes_but_no_texts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data", str(EVAL_PATH), "--no-model"]) == 0
    printed = capsys.readouterr().out
    assert "lexicon" in printed and "combination" in printed and "NONE FA" in printed
    long_texts = [row["text"] for row in rows() if len(row["text"]) > 25]
    assert not any(text in printed for text in long_texts)
