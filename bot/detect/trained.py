"""The trained detector: MiniLM with fine-tuned top layers and a 3-class head that also reads the word list.

Each message is standardised first (bot.detect.spelling: dialect, text-speak, leetspeak, repeated letters). The
sentence embedding of the standardised message comes from the packaged all-MiniLM-L6-v2 with its top layers
replaced by the fine-tuned ones (bot/detect/data/risk_encoder.npz, float16); the head (risk_head.npz, with its
settings and dev-chosen thresholds in risk_head.json) reads that embedding and the word list's hits and verdicts
(on the message as written and as standardised). Everything loads offline and without pickle;
`python -m bot train-risk` writes all three files. A message is URGENT when P(URGENT) reaches its threshold,
else CONCERN when P(CONCERN) + P(URGENT) reaches the CONCERN threshold, else NONE.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from bot.detect.base import LexiconVeto, tier_named
from bot.detect.encoder import DEFAULT_THREADS, SentenceEncoder, default_model_dir, limit_threads
from bot.detect.lexicon import LexiconDetector
from bot.detect.spelling import standardise
from flows.risk import LanguageSignal, RiskTier

HEAD_WEIGHTS = "risk_head.npz"
HEAD_SETTINGS = "risk_head.json"
ENCODER_WEIGHTS = "risk_encoder.npz"
CLASSES = (RiskTier.NONE, RiskTier.CONCERN, RiskTier.URGENT)


class Encoder(Protocol):
    """Anything that turns texts into unit-length vectors (rows of a torch tensor or numpy array)."""

    def encode(self, texts: Sequence[str]) -> Any:
        """Return one L2-normalised row per text."""
        ...


def lexicon_feature(signal: LanguageSignal) -> str:
    """Name a word-list signal as a feature: a verdict by its kind, a hit by its tier and reason."""
    if isinstance(signal, LexiconVeto):
        return f"verdict|{signal.kind}"
    return f"{signal.tier.name}|{signal.reason}"


@dataclass(frozen=True)
class RiskHead:
    """The head's weights, the word-list features it reads, and the thresholds chosen on the dev split."""

    embedding_weights: np.ndarray  # (3, embedding dimension)
    bias: np.ndarray  # (3,)
    embedding_scale: float
    thresholds: Mapping[RiskTier, float]
    lexicon_names: tuple[str, ...] = ()
    lexicon_weights: np.ndarray = field(default_factory=lambda: np.zeros((3, 0), np.float32))
    about: Mapping[str, Any] = field(default_factory=dict)

    def lexicon_rows(self, readings: Sequence[Sequence[LanguageSignal]]) -> np.ndarray:
        """Return (n, k) indicators of the word list's hits and verdicts, in the order of `lexicon_names`."""
        position = {name: index for index, name in enumerate(self.lexicon_names)}
        rows = np.zeros((len(readings), len(self.lexicon_names)), dtype=np.float32)
        for row, signals in enumerate(readings):
            for signal in signals:
                index = position.get(lexicon_feature(signal))
                if index is not None:
                    rows[row, index] = 1.0
        return rows

    def probabilities(self, embeddings: np.ndarray, lexicon_rows: np.ndarray) -> np.ndarray:
        """Return (n, 3) class probabilities (NONE, CONCERN, URGENT)."""
        logits = self.embedding_scale * (np.asarray(embeddings, dtype=np.float32) @ self.embedding_weights.T)
        logits = logits + self.bias + lexicon_rows @ self.lexicon_weights.T
        logits = logits - logits.max(axis=1, keepdims=True)
        exponents = np.exp(logits)
        return exponents / exponents.sum(axis=1, keepdims=True)

    def tier(self, probabilities: np.ndarray) -> tuple[RiskTier, float]:
        """Return the tier one row of probabilities reaches, with the probability that decided it."""
        urgent = float(probabilities[2])
        concern_or_more = float(probabilities[1] + probabilities[2])
        if urgent >= self.thresholds[RiskTier.URGENT]:
            return RiskTier.URGENT, urgent
        if concern_or_more >= self.thresholds[RiskTier.CONCERN]:
            return RiskTier.CONCERN, concern_or_more
        return RiskTier.NONE, 1.0 - concern_or_more


