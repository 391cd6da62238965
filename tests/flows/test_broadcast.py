"""/broadcast as dialogues: coordinators compose, preview and send; others are refused and audited."""

from __future__ import annotations

from dataclasses import dataclass, field

from flows.broadcast_message import MAX_TEXT, STOP_DATA
from flows.broadcast_model import (
    ActivityCard,
    AudienceFilter,
    AudienceProfile,
    BroadcastFacts,
    CreateBroadcast,
)
from flows.consent import ConsentAction, ConsentScope, ConsentState
from flows.inbound import ButtonPress, Command, Inbound, TextMessage
from flows.outcome import Audit, EndConversation, Outcome, RaiseAlert, RecordConsent
from flows.risk import LanguageSignal, RiskTier
from flows.snapshot import Facts, MemberSnapshot, StaffInfo
from tests.flows.dialogue import CATALOGUE, CRISIS, HILLSIDE, INSTRUMENTS, Dialogue

ONBOARDED = ConsentState(store=True, share_flags=False, news=True)
EVERYONE = (
    # (area, interests) of each member who asked for news: five of each, and two in EH8
    *[("EH6", frozenset({"walking", "art"}))] * 5,
    *[("EH6", frozenset({"walking"}))] * 5,
    *[("EH6", frozenset())] * 5,
    *[("EH7", frozenset({"art"}))] * 5,
    *[(None, frozenset({"walking"}))] * 5,
    *[("EH8", frozenset({"art"}))] * 2,
)
CARDS = (
    ActivityCard("svc-walk", "Leith walking group", "Tuesday 2 December, 10:00", "Leith Links, EH6 7QA", "Free"),
    ActivityCard("svc-art", "Art club", "Thursday 4 December, 14:00", "Ocean Terminal", "£3"),
)


@dataclass
class StaffDialogue(Dialogue):
    """A dialogue whose writer may be staff, with the broadcast facts the edge would load."""

    role: str | None = "coordinator"
    cards: tuple[ActivityCard, ...] = CARDS
    audience: AudienceProfile = field(default_factory=lambda: AudienceProfile.from_members(EVERYONE))
    language: tuple[LanguageSignal, ...] = ()

    def __post_init__(self) -> None:
        self.member = MemberSnapshot(registered=True, organisation=HILLSIDE, consent=ONBOARDED)

    def _facts(self, inbound: Inbound) -> Facts:
        staff = StaffInfo(HILLSIDE.id, self.role, "Sam", False) if self.role else None
        wanted = isinstance(inbound, Command | ButtonPress) or (
            self.member.conversation is not None and self.member.conversation.flow == "bc"
        )
        known = None
        if self.role == "coordinator" and wanted:
            cards = self.cards if isinstance(inbound, TextMessage) else ()
            known = BroadcastFacts(HILLSIDE.name, self.audience, cards, {"walking": "taxonomy.walking"})
        return Facts(
            self.member, CATALOGUE, CRISIS, self.now, None, INSTRUMENTS, self.language, 7, staff, broadcast=known
        )

    @property
    def last(self) -> Outcome:
        return self.outcomes[-1]


def effects_of(outcome: Outcome, kind: type) -> list[object]:
    return [effect for effect in outcome.effects if isinstance(effect, kind)]


