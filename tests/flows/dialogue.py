"""A tiny in-memory world that plays effects back into the snapshot, for dialogue tests."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from flows import router
from flows.consent import ConsentAction, ConsentEvent
from flows.crisis import load_crisis_resources
from flows.inbound import ButtonPress, Command, Inbound, TextMessage
from flows.instruments.loader import load_instruments
from flows.outcome import (
    EndConversation,
    EraseMember,
    FinishCheckIn,
    JoinOrganisation,
    KeepEphemeral,
    Outcome,
    RecordCheckInAnswer,
    RecordConsent,
    RedeemStaffInvite,
    RegisterMember,
    SaveConversation,
    SavePlan,
    SetMemberStatus,
)
from flows.snapshot import (
    ConversationPosition,
    Facts,
    MemberSnapshot,
    MemberStatus,
    OrganisationInfo,
    StartTarget,
)
from flows.texts import load_catalogue

CATALOGUE = load_catalogue()
CRISIS = load_crisis_resources("GB-SCT")
INSTRUMENTS = dict(load_instruments().instruments)
HILLSIDE = OrganisationInfo(id=1, name="Hillside Community Hub", slug="hillside")
RIVERSIDE = OrganisationInfo(id=2, name="Riverside Trust", slug="riverside")


@dataclass
class Dialogue:
    """A member talking to the pure flows; effects are applied to an in-memory snapshot."""

    member: MemberSnapshot = field(default_factory=lambda: MemberSnapshot(registered=False))
    records: list[RecordConsent] = field(default_factory=list)
    last_buttons: dict[str, str] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)
    organisations: tuple[OrganisationInfo, ...] = (HILLSIDE, RIVERSIDE)
    now: datetime = datetime(2026, 11, 22, 12, tzinfo=UTC)
    answers: list[RecordCheckInAnswer] = field(default_factory=list)

    def say(self, text: str) -> list[str]:
        """Send a text or a command; return the rendered replies."""
        if text.startswith("/"):
            name, _, argument = text[1:].partition(" ")
            return self._run(Command(name, argument))
        return self._run(TextMessage(text))

    def tap(self, label: str) -> list[str]:
        """Tap a button of the most recent buttons, by a fragment of its label."""
        matches = [data for shown, data in self.last_buttons.items() if label.lower() in shown.lower()]
        assert matches, f"no button like {label!r} in {list(self.last_buttons)}"
        return self._run(ButtonPress(matches[0]))

    def press(self, data: str) -> list[str]:
        """Send raw callback data, as a forged or stale button would."""
        return self._run(ButtonPress(data))

    def _start_target(self, argument: str) -> StartTarget:
        for organisation in self.organisations:
            if argument == f"org_{organisation.slug}":
                return StartTarget(organisation, from_link=True)
        return StartTarget(HILLSIDE, unknown_link=bool(argument))

    def _facts(self, inbound: Inbound) -> Facts:
        """What the flows may read for this event (a feature's dialogue adds its own facts here)."""
        start = self._start_target(inbound.argument) if isinstance(inbound, Command) else None
        return Facts(self.member, CATALOGUE, CRISIS, self.now, start, INSTRUMENTS)

    def _run(self, inbound: Inbound) -> list[str]:
        facts = self._facts(inbound)
        outcome = router.handle(inbound, facts, method="test")
        self.outcomes.append(outcome)
        for effect in outcome.effects:
            self._apply(effect)
        texts = [CATALOGUE.render_reply(r) for r in outcome.replies]
        for r in outcome.replies:
            if r.buttons:
                self.last_buttons = {CATALOGUE.render(b.label): b.data for row in r.buttons for b in row}
        if outcome.notice:
            texts.append(f"[notice] {CATALOGUE.render(outcome.notice)}")
        return texts

    def _apply(self, effect: object) -> None:
        m = self.member
        match effect:
            case RegisterMember(organisation_id=org_id) | JoinOrganisation(organisation_id=org_id):
                org = next(o for o in self.organisations if o.id == org_id)
                self.member = replace(m, registered=True, organisation=org)
            case RecordConsent():
                self.records.append(effect)
                event = ConsentEvent(effect.scope, ConsentAction(effect.action), effect.share_level)
                self.member = replace(m, consent=m.consent.with_event(event))
            case SaveConversation(flow=flow, step=step, data=data) | KeepEphemeral(flow=flow, step=step, data=data):
                self.member = replace(m, conversation=ConversationPosition(flow, step, dict(data)))
            case EndConversation():
                self.member = replace(m, conversation=None)
            case SetMemberStatus(status=status):
                self.member = replace(m, status=MemberStatus(status))
            case EraseMember():
                self.member = MemberSnapshot(registered=False)
                self.records.clear()
            case SavePlan(plan=plan):
                self.member = replace(m, plan=plan)
            case RecordCheckInAnswer():
                self.answers.append(effect)
            case FinishCheckIn(counts_toward_instrument=counts):
                done = bool(m.conversation and m.conversation.data.get("instrument"))
                count = 0 if done else m.checkins_since_instrument + 1
                self.member = replace(m, checkins_since_instrument=count if counts else m.checkins_since_instrument)
                if effect.status in ("completed", "completed_unstored") and m.conversation:
                    mood = m.conversation.data.get("mood")
                    if mood is not None:
                        self.member = replace(self.member, recent_moods=(*m.recent_moods, mood))
            case RedeemStaffInvite():
                pass
