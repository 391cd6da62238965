"""Fine-tune the top layers of MiniLM with the 3-class head (training only; torch, seeded, on the CPU).

The bottom layers stay frozen, so their output is computed once per message and cached; only the top
`top_layers` transformer layers and a linear head over [scale x mean-pooled embedding, word-list readings] are
trained, with class-balanced cross-entropy and AdamW. The trained layers are saved as float16 arrays (a few MB)
and loaded over the packaged MiniLM at run time by `FineTunedEncoder`.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FineTuneSettings:
    """What is trained and how: layers, epochs, learning rates, batch size, embedding scale, seed."""

    top_layers: int = 2
    epochs: int = 3
    layer_rate: float = 1e-4
    head_rate: float = 3e-3
    batch_size: int = 32
    scale: float = 10.0
    seed: int = 17
    max_tokens: int = 64


@dataclass(frozen=True)
class FineTuned:
    """The trained top layers (name -> array, as in the model's state dict) and the head's weights."""

    layers: dict[str, np.ndarray]
    head_weights: np.ndarray  # (3, dimension + lexicon features)
    head_bias: np.ndarray  # (3,)


def _mask(model: object, hidden: object, attention: object) -> object:
    """Return the attention mask a BERT layer expects, as the model itself builds it."""
    from transformers.masking_utils import create_bidirectional_mask

    return create_bidirectional_mask(config=model.config, inputs_embeds=hidden, attention_mask=attention)  # type: ignore[attr-defined]


def finetune(
    model_dir: str,
    texts: Sequence[str],
    lexicon_rows: np.ndarray,
    labels: Sequence[int],
    settings: FineTuneSettings | None = None,
) -> FineTuned:
    """Train the top layers and the head on standardised texts, word-list rows and class indices."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    settings = settings or FineTuneSettings()
    torch.manual_seed(settings.seed)
    generator = np.random.default_rng(settings.seed)
    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    model = AutoModel.from_pretrained(model_dir, local_files_only=True)
    model.eval()
    layers = model.encoder.layer
    bottom = len(layers) - settings.top_layers
    encoded = tokenizer(list(texts), padding=True, truncation=True, max_length=settings.max_tokens, return_tensors="pt")
    cached = []
    with torch.inference_mode():
        for start in range(0, len(texts), 64):
            ids = encoded["input_ids"][start : start + 64]
            attention = encoded["attention_mask"][start : start + 64]
            hidden = model.embeddings(input_ids=ids, token_type_ids=encoded["token_type_ids"][start : start + 64])
            mask = _mask(model, hidden, attention)
            for layer in layers[:bottom]:
                hidden = layer(hidden, mask)
            cached.append(hidden.clone())
    frozen = torch.cat(cached)
    attention_all = encoded["attention_mask"]
    top = copy.deepcopy(layers[bottom:])
    top.train()
    dimension = model.config.hidden_size
    lexicon = torch.tensor(lexicon_rows, dtype=torch.float32)
    head = torch.nn.Linear(dimension + lexicon.shape[1], 3)
    target = torch.tensor(list(labels), dtype=torch.long)
    counts = torch.bincount(target, minlength=3).clamp(min=1).float()
    loss_function = torch.nn.CrossEntropyLoss(weight=counts.sum() / (3 * counts))
    optimiser = torch.optim.AdamW(
        [
            {"params": top.parameters(), "lr": settings.layer_rate},
            {"params": head.parameters(), "lr": settings.head_rate},
        ],
        weight_decay=0.01,
    )
    lengths = attention_all.sum(dim=1).numpy()
    for _epoch in range(settings.epochs):
        for batch in _batches(lengths, settings.batch_size, generator):
            attention = attention_all[batch]
            width = int(attention.sum(dim=1).max())
            attention = attention[:, :width]
            hidden = frozen[batch, :width]
            mask = _mask(model, hidden, attention)
            for layer in top:
                hidden = layer(hidden, mask)
            pooled = pool(hidden, attention) * settings.scale
            logits = head(torch.cat([pooled, lexicon[batch]], dim=1))
            loss = loss_function(logits, target[batch])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    state = {
        f"encoder.layer.{bottom + index}.{name}": value.detach().numpy().astype(np.float16)
        for index, layer in enumerate(top)
        for name, value in layer.state_dict().items()
    }
    weights = head.weight.detach().numpy().astype(np.float32)
    return FineTuned(state, weights, head.bias.detach().numpy().astype(np.float32))


def _batches(lengths: np.ndarray, size: int, generator: np.random.Generator) -> list[object]:
    """Return shuffled batches of messages of similar length (less padding), in a shuffled order."""
    import torch

    order = generator.permutation(len(lengths))
    order = order[np.argsort(lengths[order], kind="stable")]
    batches = [torch.tensor(order[start : start + size]) for start in range(0, len(order), size)]
    return [batches[index] for index in generator.permutation(len(batches))]


def pool(hidden: object, attention: object) -> object:
    """Return the attention-masked mean of hidden states, L2-normalised (as SentenceEncoder does)."""
    import torch

    mask = attention.unsqueeze(-1).to(hidden.dtype)  # type: ignore[attr-defined]
    summed = (hidden * mask).sum(dim=1)
    return torch.nn.functional.normalize(summed / mask.sum(dim=1).clamp(min=1e-9), p=2, dim=1)
