"""The check-in: mood on five points, an optional few words, sometimes a short instrument, then a warm reply.

With STORE consent each answer is stored as it comes; without it the check-in lives in memory only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flows.activities.suggestions import after_checkin
from flows.assessment import CheckInSummary, assess, assessment_reply
from flows.callbacks import ButtonChoice, button_data
from flows.consent import ConsentScope
from flows.outcome import (
    Button,
    Effect,
    EndConversation,
    FinishCheckIn,
    Joined,
    KeepEphemeral,
    Outcome,
    PostponePrompt,
    RaiseAlert,
    RecordCheckInAnswer,
    RecordCheckInNote,
    RecordInstrumentScore,
    Reply,
    SaveConversation,
    StartCheckIn,
    Text,
    reply,
)
from flows.risk import LanguageSignal, RiskTier
from flows.schedule import CheckInPlan, local_day
from flows.snapshot import Facts

FLOW = "ci"
MOODS = {5: "great", 4: "good", 3: "okay", 2: "low", 1: "very_low"}
CLOSING_VARIANTS = 3
MAX_NOTE_CHARACTERS = 2000


def mood_buttons(*, prompted: bool = False) -> tuple[tuple[Button, ...], ...]:
    """The mood scale (words with the emoji), then prompt controls, then help that is always there."""
    mood = lambda value: Button(Text(f"mood.{MOODS[value]}"), button_data(FLOW, "mood", str(value)))  # noqa: E731
    rows: list[tuple[Button, ...]] = [(mood(5), mood(4)), (mood(3),), (mood(2), mood(1))]
    if prompted:
        rows.append(
            (
                Button(Text("checkin.snooze"), button_data(FLOW, "prompt", "snooze")),
                Button(Text("checkin.skip_today"), button_data(FLOW, "prompt", "skip")),
            )
        )
    return (*rows, *help_rows())


def help_rows() -> tuple[tuple[Button, ...], ...]:
    """ "Get help now" and "I'd like someone to get in touch": on every check-in message."""
    return (
        (Button(Text("checkin.help_now"), button_data("hp", "now", "show")),),
        (Button(Text("checkin.contact"), button_data("ct", "ask", "yes")),),
    )


def prompt_reply() -> Reply:
    """The scheduled prompt: the first question, with snooze and skip."""
    return reply(Text("checkin.prompt"), buttons=mood_buttons(prompted=True))


def start(facts: Facts) -> Outcome:
    """Handle /checkin: offer to carry on today's check-in, or begin a new one."""
    position = facts.member.conversation
    if position is not None and position.flow == FLOW:
        if position.data.get("day") == _today(facts):
            buttons = (
                (Button(Text("checkin.carry_on"), button_data(FLOW, "resume", "carry_on")),),
                (Button(Text("checkin.start_again"), button_data(FLOW, "resume", "restart")),),
            )
            return Outcome(replies=(reply(Text("checkin.resume_question"), buttons=buttons),))
        return _abandon(facts).then(_begin(facts))
    return _begin(facts)


def on_button(choice: ButtonChoice, facts: Facts) -> Outcome:
    """Handle a check-in button."""
    position = facts.member.conversation
    current = position if position is not None and position.flow == FLOW else None
    if choice.step == "prompt":
        return _postpone(choice.choice, facts)
    if choice.step == "mood":
        if choice.choice not in {str(value) for value in MOODS}:
            return Outcome(refused="unknown_choice")
        if current is None or current.data.get("day") != _today(facts) or current.step != "mood":
            begun = _abandon(facts) if current is not None else Outcome()
            data = _new_data(facts)
            begun = begun.then(Outcome(effects=_start_effects(facts, data)))
            return begun.then(_after_mood(facts, data, int(choice.choice)))
        return _after_mood(facts, dict(current.data), int(choice.choice))
    if current is None:
        return Outcome(notice=Text("buttons.stale"))
    if choice.step == "resume":
        if choice.choice == "carry_on":
            return _ask(facts, dict(current.data), current.step)
        if choice.choice == "restart":
            return _abandon(facts).then(_begin(facts))
        return Outcome(refused="unknown_choice")
    if choice.step != current.step:
        return Outcome(notice=Text("buttons.stale")).then(_ask(facts, dict(current.data), current.step))
    if choice.step == "note" and choice.choice == "skip":
        return _after_note(facts, dict(current.data))
    if choice.step == "item":
        return _on_item(facts, dict(current.data), choice.choice)
    return Outcome(refused="unknown_choice")