def test_a_coordinator_writes_attaches_a_card_filters_previews_and_sends() -> None:
    talk = StaffDialogue()
    (ask,) = talk.say("/broadcast")
    assert "3,000 characters" in ask and "preview" in ask
    (card_question,) = talk.say("  Walk with us on Tuesday!  ")
    assert "activity card" in card_question
    assert set(talk.last_buttons) >= {"📍 Leith walking group", "📍 Art club", "No card"}
    (audience,) = talk.tap("Leith walking group")
    assert "27 people" in audience and "Any area" in audience
    talk.tap("Choose an area")
    assert set(talk.last_buttons) >= {"EH6 (15)", "EH7 (fewer than 10)", "EH8 (fewer than 10)", "Any area"}
    (audience,) = talk.tap("EH6 (15)")
    assert "15 people" in audience and "EH6" in audience
    talk.tap("Choose interests")
    assert set(talk.last_buttons) >= {"Walking (at least 10)", "art (fewer than 10)"}  # interests: never exact
    talk.tap("Walking (at least 10)")
    assert "✓ Walking (at least 10)" in talk.last_buttons
    (audience,) = talk.tap("Done")
    assert "at least 10 people" in audience and "Interests: Walking" in audience
    intro, shown, summary = talk.tap("Preview")
    assert "exactly what members will see" in intro
    assert shown.startswith("Walk with us on Tuesday!")
    assert "Leith walking group\n🗓 Tuesday 2 December, 10:00\n📍 Leith Links, EH6 7QA\n💷 Free" in shown
    assert "News from Hillside Community Hub" in shown
    preview = talk.last.replies[1]
    assert [[b.data for b in row] for row in preview.buttons] == [[STOP_DATA]]
    assert summary == "This will go to at least 10 people."
    (queued,) = talk.tap("Send")
    assert "on its way to at least 10 people" in queued
    (created,) = effects_of(talk.last, CreateBroadcast)
    assert created == CreateBroadcast(
        "Walk with us on Tuesday!", CARDS[0], AudienceFilter("EH6", frozenset({"walking"}))
    )
    assert Audit("broadcast_created", "organisation", HILLSIDE.id) in talk.last.effects
    assert talk.member.conversation is None


def test_without_activities_the_card_step_is_skipped_and_no_filter_reaches_everyone() -> None:
    talk = StaffDialogue(cards=())
    talk.say("/broadcast")
    (audience,) = talk.say("Lunch club is back")
    assert "27 people who asked for news" in audience
    _, shown, summary = talk.tap("Preview")
    assert "🗓" not in shown and summary == "This will go to 27 people."
    talk.tap("Send")
    (created,) = effects_of(talk.last, CreateBroadcast)
    assert created == CreateBroadcast("Lunch club is back", None, AudienceFilter())


def test_volunteers_and_members_are_refused_and_the_refusal_is_audited() -> None:
    for role, expected in (("volunteer", "only coordinators can send news"), (None, "only for community workers")):
        talk = StaffDialogue(role=role)
        (refusal,) = talk.say("/broadcast")
        assert expected in refusal
        assert [type(e) for e in talk.last.effects] == [Audit]
        assert talk.last.effects[0].action == "broadcast_refused"  # type: ignore[attr-defined]
        talk.press("bc:preview:send")
        assert talk.last.refused == "not_allowed" and not effects_of(talk.last, CreateBroadcast)
        assert effects_of(talk.last, Audit)


def test_forged_and_stale_buttons_change_nothing() -> None:
    talk = StaffDialogue()
    talk.press("bc:preview:send")
    assert talk.last.notice is not None and not talk.last.effects  # no compose in progress: stale
    talk.say("/broadcast")
    talk.say("Hello")
    talk.press("bc:preview:send")  # a step we are not at
    assert not effects_of(talk.last, CreateBroadcast) and talk.last.notice is not None
    talk.tap("No card")
    talk.tap("Choose an area")
    talk.press("bc:area:99")  # an area that was never offered
    assert talk.last.refused == "unknown_choice" and effects_of(talk.last, Audit)
    talk.press("bc:area:x9")
    assert talk.last.refused == "unknown_choice"
    assert talk.member.conversation is not None and talk.member.conversation.step == "area"


def test_change_the_message_or_the_audience_from_the_preview_then_cancel() -> None:
    talk = StaffDialogue(cards=())
    talk.say("/broadcast")
    talk.say("First words")
    talk.tap("Preview")
    talk.tap("Change")
    assert set(talk.last_buttons) == {"The message", "Who gets it", "Cancel"}
    talk.tap("The message")
    _, shown, _ = talk.say("Better words")  # back to the preview straight away
    assert shown.startswith("Better words")
    talk.tap("Change")
    talk.tap("Who gets it")
    talk.tap("Choose an area")
    talk.tap("EH7")
    _, _, summary = talk.tap("Preview")
    assert summary == "This will go to fewer than 10 people."
    (cancelled,) = talk.tap("Cancel")
    assert cancelled == "OK, nothing was sent."
    assert effects_of(talk.last, EndConversation) and not effects_of(talk.last, CreateBroadcast)


