"""Onboarding: welcome, then three separate consent choices, none pre-selected."""

from __future__ import annotations

from dataclasses import replace

from flows.callbacks import ButtonChoice
from flows.consent import ConsentScope, ConsentState
from flows.outcome import (
    Audit,
    EndConversation,
    JoinOrganisation,
    Outcome,
    RecordConsent,
    RedeemStaffInvite,
    RegisterMember,
    SaveConversation,
    SetMemberStatus,
    Text,
    reply,
)
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
from flows.snapshot import Facts, MemberStatus, StartTarget

FLOW = "ob"
SHARE_LEVEL_STEP = "share_level"
QUESTION_ORDER = (ConsentScope.STORE, ConsentScope.SHARE_FLAGS, ConsentScope.NEWS)
_STEP_SCOPES = {scope.value: scope for scope in QUESTION_ORDER}


def start(facts: Facts) -> Outcome:
    """Handle /start: register, join an organisation, redeem an invite, or resume the questions."""
    target = facts.start
    if target is None:
        raise ValueError("start needs the resolved start target")
    if target.invite is not None:
        return _redeem_invite(facts, target)
    member = facts.member
    outcome = Outcome()
    consent = member.consent
    if not member.registered:
        outcome = Outcome(
            replies=(reply(*_welcome(target)),),
            effects=(RegisterMember(target.organisation.id),),
        )
    elif target.from_link and member.organisation and target.organisation.id != member.organisation.id:
        outcome = _change_organisation(facts, target)
        consent = replace(consent, share_flags=None, share_level=None)
    elif member.onboarded:
        outcome = Outcome(replies=(reply(Text("onboarding.welcome_back"), choices_summary(facts)),))
    if member.registered and member.status is not MemberStatus.ACTIVE:
        outcome = outcome.then(Outcome(effects=(SetMemberStatus(MemberStatus.ACTIVE),)))
    facts = _with_organisation(facts, target)
    return outcome.then(_ask_next(facts, consent))


def on_button(choice: ButtonChoice, facts: Facts, method: str) -> Outcome:
    """Handle a tap on an onboarding question's button."""
    position = facts.member.conversation
    if position is None or position.flow != FLOW or position.step != choice.step:
        return stale(facts)
    fingerprint = str(position.data.get("fingerprint", ""))
    if choice.step == SHARE_LEVEL_STEP:
        level = LEVEL_CHOICES.get(choice.choice)
        if level is None:
            return Outcome(refused="unknown_choice")
        record = record_answer(
            ConsentScope.SHARE_FLAGS, given=True, fingerprint=fingerprint, method=method, share_level=level
        )
        return _after_answer(facts, record)
    scope = _STEP_SCOPES.get(choice.step)
    if scope is None or choice.choice not in (YES, NO):
        return Outcome(refused="unknown_choice")
    if scope is ConsentScope.SHARE_FLAGS and choice.choice == YES:
        asked = ask_share_level(facts, FLOW, SHARE_LEVEL_STEP)
        return Outcome(
            replies=(asked.reply,),
            effects=(SaveConversation(FLOW, SHARE_LEVEL_STEP, {"fingerprint": asked.fingerprint}),),
        )
    record = record_answer(scope, given=choice.choice == YES, fingerprint=fingerprint, method=method)
    return _after_answer(facts, record)


def stale(facts: Facts) -> Outcome:
    """Answer a button from an old message: say so kindly, and ask the current question again."""
    notice = Text("buttons.stale")
    if not facts.member.registered:
        return Outcome(replies=(reply(Text("start.needed")),), notice=notice)
    if facts.member.onboarded:
        return Outcome(notice=notice)
    return Outcome(notice=notice).then(repeat_question(facts))


def repeat_question(facts: Facts) -> Outcome:
    """Ask the member's current onboarding question again."""
    position = facts.member.conversation
    if position and position.flow == FLOW and position.step == SHARE_LEVEL_STEP:
        asked = ask_share_level(facts, FLOW, SHARE_LEVEL_STEP)
        fingerprint = str(position.data.get("fingerprint", ""))
        return Outcome(
            replies=(asked.reply,),
            effects=(SaveConversation(FLOW, SHARE_LEVEL_STEP, {"fingerprint": fingerprint}),),
        )
    return _ask_next(facts, facts.member.consent)


def _after_answer(facts: Facts, record: RecordConsent) -> Outcome:
    consent = apply_record(facts.member.consent, record)
    acknowledgement = Outcome(effects=(record,), notice=Text("buttons.thanks"))
    return acknowledgement.then(_ask_next(facts, consent))


def _ask_next(facts: Facts, consent: ConsentState) -> Outcome:
    for number, scope in enumerate(QUESTION_ORDER, start=1):
        if not consent.answered(scope):
            progress = Text("onboarding.progress", {"number": number, "total": len(QUESTION_ORDER)})
            asked = ask_consent(scope, facts, FLOW, scope.value, lead=progress)
            return Outcome(
                replies=(asked.reply,),
                effects=(SaveConversation(FLOW, scope.value, {"fingerprint": asked.fingerprint}),),
            )
    done = replace(facts, member=replace(facts.member, consent=consent))
    return Outcome(
        replies=(reply(Text("onboarding.done"), choices_summary(done), Text("onboarding.next_steps")),),
        effects=(EndConversation(),),
    )


def _welcome(target: StartTarget) -> tuple[Text, ...]:
    organisation = {"organisation": target.organisation.name}
    parts = [Text("onboarding.welcome", organisation), Text("onboarding.not_emergency")]
    if target.unknown_link:
        parts.append(Text("onboarding.link_not_recognised", organisation))
    parts.append(Text("onboarding.choices_intro"))
    return tuple(parts)


def _change_organisation(facts: Facts, target: StartTarget) -> Outcome:
    effects: list[RecordConsent | JoinOrganisation] = [JoinOrganisation(target.organisation.id)]
    if facts.member.consent.share_flags:
        effects.append(record_withdrawal(ConsentScope.SHARE_FLAGS, "changed_organisation"))
    text = Text("onboarding.joined_organisation", {"organisation": target.organisation.name})
    return Outcome(replies=(reply(text),), effects=tuple(effects))


def _with_organisation(facts: Facts, target: StartTarget) -> Facts:
    member = facts.member
    if member.registered and member.organisation and not target.from_link:
        return facts
    return replace(facts, member=replace(member, organisation=target.organisation))


def _redeem_invite(facts: Facts, target: StartTarget) -> Outcome:
    invite = target.invite
    assert invite is not None
    if not invite.usable:
        return Outcome(replies=(reply(Text("invite.unusable")),))
    staff = facts.staff  # one organisation per person: alerts, claims and rotas are never ambiguous
    if staff is not None and (staff.organisation_id != invite.organisation.id or staff.role == invite.role):
        key = (
            "invite.already_in_team" if staff.organisation_id == invite.organisation.id else "invite.other_organisation"
        )
        return Outcome(replies=(reply(Text(key)),), effects=(Audit("staff_invite_refused", "member"),))
    effects: list[RegisterMember | RedeemStaffInvite | EndConversation] = []
    if not facts.member.registered:
        effects.append(RegisterMember(invite.organisation.id))
    effects += [RedeemStaffInvite(invite.id, invite.organisation.id, invite.role), EndConversation()]
    text = Text("invite.welcome", {"organisation": invite.organisation.name, "role": Text(f"role.{invite.role}")})
    return Outcome(replies=(reply(text),), effects=tuple(effects))