def on_text(text: str, facts: Facts) -> Outcome:
    """Handle typed text during a check-in: the note step takes it; other steps ask for a button."""
    position = facts.member.conversation
    assert position is not None and position.flow == FLOW
    data = dict(position.data)
    if position.step == "note":
        note = text.strip()[:MAX_NOTE_CHARACTERS]
        effects: tuple[Effect, ...] = (RecordCheckInNote(note),) if _stores(facts) and note else ()
        data["wrote_note"] = bool(note)
        data["language"] = [
            [int(sig.tier), sig.detector, sig.reason] for sig in facts.language if sig.tier > RiskTier.NONE
        ]
        return Outcome(effects=effects).then(_after_note(facts, data))
    return Outcome(replies=(reply(Text("buttons.please_use")),)).then(_ask(facts, data, position.step))


def _begin(facts: Facts) -> Outcome:
    data = _new_data(facts)
    return Outcome(effects=_start_effects(facts, data)).then(_ask(facts, data, "mood"))


def _new_data(facts: Facts) -> dict[str, Any]:
    plan = facts.member.plan or CheckInPlan()
    due = plan.instrument_id if plan.instrument_id in facts.instruments else None
    if due and facts.member.checkins_since_instrument + 1 < max(plan.instrument_every, 1):
        due = None
    return {"day": _today(facts), "instrument": due, "answers": {}, "item": 0}


def _start_effects(facts: Facts, data: Mapping[str, Any]) -> tuple[Effect, ...]:
    return (StartCheckIn(str(data["day"]), data.get("instrument")),) if _stores(facts) else ()


def _after_mood(facts: Facts, data: dict[str, Any], mood: int) -> Outcome:
    data["mood"] = mood
    stored: tuple[Effect, ...] = (RecordCheckInAnswer("mood", mood),) if _stores(facts) else ()
    return Outcome(effects=stored, notice=Text(f"mood.{MOODS[mood]}")).then(_ask(facts, data, "note"))


def _after_note(facts: Facts, data: dict[str, Any]) -> Outcome:
    if data.get("instrument"):
        return _ask(facts, data, "item")
    return _finish(facts, data)


def _on_item(facts: Facts, data: dict[str, Any], value_text: str) -> Outcome:
    instrument = facts.instruments.get(str(data.get("instrument")))
    index = int(data.get("item", 0))
    if instrument is None or index >= len(instrument.items):
        return _finish(facts, data)
    item = instrument.items[index]
    allowed = {str(option.value) for option in item.options}
    if value_text not in allowed:
        return Outcome(refused="unknown_choice")
    value = int(value_text)
    answers = dict(data.get("answers", {}))
    answers[item.id] = value
    data.update(answers=answers, item=index + 1)
    stored: tuple[Effect, ...] = (RecordCheckInAnswer(item.id, value, instrument.id),) if _stores(facts) else ()
    outcome = Outcome(effects=stored, notice=Text("buttons.thanks"))
    if index + 1 < len(instrument.items):
        return outcome.then(_ask(facts, data, "item"))
    return outcome.then(_finish(facts, data))


def _ask(facts: Facts, data: dict[str, Any], step: str) -> Outcome:
    if step == "mood":
        text = reply(Text("checkin.ask_mood"), buttons=mood_buttons())
    elif step == "note":
        buttons = ((Button(Text("checkin.skip_note"), button_data(FLOW, "note", "skip")),), *help_rows())
        text = reply(Text("checkin.ask_note"), buttons=buttons)
    else:
        text = _item_question(facts, data)
    return Outcome(replies=(text,), effects=(_remember(facts, step, data),))