def test_a_message_too_long_is_refused_with_its_length_and_the_flow_waits() -> None:
    talk = StaffDialogue(cards=())
    talk.say("/broadcast")
    (warning,) = talk.say("x" * (MAX_TEXT + 1))
    assert "3,001 characters" in warning and "3,000" in warning
    assert talk.member.conversation is not None and talk.member.conversation.step == "text"


def test_a_narrowed_audience_of_a_few_people_is_not_counted_exactly_nor_sent_to() -> None:
    talk = StaffDialogue(cards=())
    talk.say("/broadcast")
    talk.say("Art club is back")
    talk.tap("Choose an area")
    (audience,) = talk.tap("EH8 (fewer than 10)")
    assert "fewer than 10 people" in audience and "2 people" not in audience
    _, _, summary = talk.tap("Preview")
    assert "groups of 5 or more" in summary and "Send" not in talk.last_buttons
    (refused,) = talk.press("bc:preview:send")  # a forged or stale Send is refused the same way
    assert "groups of 5 or more" in refused and not effects_of(talk.last, CreateBroadcast)


def test_nobody_in_the_audience_means_no_send_button() -> None:
    talk = StaffDialogue(cards=(), audience=AudienceProfile())
    talk.say("/broadcast")
    talk.say("Anyone there?")
    _, _, summary = talk.tap("Preview")
    assert "Nobody" in summary and "Send" not in talk.last_buttons


def test_a_coordinators_news_is_not_read_as_their_own_crisis() -> None:
    urgent = (LanguageSignal(RiskTier.URGENT, "lexicon", "words of intent"),)
    talk = StaffDialogue(cards=(), language=urgent)
    talk.say("/broadcast")
    audience, signpost = talk.say("Suicide prevention training on Monday")
    assert "people who asked for news" in audience and "116 123" not in audience
    assert "If those words are about you" in signpost and "/help" in signpost
    assert not effects_of(talk.last, RaiseAlert)


def test_a_coordinators_own_crisis_words_away_from_the_message_step_get_the_crisis_reply() -> None:
    urgent = (LanguageSignal(RiskTier.URGENT, "lexicon", "words of intent"),)
    talk = StaffDialogue(cards=(), language=urgent)
    talk.say("/broadcast")
    talk.say("Lunch club is back on Friday")
    talk.tap("Preview")
    replies = talk.say("I want to end my life tonight")
    assert any("116 123" in text for text in replies), replies


def test_stop_these_messages_withdraws_news_at_once_and_is_kind_about_it() -> None:
    talk = StaffDialogue(role=None)
    answer, _ = talk.press(STOP_DATA)
    assert answer == "You won't get news any more. You can turn it back on with /privacy."
    (record,) = effects_of(talk.last, RecordConsent)
    assert record.scope is ConsentScope.NEWS and record.action is ConsentAction.WITHDRAWN  # type: ignore[attr-defined]
    assert talk.member.consent.news is False
    talk.press(STOP_DATA)  # pressed again: same kind answer, no second record
    assert not effects_of(talk.last, RecordConsent)
    talk.press("bn:stop:other")
    assert talk.last.refused == "unknown_choice"


def test_audience_counts_follow_area_and_interest_filters() -> None:
    profile = AudienceProfile.from_members(EVERYONE)
    assert profile.count() == 27
    assert profile.count(AudienceFilter("EH6")) == 15
    assert profile.count(AudienceFilter(None, frozenset({"walking"}))) == 15
    assert profile.count(AudienceFilter("EH6", frozenset({"walking", "art"}))) == 10
    assert profile.count(AudienceFilter("EH9")) == 0
    assert profile.areas() == [("EH6", 15), ("EH7", 5), ("EH8", 2)]
    assert profile.interests("EH6") == [("walking", 10), ("art", 5)]


def test_the_preview_is_exactly_what_members_get() -> None:
    from flows.broadcast_message import member_message

    talk = StaffDialogue()
    talk.say("/broadcast")
    talk.say("Come along")
    talk.tap("Art club")
    talk.tap("Preview")
    assert talk.last.replies[1] == member_message("Come along", CARDS[1], HILLSIDE.name)
