"""The alert model: one place that decides what anyone may do with an alert, and what happens to it over time.

The chat flow, the dashboard, the jobs and the metrics all ask these functions; nothing else decides. The
repository's conditional UPDATE stays as the race guard (two people pressing Claim at once) and reports its
refusals in this module's vocabulary (`Refusal`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

ROTA_TIMEZONE = "Europe/London"


class AlertStatus(StrEnum):
    """Where an alert is in its life (the stored values)."""

    OPEN = "open"  # waiting for someone to claim it
    ESCALATED = "escalated"  # waiting, and sent on to the coordinators (or the member told) on schedule
    CLAIMED = "claimed"  # someone took it
    RESOLVED = "resolved"  # closed with an outcome

    @property
    def waiting(self) -> bool:
        """Say whether nobody holds the alert yet."""
        return self in (AlertStatus.OPEN, AlertStatus.ESCALATED)

    @property
    def is_open(self) -> bool:
        """Say whether the alert still needs someone (waiting or claimed)."""
        return self is not AlertStatus.RESOLVED


class StaffRole(StrEnum):
    """A person's role in one organisation's team."""

    VOLUNTEER = "volunteer"
    COORDINATOR = "coordinator"


class Tier(StrEnum):
    """How soon an alert needs someone (the stored values)."""

    WATCH = "WATCH"
    CONCERN = "CONCERN"
    URGENT = "URGENT"

    @property
    def rank(self) -> int:
        """Order the tiers: WATCH < CONCERN < URGENT."""
        return {"WATCH": 1, "CONCERN": 2, "URGENT": 3}[self.value]


class Refusal(StrEnum):
    """Why someone may not do something with an alert, in one vocabulary for the bot, the web and the metrics."""

    NOT_IN_TEAM = "not_in_team"  # not staff of the alert's organisation (any more)
    ABOUT_YOU = "about_you"  # the alert is about this person
    OFF_DUTY = "off_duty"  # a volunteer who is not on duty now
    ALREADY_CLAIMED = "already_claimed"  # someone else holds it
    NOT_CLAIMER = "not_claimer"  # only the person who claimed it may do this
    RESOLVED = "resolved"  # it is closed


class MemberOutcome(StrEnum):
    """How an alert was closed (stored in `alerts.outcome`)."""

    OK = "ok"
    GP = "gp"
    NHS111 = "nhs111"
    CRISIS = "crisis"
    EMERGENCY = "emergency"
    UNREACHABLE = "unreachable"
    MEMBER_DECLINED = "member_declined"  # the member took back their request; staff were told


STAFF_OUTCOMES: tuple[MemberOutcome, ...] = tuple(o for o in MemberOutcome if o is not MemberOutcome.MEMBER_DECLINED)


@dataclass(frozen=True)
class Rota:
    """Weekly hours on duty: days (0 = Monday) and "HH:MM-HH:MM"; an end at or before the start runs overnight."""

    days: frozenset[int] = frozenset()
    hours: str = "09:00-17:00"

    def covers(self, moment: datetime, timezone: str = ROTA_TIMEZONE) -> bool:
        """Say whether the rota covers this moment; the hours after midnight of an overnight shift belong to the
        day the shift started on ("mon 22:00-06:00" covers Tuesday 03:00)."""
        if not self.days:
            return False
        local = moment.astimezone(ZoneInfo(timezone))
        start, _, end = self.hours.partition("-")
        clock = local.strftime("%H:%M")
        if start < end:
            return local.weekday() in self.days and start <= clock < end
        if clock >= start:  # the evening part of an overnight shift (or a whole day for "00:00-00:00")
            return local.weekday() in self.days
        return clock < end and (local.weekday() - 1) % 7 in self.days


@dataclass(frozen=True)
class Person:
    """Someone in an organisation's team, as the rules need them."""

    member_id: int
    organisation_id: int
    role: StaffRole
    on_duty_switch: bool = False
    rota: Rota = Rota()

    @property
    def coordinator(self) -> bool:
        """Say whether this person coordinates the organisation."""
        return self.role is StaffRole.COORDINATOR

    def on_duty(self, now: datetime) -> bool:
        """On duty: switched on with /duty on, or inside their weekly rota."""
        return self.on_duty_switch or self.rota.covers(now)


@dataclass(frozen=True)
class Alert:
    """An alert as the rules need it."""

    id: int
    member_id: int
    organisation_id: int
    tier: Tier
    status: AlertStatus
    raised_at: datetime  # first raised; never reset
    waiting_since: datetime  # when it last needed someone new (raised, sent back, released)
    claimed_by: int | None = None
    claimed_at: datetime | None = None
    answered_at: datetime | None = None  # the holder's last sign of life on it (claim, "I'm on it", chat)
    raised_again_at: datetime | None = None  # a later signal joined this case
    escalation: int = 0  # 0: sent to who is on duty; 1: sent to coordinators; 2: the member was told too
    dispatched: bool = False  # sent to at least one person since it last started waiting
    case_ref: str = ""  # the member's private case reference (never their id or name)


