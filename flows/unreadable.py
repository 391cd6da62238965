"""What Cairn cannot read: messages in other languages, and voice notes, photos, stickers and other media.

Cairn reads typed English only. Not being able to read must never look like "nothing wrong" (SAFETY.md), so:

- A message in another language (facts.unread_language, from bot/detect/language_id) gets, at once, a fixed text
  in that language (flows/catalogue/other_languages.po: drafts awaiting review by native speakers) saying the bot
  reads English only, the emergency number and the region's crisis numbers, with "🆘 Get help now". It is added
  to whatever the English reading decided, never instead of it: an URGENT crisis reply still comes first.
- A voice note, video note, audio, photo, video, document, sticker or any other media gets a plain line that
  Cairn reads typed messages only, one line on where help is, and "🆘 Get help now". Words that came with it (a
  caption, an edited message's new text) are read for crisis language like any message.
"""

from __future__ import annotations

from flows import crisis_language
from flows.callbacks import button_data
from flows.contact import HELP_FLOW
from flows.crisis import CrisisResource, CrisisResources
from flows.outcome import Button, Joined, Outcome, Reply, Text, reply
from flows.risk import RiskTier, strongest
from flows.snapshot import Facts

# Languages with a fixed text in flows/catalogue/other_languages.po; any other gets the English fallback ("und").
NOTICE_LANGUAGES = frozenset(
    {"pl", "ur", "pa", "bn", "ro", "ar", "lt", "pt", "es", "cy", "gd", "ga", "so", "de"}
    | {"fr", "it", "tr", "fa", "ru", "uk", "hi"}
)
UNDETERMINED = "und"
_CONTACT_SYMBOL = {"contact.call": "other_language.call", "contact.text": "other_language.text"}
HELP_LINE_RESOURCES = 2


def help_now_row() -> tuple[Button, ...]:
    """The "🆘 Get help now" button, as on every check-in message."""
    return (Button(Text("checkin.help_now"), button_data(HELP_FLOW, "now", "show")),)


def notice_key(language: str) -> str:
    """The catalogue key of the fixed text for a language (the English fallback if there is none)."""
    return f"other_language.{language if language in NOTICE_LANGUAGES else UNDETERMINED}"


def language_notice(facts: Facts) -> Reply | None:
    """The fixed notice for a message in a language Cairn does not read, or None for English."""
    language = facts.unread_language
    if language is None:
        return None
    return reply(Text(notice_key(language)), numbers(facts.crisis), buttons=(help_now_row(),))


def numbers(crisis: CrisisResources) -> Text:
    """Every crisis resource of the region as "• name: 📞 number", readable in any language."""
    lines = tuple(
        Text("other_language.resource_line", {"name": item.name, "contact": _symbol_contact(item)})
        for item in crisis.resources
    )
    return Text("other_language.resources", {"lines": lines})


def _symbol_contact(item: CrisisResource) -> Text:
    """A resource's number with a symbol for how to use it (📞 call, 💬 text), not an English verb."""
    return Text(_CONTACT_SYMBOL.get(item.contact_key, "other_language.call"), {"contact": item.contact})


def with_language_notice(outcome: Outcome, facts: Facts) -> Outcome:
    """Add the notice to what the English reading decided: after an URGENT crisis reply, otherwise first."""
    notice = language_notice(facts)
    if notice is None:
        return outcome
    added = Outcome(replies=(notice,))
    if strongest(list(facts.language)) is RiskTier.URGENT:
        return outcome.then(added)
    return added.then(outcome)


def help_line(crisis: CrisisResources) -> Text:
    """One line on where help is, from the region's first resources: "If you need help now: Samaritans, ..."."""
    parts = tuple(
        Text("unsupported.help_resource", {"name": item.name, "contact": _verb_contact(item)})
        for item in crisis.resources[:HELP_LINE_RESOURCES]
    )
    return Text("unsupported.help_line", {"resources": Joined(parts, "; ")})


def _verb_contact(item: CrisisResource) -> Text:
    """A resource's number with how to use it in English ("call 116 123")."""
    return Text(item.contact_key, {"contact": item.contact})


def on_media(kind: str, facts: Facts) -> Outcome:
    """Answer anything that is not typed text: it cannot be read, here is where help is, and the help button."""
    key = "unsupported.edited" if kind == "edited" else "unsupported.media"
    media = Outcome(replies=(reply(Text(key), help_line(facts.crisis), buttons=(help_now_row(),)),))
    urgent = crisis_language.on_language(facts)  # words that came with it (a caption, an edit) were read too
    outcome = urgent.then(media) if urgent is not None else media
    return with_language_notice(outcome, facts)