def _item_question(facts: Facts, data: Mapping[str, Any]) -> Any:
    instrument = facts.instruments[str(data["instrument"])]
    index = int(data.get("item", 0))
    item = instrument.items[index]
    parts = [Text("checkin.item_progress", {"number": index + 1, "total": len(instrument.items)})]
    if index == 0:
        parts.insert(0, Text("checkin.instrument_intro", {"title": instrument.title, "intro": instrument.intro}))
    parts.append(Text("instrument.text", {"text": item.text}))
    numeric = len(item.options) > 6  # a 0-10 scale: number buttons, with the end labels in the question
    if numeric:
        ends = tuple(
            Text("instrument.text", {"text": o.label}) for o in item.options if o.label.strip() != str(o.value)
        )
        parts.append(Text("instrument.scale", {"ends": Joined(ends, "\n")}))
    options = [
        Button(
            Text("instrument.text", {"text": str(option.value) if numeric else option.label}),
            button_data(FLOW, "item", str(option.value)),
        )
        for option in item.options
    ]
    width = 4 if numeric else 1
    rows = tuple(tuple(options[i : i + width]) for i in range(0, len(options), width))
    return reply(*parts, buttons=(*rows, *help_rows()))


def _finish(facts: Facts, data: Mapping[str, Any]) -> Outcome:
    instrument = facts.instruments.get(str(data.get("instrument"))) if data.get("instrument") else None
    score = None
    effects: list[Effect] = []
    if instrument is not None:
        from flows.instruments.scoring import score as score_answers

        score = score_answers(instrument, data.get("answers", {}))
        if _stores(facts) and score.complete:
            effects.append(
                RecordInstrumentScore(
                    instrument.id, score.raw, score.value, score.band.id if score.band else None, dict(score.measures)
                )
            )
    language = tuple(
        LanguageSignal(RiskTier(tier), detector, reason) for tier, detector, reason in data.get("language", [])
    )
    summary = CheckInSummary(
        mood=data.get("mood"),
        wrote_note=bool(data.get("wrote_note")),
        instrument=instrument,
        score=score,
        completed=True,
        language=language,
    )
    assessment = assess(summary, facts)
    if _stores(facts):
        effects.append(FinishCheckIn("completed", counts_toward_instrument=True))
    else:
        effects.append(FinishCheckIn("completed_unstored", counts_toward_instrument=True))
    effects.append(EndConversation())
    closing = _closing(facts, data.get("mood"))
    replied = Outcome(effects=tuple(effects)).then(assessment_reply(assessment, facts, closing))
    return replied.then(after_checkin(summary, assessment.tier, facts))  # nothing after an URGENT assessment


def _abandon(facts: Facts) -> Outcome:
    """Close an unfinished check-in; what it did say still goes to the risk assessment."""
    position = facts.member.conversation
    mood = position.data.get("mood") if position is not None else None
    assessment = assess(CheckInSummary(mood=mood if isinstance(mood, int) else None, completed=False), facts)
    effects: list[Effect] = []
    if assessment.tier >= RiskTier.CONCERN and facts.member.consent.allows(ConsentScope.SHARE_FLAGS):
        effects.append(RaiseAlert(assessment.tier, assessment.reasons))
    if _stores(facts):
        effects.append(FinishCheckIn("abandoned", counts_toward_instrument=False))
    return Outcome(effects=(*effects, EndConversation()))


def _postpone(choice: str, facts: Facts) -> Outcome:
    if choice == "snooze":
        until = facts.now + timedelta(hours=1)
        return Outcome(effects=(PostponePrompt(until),), replies=(reply(Text("checkin.snoozed")),))
    if choice == "skip":
        return Outcome(effects=(PostponePrompt(None, skip_today=True),), replies=(reply(Text("checkin.skipped")),))
    return Outcome(refused="unknown_choice")


def _closing(facts: Facts, mood: object) -> Text:
    band = "low" if isinstance(mood, int) and mood <= 2 else "okay" if mood == 3 else "good"
    digest = hashlib.sha256(facts.now.isoformat().encode()).digest()
    return Text(f"checkin.close.{band}.{digest[0] % CLOSING_VARIANTS + 1}")


def _remember(facts: Facts, step: str, data: Mapping[str, Any]) -> Effect:
    if _stores(facts):
        return SaveConversation(FLOW, step, data)
    return KeepEphemeral(FLOW, step, data)


def _stores(facts: Facts) -> bool:
    return facts.member.consent.allows(ConsentScope.STORE)


def _today(facts: Facts) -> str:
    plan = facts.member.plan or CheckInPlan()
    return local_day(facts.now, plan.timezone).isoformat()
