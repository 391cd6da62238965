"""Copy the writers' corpus files into tests/data/risk_corpus/, dropping exact duplicates, and write splits.json.

Usage: python scripts/import_risk_corpus.py /work/corpus [--train w1,w2,w3 --dev w4 --test w5]
A text is kept once: within a writer the first copy stays; across writers, the copy in the later split wins
(test over dev over train), so the frozen test split is never thinned by another writer's duplicate. Prints
counts only, never texts.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from bot.detect.corpus import MANIFEST, SPLITS, plain, read_messages

TARGET = Path(__file__).resolve().parents[1] / "tests" / "data" / "risk_corpus"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("--train", default="w1,w2,w3")
    parser.add_argument("--dev", default="w4")
    parser.add_argument("--test", default="w5")
    args = parser.parse_args()
    splits = {name: getattr(args, name).split(",") for name in SPLITS}
    TARGET.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    for name in reversed(SPLITS):  # test first: its texts are never dropped for another split's copy
        for writer in splits[name]:
            lines = [line for line in (args.source / f"{writer}.jsonl").read_text("utf-8").splitlines() if line.strip()]
            messages = read_messages(args.source / f"{writer}.jsonl")
            kept, dropped = [], 0
            for line, message in zip(lines, messages, strict=True):
                key = plain(message.text)
                if not key or key in taken:
                    dropped += 1
                    continue
                taken.add(key)
                row = json.loads(line)
                row["writer"] = writer
                kept.append(json.dumps(row, ensure_ascii=False))
            (TARGET / f"{writer}.jsonl").write_text("\n".join(kept) + "\n", "utf-8")
            labels = Counter(json.loads(line)["label"] for line in kept)
            languages = Counter(json.loads(line).get("lang", "en") for line in kept)
            print(
                f"{name:<5} {writer}: kept {len(kept)}, dropped {dropped} duplicates; {dict(labels)}; "
                f"non-English {sum(count for lang, count in languages.items() if lang != 'en')}"
            )
    (TARGET / MANIFEST).write_text(json.dumps(splits, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
