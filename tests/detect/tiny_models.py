"""Build tiny BERT models on disk for tests: a WordPiece fast tokenizer and a 2-layer, 32-wide encoder."""

from __future__ import annotations

import json
from pathlib import Path

VOCABULARY = (
    "i want to die feel fine today queue is killing me ok low sad happy hopeless the a and not never "
    "everyone would be better off without tea cake rain work football"
)
LABELS = ("ok", "low", "crisis")


def _save_tokenizer(directory: Path) -> int:
    """Save a WordPiece fast tokenizer with a small vocabulary; return the vocabulary size."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab = {token: index for index, token in enumerate([*special, *dict.fromkeys(VOCABULARY.split())])}
    tokenizer = Tokenizer(models.WordPiece(vocab=vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=128,
    )
    fast.save_pretrained(str(directory))
    return len(vocab)


def _config(vocab_size: int, **extra: object) -> object:
    """Return a tiny BertConfig."""
    from transformers import BertConfig

    return BertConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
        **extra,
    )


def build_tiny_encoder(directory: Path) -> Path:
    """Save a tiny random BertModel and tokenizer (a stand-in for MiniLM's loading path)."""
    import torch
    from transformers import BertModel

    directory.mkdir(parents=True, exist_ok=True)
    vocab_size = _save_tokenizer(directory)
    torch.manual_seed(0)
    BertModel(_config(vocab_size)).save_pretrained(str(directory))
    return directory


def build_tiny_classifier(directory: Path, winner: str, label_map: dict[str, str] | None = None) -> Path:
    """Save a tiny BertForSequenceClassification whose bias makes `winner` the most likely label."""
    import torch
    from transformers import BertForSequenceClassification

    directory.mkdir(parents=True, exist_ok=True)
    vocab_size = _save_tokenizer(directory)
    config = _config(
        vocab_size,
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)),
        label2id={label: index for index, label in enumerate(LABELS)},
    )
    torch.manual_seed(0)
    model = BertForSequenceClassification(config)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor([10.0 if label == winner else 0.0 for label in LABELS]))
    model.save_pretrained(str(directory))
    if label_map is not None:
        (directory / "label_map.json").write_text(json.dumps(label_map), encoding="utf-8")
    return directory
