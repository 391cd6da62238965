"""The risk corpus: split by writer, test split frozen, and training code that cannot read the test split."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import bot.detect.train as training
from bot.detect.combined import load_combination_rule
from bot.detect.corpus import (
    CorpusMessage,
    TestSplitRefused,
    check_not_test,
    load_for_tuning,
    load_split,
    plain,
    read_manifest,
)
from bot.detect.finetune import FineTuned
from flows.risk import RiskTier

CORPUS = Path(__file__).resolve().parents[1] / "data" / "risk_corpus"


def test_the_corpus_is_split_by_writer_with_a_large_enough_test_split() -> None:
    splits = read_manifest(CORPUS)
    assert splits == {"train": ("w1", "w2", "w3"), "dev": ("w4",), "test": ("w5",)}
    test = load_split(CORPUS, "test")
    assert len(test) >= 600 and {message.writer for message in test} == {"w5"}
    assert sum(message.english for message in load_split(CORPUS, "train")) >= 1500


def test_no_text_appears_twice_across_the_corpus() -> None:
    keys = Counter(plain(message.text) for split in ("train", "dev", "test") for message in load_split(CORPUS, split))
    assert max(keys.values()) == 1


def test_tuning_code_may_not_read_the_test_split() -> None:
    with pytest.raises(TestSplitRefused):
        load_for_tuning(CORPUS, "test")
    assert load_for_tuning(CORPUS, "dev")


def test_an_extra_training_file_from_the_test_split_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TestSplitRefused):
        check_not_test(CORPUS, [CORPUS / "w5.jsonl"])
    copied = tmp_path / "looks_innocent.jsonl"
    copied.write_text('{"text": "x", "label": "NONE", "kind": "plain", "lang": "en", "writer": "w5"}\n', "utf-8")
    with pytest.raises(TestSplitRefused):
        check_not_test(CORPUS, [copied])
    with pytest.raises(TestSplitRefused):
        training.main(["--corpus", str(CORPUS), "--extra", str(CORPUS / "w5.jsonl"), "--out", str(tmp_path / "o")])


def _tiny_corpus(folder: Path) -> None:
    """Write a corpus of three writers; the test writer's file is one training must never open."""
    lines = {
        "a": [("I want to end my life tonight", "URGENT"), ("feeling so alone lately", "CONCERN"), ("tea", "NONE")],
        "b": [("pills are ready", "URGENT"), ("cannot sleep at all", "CONCERN"), ("went swimming", "NONE")],
        "c": [("a secret test message", "URGENT"), ("another test line", "NONE")],
    }
    folder.mkdir()
    for writer, rows in lines.items():
        text = "".join(
            json.dumps({"text": t, "label": label, "kind": "plain", "lang": "en", "writer": writer}) + "\n"
            for t, label in rows
        )
        (folder / f"{writer}.jsonl").write_text(text, "utf-8")
    (folder / "splits.json").write_text(json.dumps({"train": ["a"], "dev": ["b"], "test": ["c"]}), "utf-8")


class FakeEncoder:
    """Stands in for MiniLM: a fixed vector per text length."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def encode(self, texts: list[str]) -> np.ndarray:
        rows = np.asarray([[len(text) % 7 + 1.0, 1.0, 0.5, 0.25] for text in texts], dtype=np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_training_never_opens_the_test_split(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = tmp_path / "corpus"
    _tiny_corpus(corpus)
    opened: list[str] = []
    real_read_text = Path.read_text

    def recording_read_text(self: Path, *args: object, **kwargs: object) -> str:
        opened.append(self.name)
        return real_read_text(self, *args, **kwargs)

    def fake_finetune(
        model_dir: str, texts: list[str], rows: np.ndarray, labels: list[int], settings: object
    ) -> FineTuned:
        return FineTuned({}, np.zeros((3, 4 + rows.shape[1]), np.float32), np.zeros(3, np.float32))

    monkeypatch.setattr(Path, "read_text", recording_read_text)
    monkeypatch.setattr(training, "finetune", fake_finetune)
    monkeypatch.setattr(training, "SentenceEncoder", FakeEncoder)
    head = training.train(corpus, None, (), tmp_path / "out", model_dir=tmp_path)
    assert "a.jsonl" in opened and "b.jsonl" in opened
    assert "c.jsonl" not in opened
    assert (tmp_path / "out" / "risk_head.json").exists() and head.about["trained_on"].startswith("3 English")


def test_rechoosing_thresholds_reads_dev_only_and_rewrites_only_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "corpus"
    _tiny_corpus(corpus)

    def fake_finetune(
        model_dir: str, texts: list[str], rows: np.ndarray, labels: list[int], settings: object
    ) -> FineTuned:
        return FineTuned({}, np.zeros((3, 4 + rows.shape[1]), np.float32), np.zeros(3, np.float32))

    monkeypatch.setattr(training, "finetune", fake_finetune)
    monkeypatch.setattr(training, "SentenceEncoder", FakeEncoder)
    trained = tmp_path / "trained"
    training.train(corpus, None, (), trained, model_dir=tmp_path)
    opened: list[str] = []
    real_read_text = Path.read_text

    def recording_read_text(self: Path, *args: object, **kwargs: object) -> str:
        opened.append(self.name)
        return real_read_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", recording_read_text)
    out = tmp_path / "rechosen"
    head = training.rechoose_thresholds(corpus, trained, out, model_dir=tmp_path)
    assert "b.jsonl" in opened and "a.jsonl" not in opened and "c.jsonl" not in opened
    assert sorted(path.name for path in out.iterdir()) == ["risk_head.json"]
    assert head.about["chosen_on"].startswith("dev split") and head.about["trained_on"].startswith("3 English")


def test_thresholds_are_chosen_recall_first_on_dev() -> None:
    urgent = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.15, 0.12, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55, 0.5, 0.45]
    labels = [RiskTier.URGENT] * 20 + [RiskTier.CONCERN] * 10 + [RiskTier.NONE] * 10
    rows = [[1.0 - u - 0.01, 0.01, u] for u in urgent]
    rows += [[1.0 - c, c - 0.05, 0.05] for c in (0.999, 0.999, 0.999, 0.999, 0.999, 0.999, 0.999, 0.999, 0.999, 0.6)]
    rows += [[0.99, 0.009, 0.001]] * 9 + [[0.5, 0.3, 0.2]]
    messages = [CorpusMessage(f"m{index}", label, "plain") for index, label in enumerate(labels)]
    choice = training.choose_thresholds(messages, [[] for _ in messages], np.asarray(rows), load_combination_rule())
    assert choice.urgent_recall >= training.URGENT_RECALL_GOAL
    assert choice.urgent_threshold == 0.15  # the highest threshold that keeps 19 of 20 URGENT messages
    assert choice.concern_recall >= training.CONCERN_RECALL_GOAL and choice.concern_threshold == 0.998
    assert choice.false_alarms == 0.1  # reported, not traded against recall