@dataclass(frozen=True)
class Decision:
    """Allowed, or refused with a reason."""

    refusal: Refusal | None = None

    @property
    def allowed(self) -> bool:
        """Say whether it is allowed."""
        return self.refusal is None


ALLOWED = Decision()


def _in_team(alert: Alert, person: Person | None) -> Decision | None:
    if person is None or person.organisation_id != alert.organisation_id:
        return Decision(Refusal.NOT_IN_TEAM)
    if person.member_id == alert.member_id:
        return Decision(Refusal.ABOUT_YOU)
    return None


def may_see(alert: Alert, person: Person | None, now: datetime) -> Decision:
    """Whether this person may see what the member shared: coordinators, the holder, and on-duty volunteers while
    it waits. Nobody sees an alert about themselves, or one of another organisation."""
    refused = _in_team(alert, person)
    if refused is not None:
        return refused
    assert person is not None
    if person.coordinator or alert.claimed_by == person.member_id:
        return ALLOWED
    if alert.status is AlertStatus.RESOLVED:
        return Decision(Refusal.RESOLVED)
    if alert.status is AlertStatus.CLAIMED:
        return Decision(Refusal.ALREADY_CLAIMED)
    return ALLOWED if person.on_duty(now) else Decision(Refusal.OFF_DUTY)


def may_view_record(alert: Alert, person: Person | None) -> Decision:
    """Whether this person may open the alert's record (times, status, outcome, note) on the dashboard: staff of
    its organisation while it is open; once resolved, its holder and the coordinators. Never the member it is
    about."""
    refused = _in_team(alert, person)
    if refused is not None:
        return refused
    assert person is not None
    if alert.status is AlertStatus.RESOLVED and not (person.coordinator or alert.claimed_by == person.member_id):
        return Decision(Refusal.RESOLVED)
    return ALLOWED


def may_claim(alert: Alert, person: Person | None, now: datetime) -> Decision:
    """Whether this person may claim the alert now: it waits, and they are a coordinator or on duty."""
    refused = _in_team(alert, person)
    if refused is not None:
        return refused
    assert person is not None
    if alert.status is AlertStatus.RESOLVED:
        return Decision(Refusal.RESOLVED)
    if alert.status is AlertStatus.CLAIMED:
        return Decision(Refusal.ALREADY_CLAIMED)
    if person.coordinator or person.on_duty(now):
        return ALLOWED
    return Decision(Refusal.OFF_DUTY)


def may_act_as_holder(alert: Alert, person: Person | None) -> Decision:
    """Whether this person may chat, resolve, note or release: only the one who holds it, still in the team."""
    refused = _in_team(alert, person)
    if refused is not None:
        return refused
    assert person is not None
    if alert.status is AlertStatus.RESOLVED:
        return Decision(Refusal.RESOLVED)
    if alert.claimed_by != person.member_id:
        return Decision(Refusal.NOT_CLAIMER)
    return ALLOWED


def may_note(alert: Alert, person: Person | None) -> Decision:
    """Whether this person may add the note after resolving: the one who held it, still in the team."""
    refused = _in_team(alert, person)
    if refused is not None:
        return refused
    assert person is not None
    return ALLOWED if alert.claimed_by == person.member_id else Decision(Refusal.NOT_CLAIMER)


@dataclass(frozen=True)
class Recipients:
    """Who receives a waiting alert now, and why."""

    people: tuple[Person, ...]
    nobody_on_duty: bool  # it went to the coordinators because no volunteer is on duty

    @property
    def nobody(self) -> bool:
        """Say whether nobody at all can act on it now."""
        return not self.people


def eligible(alert: Alert, team: Iterable[Person]) -> list[Person]:
    """The team members who could ever act on this alert: same organisation, not the member it is about."""
    return [p for p in team if p.organisation_id == alert.organisation_id and p.member_id != alert.member_id]


def recipients(alert: Alert, team: Sequence[Person], now: datetime) -> Recipients:
    """Who receives a waiting alert now: whoever is on duty; with nobody on duty, the coordinators; after it was
    escalated, the coordinators as well. Never the member it is about."""
    people = eligible(alert, team)
    on_duty = [p for p in people if p.on_duty(now)]
    coordinators = [p for p in people if p.coordinator]
    if alert.escalation >= 1:
        chosen = on_duty + [p for p in coordinators if p not in on_duty]
        return Recipients(tuple(chosen), nobody_on_duty=not on_duty)
    if on_duty:
        return Recipients(tuple(on_duty), nobody_on_duty=False)
    return Recipients(tuple(coordinators), nobody_on_duty=True)


