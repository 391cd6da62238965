"""The message catalogue: every key the flows use exists, and the English stays plain."""

from __future__ import annotations

import re
from pathlib import Path

from flows.consent import ConsentScope
from flows.texts import load_catalogue
from models import member_data

FLOWS = Path(__file__).resolve().parents[2] / "flows"
CATALOGUE = load_catalogue()


def keys_written_in_flows() -> set[str]:
    pattern = re.compile(r'Text\(\s*"([a-z_.0-9]+)"')
    return {key for path in FLOWS.rglob("*.py") for key in pattern.findall(path.read_text())}


def keys_built_in_flows() -> set[str]:
    scopes = [scope.value for scope in ConsentScope]
    keys = {f"consent.{s}.{part}" for s in scopes for part in ("question", "yes", "no")}
    keys |= {f"privacy.button.{s}_{switch}" for s in scopes for switch in ("on", "off")}
    keys |= {f"privacy.changed.{s}_{switch}" for s in scopes for switch in ("on", "off")}
    keys |= {f"status.{status}" for status in ("active", "paused", "stopped")}
    keys |= {f"role.{role}" for role in ("coordinator", "volunteer")}
    keys |= {f"data_kind.{table.name}" for table in member_data.member_tables()}
    keys |= {"consent.share_level.flag_only", "consent.share_level.with_answers"}
    return keys


def test_every_key_used_by_the_flows_is_in_the_catalogue() -> None:
    missing = sorted(key for key in keys_written_in_flows() | keys_built_in_flows() if not CATALOGUE.has(key))
    assert missing == []


def test_member_facing_sentences_are_short() -> None:
    long_sentences = []
    for key, text in CATALOGUE.messages.items():
        for sentence in re.split(r"[.!?\n]+", text):
            if len(sentence.split()) > 25:
                long_sentences.append((key, sentence.strip()))
    assert long_sentences == []


def test_crisis_and_help_texts_never_promise_that_someone_will_come() -> None:
    for key in ("crisis.opening", "crisis.closing", "help.about", "help.about_generic", "help.danger"):
        text = CATALOGUE.messages[key].lower()
        assert "will come" not in text and "on their way" not in text
    assert "can't send" in CATALOGUE.messages["crisis.closing"]


def test_staff_are_told_truthfully_who_reads_a_note_they_write() -> None:
    """A resolve note is read by its writer, the organisation's coordinators (dashboard) and the member (/mydata)."""
    templates = Path(__file__).resolve().parents[2] / "bot" / "web" / "dashboard" / "templates"
    hint = re.search(r'id="note-hint">(.*?)</p>', (templates / "alert.html").read_text(), re.DOTALL)
    assert hint is not None
    for text in (CATALOGUE.messages["alert.ask_note"], " ".join(hint.group(1).split())):
        assert "private" not in text.lower(), text
        assert "you" in text.lower() and "coordinators" in text and "/mydata" in text, text
    every_text = " ".join(CATALOGUE.messages.values()) + " ".join(path.read_text() for path in templates.glob("*.html"))
    assert "kept private" not in every_text.lower()
