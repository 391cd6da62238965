"""Every non-English message written by independent writers gets the crisis numbers, through the flows.

The messages in tests/data/risk_corpus/other_languages.jsonl are the non-English lines of the corpus writers'
files (/work/corpus/w*.jsonl, issue 17), copied unchanged. Each goes through the real language identifier and the
router, as a member before /start and as an onboarded member, and the replies must carry 999 and every crisis
number of the region.

Measure a set of corpus files (non-English share with the numbers; English lines called foreign, counted only):

    PYTHONPATH=. python -m tests.detect.test_other_languages_corpus /work/corpus/w*.jsonl
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.detect.language_id import LanguageIdentifier
from flows import router
from flows.consent import ConsentAction, ConsentEvent, ConsentScope, ConsentState, ShareLevel
from flows.inbound import TextMessage
from flows.snapshot import Facts, MemberSnapshot
from tests.flows.dialogue import CATALOGUE, CRISIS, HILLSIDE

CORPUS = Path(__file__).resolve().parents[1] / "data" / "risk_corpus" / "other_languages.jsonl"
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
CONSENTED = ConsentState.from_events(
    [
        ConsentEvent(ConsentScope.STORE, ConsentAction.GIVEN, None),
        ConsentEvent(ConsentScope.SHARE_FLAGS, ConsentAction.GIVEN, ShareLevel.FLAG_ONLY),
    ]
)
MEMBERS = {
    "before_start": MemberSnapshot(registered=False),
    "onboarded": MemberSnapshot(registered=True, organisation=HILLSIDE, consent=CONSENTED),
}


def read_lines(path: Path) -> list[dict[str, str]]:
    """Read one JSONL file of corpus lines."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def replies_for(text: str, identifier: LanguageIdentifier, member: MemberSnapshot) -> list[str]:
    """Run one message through the flows as the bot does, with its identified language."""
    found = identifier.identify(text)
    facts = replace(
        Facts(member, CATALOGUE, CRISIS, NOW, member_id=1 if member.registered else None),
        unread_language=None if found.english else found.language,
    )
    return [CATALOGUE.render_reply(each) for each in router.handle(TextMessage(text), facts).replies]


def gets_the_crisis_numbers(replies: list[str]) -> bool:
    """Say whether the replies carry 999 and every crisis number of the region."""
    text = "\n".join(replies)
    return "999" in text and all(item.contact in text for item in CRISIS.resources)


@pytest.fixture(scope="module")
def identifier() -> LanguageIdentifier:
    """The real identifier, lingua's models loaded (shared per process)."""
    return LanguageIdentifier.load()


@pytest.mark.parametrize("who", sorted(MEMBERS))
def test_every_non_english_corpus_message_gets_the_crisis_numbers(identifier: LanguageIdentifier, who: str) -> None:
    lines = read_lines(CORPUS)
    assert len(lines) >= 20 and all(line["lang"] != "en" for line in lines)
    member = MEMBERS[who]
    missed = [line for line in lines if not gets_the_crisis_numbers(replies_for(line["text"], identifier, member))]
    assert [(line["lang"], line["text"]) for line in missed] == []


def measure(paths: list[Path]) -> None:
    """Print, per file and overall, the share of non-English lines that get the numbers, and English called foreign."""
    identifier = LanguageIdentifier.load()
    totals: Counter[str] = Counter()
    for path in paths:
        counts: Counter[str] = Counter()
        for line in read_lines(path):
            if line.get("lang", "en") == "en":
                counts["english"] += 1
                counts["english_called_foreign"] += not identifier.identify(line["text"]).english
                continue
            counts["other"] += 1
            if gets_the_crisis_numbers(replies_for(line["text"], identifier, MEMBERS["before_start"])):
                counts["other_with_numbers"] += 1
            else:
                print(f"  missed: {path.name} lang={line['lang']} {line['text']!r}")
        totals.update(counts)
        print(f"{path.name}: {_summary(counts)}")
    print(f"all {len(paths)} files: {_summary(totals)}")


def _summary(counts: Counter[str]) -> str:
    other, english = counts["other"], counts["english"]
    share = counts["other_with_numbers"] / other if other else float("nan")
    wrong = counts["english_called_foreign"]
    return (
        f"non-English with the crisis numbers {counts['other_with_numbers']}/{other} ({share:.1%}); "
        f"English called foreign {wrong}/{english} ({wrong / english if english else 0:.1%})"
    )


if __name__ == "__main__":
    measure([Path(name) for name in sys.argv[1:]])
