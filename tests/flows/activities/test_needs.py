"""Which events load activity facts: a message in crisis language never loads listings (pure)."""

from __future__ import annotations

from flows.activities.needs import Need, needed
from flows.inbound import ButtonPress, Command, TextMessage
from flows.risk import LanguageSignal, RiskTier
from flows.snapshot import ConversationPosition

URGENT = (LanguageSignal(RiskTier.URGENT, "lexicon", "words of intent"),)
CONCERN = (LanguageSignal(RiskTier.CONCERN, "lexicon", "hopelessness"),)
AT_THE_NOTE = ConversationPosition("ci", "note", {})
CHOOSING_AN_AREA = ConversationPosition("ac", "area", {})
WRITING_A_LISTING = ConversationPosition("lm", "name", {"mode": "add", "draft": {}})


def test_crisis_language_needs_no_listings_where_ordinary_words_would() -> None:
    for position in (AT_THE_NOTE, CHOOSING_AN_AREA):
        assert needed(TextMessage("fine"), position, {}) is Need.MEMBER, "a note finishes the check-in: suggestions"
        assert needed(TextMessage("crisis words"), position, {}, URGENT) is None, "the crisis reply is fixed text"
    assert needed(TextMessage("so tired of it"), AT_THE_NOTE, {}, CONCERN) is Need.MEMBER, "the check-in goes on"
    assert needed(TextMessage("crisis words"), None, {}, URGENT) is None


def test_a_coordinator_writing_a_listing_needs_only_that_listing() -> None:
    assert needed(TextMessage("Coffee morning"), WRITING_A_LISTING, {}) is Need.EDIT
    assert needed(TextMessage("crisis words"), WRITING_A_LISTING, {}, URGENT) is Need.EDIT, "one row, by id"
    assert needed(ButtonPress("lm:save:yes"), WRITING_A_LISTING, {}) is Need.EDIT
    assert needed(ButtonPress("lm:tag:walking"), WRITING_A_LISTING, {}) is Need.EDIT
    for step in ("menu", "epage", "pick", "cpick", "csess", "cyes"):
        assert needed(ButtonPress(f"lm:{step}:x"), WRITING_A_LISTING, {}) is Need.MANAGE, step
    assert needed(Command("listings"), None, {}) is Need.MANAGE