def parse_head(settings: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> RiskHead:
    """Build a head from its settings and arrays, raising ValueError on anything malformed."""
    try:
        thresholds = {tier_named(name): float(value) for name, value in settings["thresholds"].items()}
        head = RiskHead(
            embedding_weights=np.asarray(arrays["embedding_weights"], dtype=np.float32),
            bias=np.asarray(arrays["bias"], dtype=np.float32),
            embedding_scale=float(settings["embedding_scale"]),
            thresholds=thresholds,
            lexicon_names=tuple(str(name) for name in settings["lexicon_features"]),
            lexicon_weights=np.asarray(arrays["lexicon_weights"], dtype=np.float32),
            about=dict(settings.get("about", {})),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"risk head is malformed ({type(error).__name__}: {error})") from error
    classes = len(CLASSES)
    if head.embedding_weights.ndim != 2 or head.embedding_weights.shape[0] != classes or head.bias.shape != (classes,):
        raise ValueError("risk head is malformed (weights)")
    if head.lexicon_weights.shape != (classes, len(head.lexicon_names)):
        raise ValueError("risk head is malformed (word-list weights do not match their names)")
    if set(thresholds) != {RiskTier.URGENT, RiskTier.CONCERN}:
        raise ValueError("risk head needs thresholds for URGENT and CONCERN")
    return head


def _read_arrays(stream: Any) -> dict[str, np.ndarray]:
    """Read every array of an .npz file, refusing pickled objects."""
    with np.load(stream, allow_pickle=False) as loaded:
        return {name: loaded[name] for name in loaded.files}


def load_artefact(directory: Path | None = None) -> tuple[RiskHead, dict[str, np.ndarray]]:
    """Load the head and the fine-tuned encoder layers (default: the packaged bot/detect/data/risk_*)."""
    if directory is None:
        files = resources.files("bot.detect").joinpath("data")
        settings = json.loads(files.joinpath(HEAD_SETTINGS).read_text(encoding="utf-8"))
        with files.joinpath(HEAD_WEIGHTS).open("rb") as stream:
            arrays = _read_arrays(stream)
        with files.joinpath(ENCODER_WEIGHTS).open("rb") as stream:
            layers = _read_arrays(stream)
    else:
        settings = json.loads((directory / HEAD_SETTINGS).read_text(encoding="utf-8"))
        arrays = _read_arrays(directory / HEAD_WEIGHTS)
        layers = _read_arrays(directory / ENCODER_WEIGHTS)
    return parse_head(settings, arrays), layers


def save_artefact(head: RiskHead, layers: Mapping[str, np.ndarray], directory: Path) -> None:
    """Write the head (float32 .npz and JSON settings) and the fine-tuned layers (float16 .npz)."""
    directory.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        directory / HEAD_WEIGHTS,
        embedding_weights=head.embedding_weights.astype(np.float32),
        bias=head.bias.astype(np.float32),
        lexicon_weights=head.lexicon_weights.astype(np.float32),
    )
    np.savez_compressed(
        directory / ENCODER_WEIGHTS, **{name: array.astype(np.float16) for name, array in layers.items()}
    )
    save_settings(head, directory)


def save_settings(head: RiskHead, directory: Path) -> None:
    """Write the head's JSON settings (what it is, its thresholds, the word-list features it reads)."""
    directory.mkdir(parents=True, exist_ok=True)
    settings = {
        "about": dict(head.about),
        "embedding_scale": head.embedding_scale,
        "thresholds": {tier.name: round(value, 4) for tier, value in head.thresholds.items()},
        "lexicon_features": list(head.lexicon_names),
    }
    (directory / HEAD_SETTINGS).write_text(json.dumps(settings, indent=2, ensure_ascii=False) + "\n", "utf-8")


def to_numpy(rows: Any) -> np.ndarray:
    """Return encoder output (a torch tensor or an array) as a float32 numpy array."""
    if hasattr(rows, "detach"):
        rows = rows.detach().cpu().numpy()
    return np.asarray(rows, dtype=np.float32)


def read_message(text: str, lexicon: LexiconDetector) -> tuple[str, list[LanguageSignal]]:
    """Return a message standardised, with the word list's reading of it as written and as standardised."""
    standard = standardise(text)
    return standard or " ", [*lexicon.detect(text), *lexicon.detect(standard)]


class TrainedDetector:
    """Reads standardised messages with the trained model; under the combination rule its reading may raise a
    message's tier but never lowers a word-list hit.

    It returns one reading per message, NONE included, so the combination rule knows it has read it.
    """

    name = "trained"

    def __init__(
        self,
        model_dir: Path | str | None = None,
        artefact_dir: Path | None = None,
        *,
        threads: int = DEFAULT_THREADS,
        encoder: Encoder | None = None,
        head: RiskHead | None = None,
        lexicon: LexiconDetector | None = None,
    ) -> None:
        """Load the head and the fine-tuned MiniLM (default: packaged), offline; a bad artefact raises."""
        layers: dict[str, np.ndarray] = {}
        if head is None:
            head, layers = load_artefact(artefact_dir)
        self.head = head
        self.lexicon = lexicon or LexiconDetector()
        if encoder is None:
            limit_threads(threads)
            encoder = SentenceEncoder(model_dir or default_model_dir(), overrides=layers)
        self.encoder = encoder

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Return (n, 3) probabilities (NONE, CONCERN, URGENT) per message."""
        if not texts:
            return np.zeros((0, len(CLASSES)), dtype=np.float32)
        read = [read_message(text, self.lexicon) for text in texts]
        embeddings = to_numpy(self.encoder.encode([standard for standard, _ in read]))
        return self.head.probabilities(embeddings, self.head.lexicon_rows([found for _, found in read]))

    def detect_batch(self, texts: Sequence[str]) -> list[list[LanguageSignal]]:
        """Return, per text, one reading: URGENT, CONCERN or NONE, with the probability that decided it."""
        results: list[list[LanguageSignal]] = []
        for row in self.probabilities(texts):
            tier, score = self.head.tier(row)
            results.append([LanguageSignal(tier, self.name, f"trained model reads {tier.name}", round(score, 4))])
        return results
