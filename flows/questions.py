"""The consent questions, shared by onboarding and /privacy, and how an answer becomes a record."""

from __future__ import annotations

from dataclasses import dataclass

from flows.callbacks import button_data
from flows.consent import ConsentAction, ConsentEvent, ConsentScope, ConsentState, ShareLevel
from flows.outcome import Button, RecordConsent, Reply, Text
from flows.snapshot import Facts
from flows.texts import text_fingerprint

CONSENT_TEXT_VERSION = "2026-11-22"

YES = "yes"
NO = "no"
LEVEL_CHOICES: dict[str, ShareLevel] = {
    "flag_only": ShareLevel.FLAG_ONLY,
    "with_answers": ShareLevel.WITH_ANSWERS,
}


@dataclass(frozen=True)
class AskedQuestion:
    """A question ready to send, and the fingerprint of its exact wording."""

    reply: Reply
    fingerprint: str


def _question_key(scope: ConsentScope) -> str:
    return f"consent.{scope.value}.question"


def ask_consent(scope: ConsentScope, facts: Facts, flow: str, step: str, *, lead: Text | None = None) -> AskedQuestion:
    """Build a yes/no consent question for a scope, with nothing pre-selected."""
    question = Text(_question_key(scope), {"organisation": _organisation_name(facts)})
    buttons = (
        (
            Button(Text(f"consent.{scope.value}.yes"), button_data(flow, step, YES)),
            Button(Text(f"consent.{scope.value}.no"), button_data(flow, step, NO)),
        ),
    )
    parts = (lead, question) if lead else (question,)
    fingerprint = text_fingerprint(facts.catalogue.render(question))
    return AskedQuestion(Reply(parts=parts, buttons=buttons), fingerprint)


def ask_share_level(facts: Facts, flow: str, step: str) -> AskedQuestion:
    """Ask what a community worker may see; the fingerprint covers both sharing questions."""
    organisation = {"organisation": _organisation_name(facts)}
    question = Text("consent.share_level.question", organisation)
    buttons = tuple(
        (Button(Text(f"consent.share_level.{choice}"), button_data(flow, step, choice)),) for choice in LEVEL_CHOICES
    )
    shown = (Text(_question_key(ConsentScope.SHARE_FLAGS), organisation), question)
    fingerprint = text_fingerprint("\n\n".join(facts.catalogue.render(text) for text in shown))
    return AskedQuestion(Reply(parts=(question,), buttons=buttons), fingerprint)


def record_answer(
    scope: ConsentScope,
    *,
    given: bool,
    fingerprint: str,
    method: str,
    share_level: ShareLevel | None = None,
) -> RecordConsent:
    """Turn an answer to a consent question into an append-only record."""
    return RecordConsent(
        scope=scope,
        action=ConsentAction.GIVEN if given else ConsentAction.DECLINED,
        share_level=share_level if given else None,
        text_version=CONSENT_TEXT_VERSION,
        text_hash=fingerprint,
        method=method,
    )


def record_withdrawal(scope: ConsentScope, method: str) -> RecordConsent:
    """Record that the member took back a consent they had given."""
    return RecordConsent(
        scope=scope,
        action=ConsentAction.WITHDRAWN,
        share_level=None,
        text_version=CONSENT_TEXT_VERSION,
        text_hash="",
        method=method,
    )


def apply_record(consent: ConsentState, record: RecordConsent) -> ConsentState:
    """Return the member's consent as it will be once a record is written."""
    return consent.with_event(ConsentEvent(record.scope, ConsentAction(record.action), record.share_level))


def choices_summary(facts: Facts) -> Text:
    """Describe the member's current choices in plain words."""
    consent = facts.member.consent
    share = _answer(consent.share_flags)
    if consent.share_flags:
        share = Text(f"privacy.share.{(consent.share_level or ShareLevel.FLAG_ONLY).value}")
    return Text(
        "privacy.summary",
        {
            "organisation": _organisation_name(facts),
            "store": _answer(consent.store),
            "share": share,
            "news": _answer(consent.news),
        },
    )


def _answer(value: bool | None) -> Text:
    if value is None:
        return Text("privacy.answer.unset")
    return Text("privacy.answer.yes" if value else "privacy.answer.no")


def _organisation_name(facts: Facts) -> str:
    organisation = facts.member.organisation or (facts.start.organisation if facts.start else None)
    return organisation.name if organisation else ""
