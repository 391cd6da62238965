"""/privacy: see the current choices and change any of them; withdrawing works at once."""

from __future__ import annotations

from dataclasses import replace

from flows.callbacks import ButtonChoice, button_data
from flows.consent import ConsentScope
from flows.outcome import Button, EndConversation, Outcome, RecordConsent, SaveConversation, Text, reply
from flows.questions import (
    LEVEL_CHOICES,
    NO,
    YES,
    apply_record,
    ask_consent,
    ask_share_level,
    choices_summary,
    record_answer,
    record_withdrawal,
)
from flows.snapshot import Facts

FLOW = "pv"
MENU = "menu"
LEVEL_STEP = "level"
_SCOPES = {scope.value: scope for scope in ConsentScope}


def show(facts: Facts, lead: Text | None = None) -> Outcome:
    """Show the member's choices with a button to change each one."""
    consent = facts.member.consent
    rows: list[tuple[Button, ...]] = []
    for scope in (ConsentScope.STORE, ConsentScope.SHARE_FLAGS, ConsentScope.NEWS):
        action = "off" if consent.allows(scope) else "on"
        label = Text(f"privacy.button.{scope.value}_{action}")
        rows.append((Button(label, button_data(FLOW, MENU, f"{scope.value}_{action}")),))
    if consent.share_flags:
        rows.append((Button(Text("privacy.button.share_level"), button_data(FLOW, MENU, "share_level")),))
    rows.append((Button(Text("privacy.button.done"), button_data(FLOW, MENU, "done")),))
    parts = (lead, choices_summary(facts), Text("privacy.how_to_change"))
    return Outcome(
        replies=(reply(*(part for part in parts if part), buttons=tuple(rows)),),
        effects=(SaveConversation(FLOW, MENU),),
    )


def on_button(choice: ButtonChoice, facts: Facts, method: str) -> Outcome:
    """Handle a tap on a /privacy button."""
    if choice.step == MENU:
        return _on_menu(choice.choice, facts, method)
    position = facts.member.conversation
    if position is None or position.flow != FLOW or position.step != choice.step:
        return Outcome(notice=Text("buttons.stale"))
    fingerprint = str(position.data.get("fingerprint", ""))
    if choice.step == LEVEL_STEP:
        level = LEVEL_CHOICES.get(choice.choice)
        if level is None:
            return Outcome(refused="unknown_choice")
        record = record_answer(
            ConsentScope.SHARE_FLAGS, given=True, fingerprint=fingerprint, method=method, share_level=level
        )
        return _changed(facts, record.scope, record)
    scope = _SCOPES.get(choice.step.removeprefix("ask_"))
    if scope is None or not choice.step.startswith("ask_") or choice.choice not in (YES, NO):
        return Outcome(refused="unknown_choice")
    if choice.choice == NO:
        return show(facts, lead=Text("privacy.unchanged"))
    if scope is ConsentScope.SHARE_FLAGS:
        return _ask_level(facts)
    return _changed(facts, scope, record_answer(scope, given=True, fingerprint=fingerprint, method=method))


def _on_menu(action: str, facts: Facts, method: str) -> Outcome:
    if action == "done":
        return Outcome(replies=(reply(Text("privacy.done")),), effects=(EndConversation(),))
    if action == "share_level":
        if not facts.member.consent.share_flags:
            return Outcome(notice=Text("buttons.stale"))
        return _ask_level(facts)
    scope_name, _, switch = action.rpartition("_")
    scope = _SCOPES.get(scope_name)
    if scope is None or switch not in ("on", "off"):
        return Outcome(refused="unknown_choice")
    currently_on = facts.member.consent.allows(scope)
    if switch == "off":
        if not currently_on:
            return show(facts)
        return _changed(facts, scope, record_withdrawal(scope, method))
    if currently_on:
        return show(facts)
    asked = ask_consent(scope, facts, FLOW, f"ask_{scope.value}")
    return Outcome(
        replies=(asked.reply,),
        effects=(SaveConversation(FLOW, f"ask_{scope.value}", {"fingerprint": asked.fingerprint}),),
    )


def _ask_level(facts: Facts) -> Outcome:
    asked = ask_share_level(facts, FLOW, LEVEL_STEP)
    data = {"fingerprint": asked.fingerprint}
    return Outcome(replies=(asked.reply,), effects=(SaveConversation(FLOW, LEVEL_STEP, data),))


def _changed(facts: Facts, scope: ConsentScope, record: RecordConsent) -> Outcome:
    consent = apply_record(facts.member.consent, record)
    updated = replace(facts, member=replace(facts.member, consent=consent))
    confirmation = Text(f"privacy.changed.{scope.value}_{'on' if consent.allows(scope) else 'off'}")
    return Outcome(effects=(record,), notice=Text("buttons.saved")).then(show(updated, lead=confirmation))
