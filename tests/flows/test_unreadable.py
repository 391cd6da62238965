"""What Cairn cannot read: media get a help line and the help button; other languages get a notice and numbers."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from flows.assistance import must_reach_the_member
from flows.inbound import Inbound, TextMessage, UnsupportedMessage
from flows.risk import LanguageSignal, RiskTier
from flows.snapshot import Facts
from flows.unreadable import NOTICE_LANGUAGES, notice_key
from tests.flows.dialogue import CATALOGUE, CRISIS, Dialogue

URGENT = (LanguageSignal(RiskTier.URGENT, "lexicon", "words of intent"),)
MEDIA = ("voice", "video_note", "audio", "photo", "video", "document", "sticker", "animation", "location", "other")
NUMBERS = [item.contact for item in CRISIS.resources]


@dataclass
class ReadingDialogue(Dialogue):
    """A dialogue where the next message can carry what the edge read in it: signals and an unread language."""

    language: tuple[LanguageSignal, ...] = ()
    unread_language: str | None = None

    def send(self, inbound: Inbound) -> list[str]:
        """Send any inbound event (a voice note, a photo) and return the rendered replies."""
        return self._run(inbound)

    def _facts(self, inbound: Inbound) -> Facts:
        return replace(super()._facts(inbound), language=self.language, unread_language=self.unread_language)


def onboarded() -> ReadingDialogue:
    d = ReadingDialogue()
    d.say("/start")
    d.tap("Yes, keep them")
    d.tap("Yes, that's OK")
    d.tap("Only that")
    d.tap("No thanks")
    return d


@pytest.mark.parametrize("kind", MEDIA)
def test_media_before_start_says_only_typed_messages_are_read_and_where_help_is(kind: str) -> None:
    d = ReadingDialogue()
    (answer,) = d.send(UnsupportedMessage(kind))
    assert "I can only read text you type" in answer
    assert "If you need help now: Samaritans, call 116 123; Shout, text SHOUT to 85258" in answer
    assert "999" in answer
    assert "🆘 Get help now" in d.last_buttons
    assert must_reach_the_member(d.outcomes[-1])


def test_the_help_button_under_a_voice_note_reply_works_before_start() -> None:
    d = ReadingDialogue()
    d.send(UnsupportedMessage("voice"))
    (crisis,) = d.tap("Get help now")
    assert "116 123" in crisis and "999" in crisis and "/start" not in crisis


def test_a_sticker_mid_check_in_gets_the_help_line_and_the_check_in_waits() -> None:
    d = onboarded()
    d.say("/checkin")
    (answer,) = d.send(UnsupportedMessage("sticker"))
    assert "I can only read text you type" in answer and "Samaritans" in answer
    assert d.member.conversation is not None and d.member.conversation.flow == "ci"


def test_an_edited_message_says_so_and_carries_the_help_line() -> None:
    d = onboarded()
    (answer,) = d.send(UnsupportedMessage("edited"))
    assert "I saw you changed a message" in answer and "Samaritans, call 116 123" in answer
    assert "🆘 Get help now" in d.last_buttons


def test_a_photo_with_an_urgent_caption_gets_the_crisis_reply_first() -> None:
    d = ReadingDialogue(language=URGENT)
    crisis, media = d.send(UnsupportedMessage("photo", "i want to end it tonight"))
    assert crisis.startswith("It sounds like things are really hard") and "116 123" in crisis
    assert "I can only read text you type" in media


def test_a_message_in_polish_before_start_gets_the_polish_notice_and_every_number_first() -> None:
    d = ReadingDialogue(unread_language="pl")
    notice, english = d.say("Chcę umrzeć")
    assert notice.startswith("Przepraszam, jestem botem") and "999" in notice
    assert all(number in notice for number in NUMBERS)
    assert "• Samaritans: 📞 116 123" in notice and "• Shout: 💬 SHOUT to 85258" in notice
    assert "Send /start" in english
    assert "🆘 Get help now" in d.last_buttons
    assert must_reach_the_member(d.outcomes[-1])


def test_urgent_english_reading_comes_before_the_notice() -> None:
    d = ReadingDialogue(language=URGENT, unread_language="de")
    crisis, notice = d.say("ich will sterben, i want to die")
    assert crisis.startswith("It sounds like things are really hard")
    assert notice.startswith("Entschuldigung, ich bin ein Bot")


def test_mid_onboarding_the_notice_comes_and_the_question_is_asked_again() -> None:
    d = ReadingDialogue()
    d.say("/start")
    d.unread_language = "so"
    replies = d.say("waan daalay")
    assert replies[0].startswith("Waan ka xumahay") and "116 123" in replies[0]
    assert "Please tap one of the buttons below." in replies[1:]


def test_in_a_check_in_the_note_is_kept_and_the_notice_comes_first() -> None:
    d = onboarded()
    d.say("/checkin")
    d.tap("Good")
    d.unread_language = "ro"
    replies = d.say("nu mai pot")
    assert replies[0].startswith("Îmi pare rău") and "116 123" in replies[0]
    assert len(replies) >= 2


def test_a_language_with_no_text_gets_the_english_fallback_with_the_numbers() -> None:
    d = ReadingDialogue(unread_language="und")
    notice, _ = d.say("ሰላም ነው")
    assert notice.startswith("Sorry, I am a bot and I can only read English") and "116 123" in notice


def test_english_gets_no_notice() -> None:
    d = ReadingDialogue()
    assert d.say("hello") == [CATALOGUE.render_reply(d.outcomes[-1].replies[0])]
    assert not any("only read English" in text for text in d.say("a want tae go hame"))


def test_every_language_with_a_notice_has_its_text_and_it_names_999() -> None:
    for language in (*NOTICE_LANGUAGES, "und"):
        text = CATALOGUE.template(notice_key(language))
        assert "999" in text, language
    assert notice_key("xx") == "other_language.und"


def test_a_plain_text_message_is_not_media() -> None:
    d = ReadingDialogue()
    assert not any("typed messages" in text for text in d.send(TextMessage("hello")))
