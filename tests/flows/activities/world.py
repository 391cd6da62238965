"""A fixture directory and a dialogue world that plays activity effects back into the facts."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, time
from types import MappingProxyType

from flows.activities.effects import (
    CancelActivitySession,
    CountSuggestions,
    MarkAreaOffered,
    RespondToActivity,
    SaveActivity,
    SaveActivityChoices,
    SetActivityReminder,
)
from flows.activities.facts import ActivityFacts, MemberChoices, MemberResponse
from flows.activities.model import Activity, Contact, CostOption, Location, Schedule
from flows.activities.needs import needed
from flows.activities.taxonomy import bundled_taxonomy
from flows.consent import ConsentAction, ConsentEvent, ConsentScope, ConsentState
from flows.inbound import Inbound
from flows.outcome import Audit
from flows.snapshot import Facts, MemberSnapshot, StaffInfo
from tests.flows.dialogue import HILLSIDE, Dialogue

NEIGHBOURHOODS = ("Leith", "Portobello")
TERMS = bundled_taxonomy().terms


def weekly(day: str, opens: time, closes: time | None = None, **fields: object) -> Schedule:
    return Schedule(f"s-{day}", freq="WEEKLY", byday=(day,), opens_at=opens, closes_at=closes, **fields)  # type: ignore[arg-type]


def listing(
    oruk_id: str,
    name: str,
    schedule: Schedule,
    *,
    areas: tuple[str, ...] = (),
    interests: tuple[str, ...] = (),
    organisation_id: int = 1,
    amount: float | None = None,
    place: str = "Leith Community Centre",
    postcode: str = "EH6 8RG",
    access: tuple[str, ...] = (),
) -> Activity:
    return Activity(
        id=oruk_id,
        organisation_id=organisation_id,
        name=name,
        description=f"About {name}.",
        schedules=(schedule,),
        locations=(Location(f"l-{oruk_id}", name=place, postcode=postcode, accessibility=access),),
        cost_options=(CostOption(f"c-{oruk_id}", amount=amount),) if amount else (),
        contact=Contact("Morag", "0131 555 0100"),
        interests=interests,
        areas=areas,
    )


# Now is Sunday 22 November 2026, 12:00 UTC (12:00 in London).
DIRECTORY = (
    listing(
        "11111111-1111-4111-8111-111111111111",
        "Leith Walking Group",
        weekly("TU", time(10), time(11, 30)),
        areas=("EH6",),
        interests=("walking", "social", "low-barrier"),
        access=("step-free access",),
    ),
    listing(
        "22222222-2222-4222-8222-222222222222",
        "Community Lunch",
        weekly("MO", time(12), time(13, 30)),
        interests=("food", "social", "low-barrier"),
        amount=3.0,
    ),
    listing(
        "33333333-3333-4333-8333-333333333333",
        "Quiet Crafts",
        weekly("WE", time(14), time(16)),
        areas=("EH6",),
        interests=("arts-crafts", "calm", "small-group"),
    ),
    listing(
        "44444444-4444-4444-8444-444444444444",
        "Mindful Garden",
        weekly("TH", time(10)),
        areas=("EH6",),
        interests=("gardening", "calm"),
    ),
    listing(
        "55555555-5555-4555-8555-555555555555",
        "Portobello Choir",
        weekly("MO", time(19)),
        areas=("EH15",),
        interests=("music", "social", "low-barrier"),
    ),
    listing(
        "66666666-6666-4666-8666-666666666666",
        "Riverside Yoga",
        weekly("MO", time(9)),
        organisation_id=2,
        interests=("sport-exercise", "calm", "small-group"),
    ),
    listing(
        "77777777-7777-4777-8777-777777777777",
        "Christmas Fair",
        Schedule("s-fair", dtstart=date(2026, 12, 12), opens_at=time(11)),
        interests=("food", "social", "low-barrier"),
    ),
    listing(
        "88888888-8888-4888-8888-888888888888",
        "Old Course",
        weekly("TU", time(18), valid_to=date(2026, 10, 1)),
        interests=("learning", "calm", "small-group"),
    ),
    listing(
        "99999999-9999-4999-8999-999999999999",
        "Digital Drop-in",
        weekly("FR", time(10)),
        areas=("leith",),
        interests=("digital-skills", "low-barrier"),
    ),
    listing(
        "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa",
        "Book Club",
        weekly("SA", time(15)),
        interests=("learning", "calm", "small-group"),
    ),
)


def onboarded(news: bool = True, store: bool = True) -> MemberSnapshot:
    consent = ConsentState()
    for scope, given in ((ConsentScope.STORE, store), (ConsentScope.SHARE_FLAGS, False), (ConsentScope.NEWS, news)):
        consent = consent.with_event(ConsentEvent(scope, ConsentAction.GIVEN if given else ConsentAction.DECLINED))
    return MemberSnapshot(registered=True, organisation=HILLSIDE, consent=consent)


@dataclass
class ActivityDialogue(Dialogue):
    """A member (or coordinator) of Hillside with the fixture directory; activity effects change the world."""

    choices: MemberChoices = field(default_factory=MemberChoices)
    responses: dict[str, MemberResponse] = field(default_factory=dict)
    directory: tuple[Activity, ...] = DIRECTORY
    staff: StaffInfo | None = None
    reminders: list[SetActivityReminder] = field(default_factory=list)
    audits: list[Audit] = field(default_factory=list)
    loads: list[str | None] = field(default_factory=list)
    suggested: int = 0
    most_listed: int | None = None  # the organisation's listing limit, as the edge reads it from settings

    def _facts(self, inbound: Inbound) -> Facts:
        facts = super()._facts(inbound)
        need = needed(inbound, self.member.conversation, facts.instruments, facts.language)
        self.loads.append(need.value if need else None)
        known = ActivityFacts(
            choices=self.choices,
            responses=MappingProxyType(dict(self.responses)),
            activities=self.directory,
            terms=TERMS,
            neighbourhoods=NEIGHBOURHOODS,
            listed=sum(a.organisation_id == self.staff.organisation_id for a in self.directory) if self.staff else None,
            most_listed=self.most_listed if self.staff else None,
        )
        return replace(facts, staff=self.staff, member_id=1, activities=known if need else None)

    def _apply(self, effect: object) -> None:
        match effect:
            case SaveActivityChoices(area=area, interests=interests):
                self.choices = replace(self.choices, area=area, interests=frozenset(interests))
            case MarkAreaOffered():
                self.choices = replace(self.choices, offered=True)
            case CountSuggestions(shown=shown):
                self.suggested += shown
            case RespondToActivity(activity_id=activity_id, response=response, occurrence_at=at):
                self.responses[activity_id] = MemberResponse(activity_id, response, at)
            case SetActivityReminder(activity_id=activity_id, send_at=send_at):
                self.reminders.append(effect)
                self.responses[activity_id] = replace(self.responses[activity_id], remind=send_at is not None)
            case SaveActivity(activity=activity):
                saved = activity if activity.id else replace(activity, id=f"new-{len(self.directory)}")
                self.directory = (*(a for a in self.directory if a.id != saved.id), saved)
            case CancelActivitySession(activity_id=activity_id, local_date=day):
                self.directory = tuple(
                    replace(a, cancelled_dates=a.cancelled_dates | {day}) if a.id == activity_id else a
                    for a in self.directory
                )
            case Audit():
                self.audits.append(effect)
            case _:
                super()._apply(effect)

    def effects(self, kind: type) -> list[object]:
        return [effect for outcome in self.outcomes for effect in outcome.effects if isinstance(effect, kind)]


def member_dialogue(area: str | None = None, interests: tuple[str, ...] = (), **options: object) -> ActivityDialogue:
    d = ActivityDialogue(**options)  # type: ignore[arg-type]
    d.member = onboarded()
    d.choices = MemberChoices(area, frozenset(interests))
    return d


def coordinator_dialogue(role: str = "coordinator") -> ActivityDialogue:
    d = ActivityDialogue()
    d.member = MemberSnapshot(registered=True, organisation=HILLSIDE)
    d.staff = StaffInfo(1, role, "Cat", True)
    return d
