"""Optional classifier detector: any local Hugging Face text-classification model, its labels mapped to tiers."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from bot.detect.base import tier_named
from bot.detect.encoder import DEFAULT_THREADS, MAX_TOKENS, limit_threads
from flows.risk import LanguageSignal, RiskTier

LABEL_MAP_FILE = "label_map.json"


def load_label_map(model_dir: Path) -> dict[str, RiskTier] | None:
    """Read `label_map.json` ({model_label: tier name}) from a model directory, if it has one."""
    path = model_dir / LABEL_MAP_FILE
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{LABEL_MAP_FILE} must be an object of model label to tier name")
    return {str(label): tier_named(str(tier)) for label, tier in data.items()}


class ClassifierDetector:
    """Flags messages whose most likely label maps to CONCERN or URGENT, with enough confidence."""

    name = "classifier"

    def __init__(
        self,
        model_dir: Path | str,
        label_map: Mapping[str, RiskTier] | None = None,
        *,
        min_score: float = 0.5,
        threads: int = DEFAULT_THREADS,
        batch_size: int = 32,
    ) -> None:
        """Load the model offline; labels come from `label_map`, else label_map.json, and must cover the model."""
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        directory = Path(model_dir)
        if not directory.is_dir():
            raise FileNotFoundError("classifier directory does not exist")
        limit_threads(threads)
        mapping = dict(label_map) if label_map is not None else load_label_map(directory)
        if not mapping:
            raise ValueError(f"no label mapping given and no {LABEL_MAP_FILE} in the model directory")
        self.tokenizer = AutoTokenizer.from_pretrained(str(directory), local_files_only=True)
        self.model = AutoModelForSequenceClassification.from_pretrained(str(directory), local_files_only=True)
        self.model.eval()
        self.labels = [str(self.model.config.id2label[index]) for index in range(self.model.config.num_labels)]
        unknown = [label for label in self.labels if label not in mapping]
        if unknown:
            raise ValueError(f"label mapping does not cover the model's labels {unknown}")
        self.tiers = [mapping[label] for label in self.labels]
        self.min_score = min_score
        self.batch_size = batch_size

    def detect_batch(self, texts: Sequence[str]) -> list[list[LanguageSignal]]:
        """Return, per text, one signal when the most likely label maps above NONE."""
        import torch

        results: list[list[LanguageSignal]] = []
        with torch.inference_mode():
            for offset in range(0, len(texts), self.batch_size):
                batch = list(texts[offset : offset + self.batch_size])
                encoded = self.tokenizer(
                    batch, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt"
                )
                probabilities = torch.softmax(self.model(**encoded).logits, dim=-1)
                scores, indices = probabilities.max(dim=-1)
                for score, index in zip(scores.tolist(), indices.tolist(), strict=True):
                    tier = self.tiers[index]
                    if tier > RiskTier.NONE and score >= self.min_score:
                        reason = f"classifier label: {self.labels[index]}"
                        results.append([LanguageSignal(tier, self.name, reason, round(float(score), 4))])
                    else:
                        results.append([])
        return results
