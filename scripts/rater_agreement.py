"""Agreement between a second rater and the writers' labels: percent and Cohen's kappa (prints no texts).

Usage: python scripts/rater_agreement.py tests/data/risk_corpus/rater2.jsonl [tests/data/risk_corpus]
The rater's file holds {"text", "label"} (and optionally "id"); each text is matched to the corpus by its words.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from bot.detect.corpus import SPLITS, load_split, plain

LABELS = ("URGENT", "CONCERN", "NONE")


def kappa(pairs: list[tuple[str, str]]) -> float:
    """Return Cohen's kappa for two raters' labels."""
    total = len(pairs)
    observed = sum(first == second for first, second in pairs) / total
    firsts, seconds = Counter(first for first, _ in pairs), Counter(second for _, second in pairs)
    expected = sum(firsts[label] * seconds[label] for label in LABELS) / (total * total)
    return (observed - expected) / (1 - expected) if expected < 1 else 1.0


def main() -> int:
    rater_path = Path(sys.argv[1])
    corpus = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("tests/data/risk_corpus")
    writers = {plain(m.text): (m.label.name, m.writer) for split in SPLITS for m in load_split(corpus, split)}
    rows = [json.loads(line) for line in rater_path.read_text("utf-8").splitlines() if line.strip()]
    pairs, by_writer, unmatched = [], Counter(), 0
    for row in rows:
        found = writers.get(plain(row["text"]))
        if found is None:
            unmatched += 1
            continue
        pairs.append((found[0], row["label"]))
        by_writer[found[1]] += 1
    agree = sum(first == second for first, second in pairs)
    print(
        f"rated {len(rows)}, matched {len(pairs)} (unmatched {unmatched}); by writer {dict(sorted(by_writer.items()))}"
    )
    print(f"agreement {agree}/{len(pairs)} = {agree / len(pairs):.3f}; Cohen's kappa {kappa(pairs):.3f}")
    confusion = Counter(pairs)
    print("writer label -> rater label: " + ", ".join(f"{a}->{b} {n}" for (a, b), n in sorted(confusion.items())))
    binary = [(a != "NONE", b != "NONE") for a, b in pairs]
    print(f"flag (CONCERN or URGENT) vs NONE agreement {sum(a == b for a, b in binary) / len(binary):.3f}")
    urgent = [(a == "URGENT", b == "URGENT") for a, b in pairs]
    print(f"URGENT vs not agreement {sum(a == b for a, b in urgent) / len(urgent):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