def someone_can_receive(member_id: int, organisation_id: int, team: Sequence[Person], now: datetime) -> bool:
    """Whether an alert about this member would reach anyone now (the member is told the truth from this)."""
    probe = Alert(0, member_id, organisation_id, Tier.CONCERN, AlertStatus.OPEN, now, now)
    return not recipients(probe, team, now).nobody


def may_remove(remover: Person | None, target: Person | None) -> Decision:
    """Whether a coordinator may remove someone from the team: another person of their own organisation (nobody
    removes themselves, so an organisation always keeps a coordinator)."""
    if remover is None or not remover.coordinator or target is None:
        return Decision(Refusal.NOT_IN_TEAM)
    if target.organisation_id != remover.organisation_id:
        return Decision(Refusal.NOT_IN_TEAM)
    if target.member_id == remover.member_id:
        return Decision(Refusal.ABOUT_YOU)
    return ALLOWED


def coordinators_for(alert: Alert, team: Sequence[Person]) -> tuple[Person, ...]:
    """The coordinators an alert escalates to (never the member it is about)."""
    return tuple(p for p in eligible(alert, team) if p.coordinator)


@dataclass(frozen=True)
class AlertTimings:
    """When an alert moves on (defaults from ../shared/SAFETY.md; a deployment can tune them)."""

    urgent_to_coordinators: timedelta = timedelta(minutes=15)
    urgent_member_fallback: timedelta = timedelta(minutes=30)
    concern_to_coordinators: timedelta = timedelta(hours=24)
    urgent_claim_limit: timedelta = timedelta(hours=4)  # a claimed URGENT alert unresolved this long goes back
    concern_claim_limit: timedelta = timedelta(hours=72)
    case_window: timedelta = timedelta(hours=48)  # signals within this time of the last one join the open case
    resend_after: timedelta = timedelta(
        minutes=10
    )  # a new urgent signal sends a waiting alert again, at most this often


class Step(StrEnum):
    """What the clock asks of an alert now."""

    TO_COORDINATORS = "coordinators"  # send a waiting alert to the coordinators
    MEMBER_FALLBACK = "member_fallback"  # tell the member plainly that nobody has picked it up, resources again
    BACK_TO_COORDINATORS = "back_to_coordinators"  # take a claim back (holder silent too long) and send it on


def next_step(alert: Alert, now: datetime, timings: AlertTimings) -> Step | None:
    """The escalation due now for an alert, if any (waiting alerts by the time they have waited; claimed ones when
    the holder has not answered a new urgent signal in time, or has held it too long)."""
    if alert.status.waiting:
        if not alert.dispatched and alert.escalation == 0:
            return None  # nobody could receive it yet: the dispatcher tells the member and keeps trying
        age = now - alert.waiting_since
        if alert.tier is Tier.URGENT:
            if alert.escalation < 1 and age >= timings.urgent_to_coordinators:
                return Step.TO_COORDINATORS
            if alert.escalation < 2 and age >= timings.urgent_member_fallback:
                return Step.MEMBER_FALLBACK
            return None
        if alert.escalation < 1 and age >= timings.concern_to_coordinators:
            return Step.TO_COORDINATORS
        return None
    if alert.status is not AlertStatus.CLAIMED:
        return None
    answered = alert.answered_at or alert.claimed_at or alert.waiting_since
    unanswered_signal = alert.raised_again_at is not None and alert.raised_again_at > answered
    if unanswered_signal and alert.tier is Tier.URGENT:
        assert alert.raised_again_at is not None
        if now - alert.raised_again_at >= timings.urgent_to_coordinators:
            return Step.BACK_TO_COORDINATORS
    limit = timings.urgent_claim_limit if alert.tier is Tier.URGENT else timings.concern_claim_limit
    if now - answered >= limit:
        return Step.BACK_TO_COORDINATORS
    return None


class Join(StrEnum):
    """How a new signal joins the member's case."""

    NEW_CASE = "new"  # no open alert in the window: raise a new one
    SAME_WAITING = "same_waiting"  # fold into a waiting alert (a higher tier sends it out again)
    SAME_CLAIMED = "same_claimed"  # fold into a claimed alert; an URGENT one goes to the holder at once


def join(open_alert: Alert | None, tier: Tier, now: datetime, timings: AlertTimings) -> Join:
    """Decide how a new signal for a member joins their open case."""
    if open_alert is None or not open_alert.status.is_open:
        return Join.NEW_CASE
    last = max(open_alert.raised_at, open_alert.raised_again_at or open_alert.raised_at)
    if now - last > timings.case_window:
        return Join.NEW_CASE
    return Join.SAME_CLAIMED if open_alert.status is AlertStatus.CLAIMED else Join.SAME_WAITING


def waiting_key(alert: Alert) -> tuple[int, datetime, int]:
    """Sort key of the waiting list as staff see it: urgent first, then the longest waiting."""
    return (-alert.tier.rank, alert.waiting_since, alert.id)
