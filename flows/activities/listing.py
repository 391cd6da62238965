"""/activities and /interests: a member's area and interests, what is on near them this week, and their answers."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from flows.activities.areas import area_from_text, display_area, serves
from flows.activities.cards import FLOW, card, find_session, reminder, upcoming_sessions, when_text
from flows.activities.effects import RespondToActivity, SaveActivityChoices, SetActivityReminder
from flows.activities.facts import (
    GOING,
    INTERESTED,
    NOT_FOR_ME,
    ActivityFacts,
    MemberChoices,
    activity_key,
    term_choice,
)
from flows.activities.model import Activity, Occurrence
from flows.callbacks import ButtonChoice, button_data
from flows.outcome import Button, EndConversation, Outcome, SaveConversation, Text, reply
from flows.snapshot import Facts

PAGE_SIZE = 3
REMIND_BEFORE = timedelta(hours=2)
AREA_STEP = "area"
INTERESTS_STEP = "interests"


def show(facts: Facts) -> Outcome:
    """Handle /activities: ask for the area first if there is none, then show what is on this week."""
    known = _facts(facts)
    if known.choices.area is None:
        return ask_area(facts, Text("activities.area_first"))
    return page(facts, 0)


def change_interests(facts: Facts) -> Outcome:
    """Handle /interests: the area first if there is none, then the interests."""
    known = _facts(facts)
    if known.choices.area is None:
        return ask_area(facts, Text("activities.area_first"))
    return ask_interests(facts, known.choices.interests)


def ask_area(facts: Facts, lead: Text | None = None) -> Outcome:
    """Ask for a postcode district (typed) or one of the deployment's neighbourhoods (buttons)."""
    names = _facts(facts).neighbourhoods
    buttons = [
        Button(Text("activities.plain", {"text": name}), button_data(FLOW, "hood", str(index)))
        for index, name in enumerate(names)
    ]
    rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
    question = Text("activities.ask_area_or_neighbourhood" if names else "activities.ask_area")
    parts = (lead, question) if lead else (question,)
    return Outcome(replies=(reply(*parts, buttons=rows),), effects=(SaveConversation(FLOW, AREA_STEP),))


def ask_interests(facts: Facts, chosen: frozenset[str]) -> Outcome:
    """Show the interests as toggle buttons, with Done."""
    terms = [term for term in _facts(facts).terms if not term.moment]
    buttons = [
        Button(
            Text(
                "activities.interest_chosen" if term.id in chosen else "activities.interest",
                {"interest": Text(term.label)},
            ),
            button_data(FLOW, "tog", term_choice(term.id)),
        )
        for term in terms
    ]
    rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
    rows += ((Button(Text("activities.interests_done"), button_data(FLOW, "tog", "done")),),)
    data = {"chosen": sorted(chosen)}
    return Outcome(
        replies=(reply(Text("activities.ask_interests"), buttons=rows),),
        effects=(SaveConversation(FLOW, INTERESTS_STEP, data),),
    )


def on_text(text: str, facts: Facts) -> Outcome:
    """Take a typed area when asked for one; other steps want a button."""
    position = facts.member.conversation
    if position is None or position.step != AREA_STEP:
        return Outcome(replies=(reply(Text("buttons.please_use_above")),))
    area = area_from_text(text, _facts(facts).neighbourhoods)
    if area is None:
        return ask_area(facts, Text("activities.area_not_understood"))
    return _area_chosen(area, facts)


def on_button(choice: ButtonChoice, facts: Facts) -> Outcome:
    """Handle the buttons of the area question, the interests, the list and the cards."""
    step, value = choice.step, choice.choice
    if step == "hood":
        names = _facts(facts).neighbourhoods
        if not value.isdigit() or int(value) >= len(names):
            return list_changed()
        return _area_chosen(area_from_text(names[int(value)], names) or "", facts)
    if step == "tog":
        return _toggle(value, facts)
    if step == "page":
        return page(facts, int(value)) if value.isdigit() and len(value) < 4 else list_changed()
    if step == "set":
        return _change(value, facts)
    if step == "offer":
        return ask_area(facts) if value == "yes" else Outcome(replies=(reply(Text("activities.offer_declined")),))
    if step in ("card", "like", "no", "go", "rem"):
        return _on_card(step, value, facts)
    return list_changed()


def page(facts: Facts, number: int) -> Outcome:
    """Show one page of what is on near the member in the coming week, soonest first."""
    known = _facts(facts)
    area = known.choices.area
    if area is None:
        return ask_area(facts, Text("activities.area_first"))
    items = upcoming(facts)
    shown_area = display_area(area, known.neighbourhoods)
    change = (Button(Text("activities.button.change"), button_data(FLOW, "set", "menu")),)
    ended = _end_own_conversation(facts)
    if not items:
        nothing = reply(Text("activities.nothing_near", {"area": shown_area}), buttons=(change,))
        return Outcome(replies=(nothing,), effects=ended)
    pages = (len(items) + PAGE_SIZE - 1) // PAGE_SIZE
    if number >= pages:
        return list_changed()
    chosen = items[number * PAGE_SIZE : (number + 1) * PAGE_SIZE]
    cards = tuple(card(activity, session, known, facts.now) for activity, session in chosen)
    moves = []
    if number > 0:
        moves.append(Button(Text("activities.button.back"), button_data(FLOW, "page", str(number - 1))))
    if number + 1 < pages:
        moves.append(Button(Text("activities.button.more"), button_data(FLOW, "page", str(number + 1))))
    footer = Text(
        "activities.page_footer",
        {
            "first": number * PAGE_SIZE + 1,
            "last": number * PAGE_SIZE + len(chosen),
            "total": len(items),
            "area": shown_area,
        },
    )
    rows = (tuple(moves), change) if moves else (change,)
    return Outcome(replies=(*cards, reply(footer, buttons=rows)), effects=ended)


def upcoming(facts: Facts) -> list[tuple[Activity, Occurrence]]:
    """Activities of the member's organisation near them, not turned down, each with its next session this week."""
    known = _facts(facts)
    organisation = facts.member.organisation
    found = []
    for activity in known.activities:
        if organisation is None or activity.organisation_id != organisation.id:
            continue
        if not serves(activity, known.choices.area) or known.response_to(activity.id) == NOT_FOR_ME:
            continue
        sessions = upcoming_sessions(activity, facts.now)
        if sessions:
            found.append((activity, sessions[0]))
    return sorted(found, key=lambda item: (item[1].starts_at, item[0].name, item[0].id))


def list_changed() -> Outcome:
    """Answer a stale or forged button kindly, with the way back to the list."""
    again = ((Button(Text("activities.button.show_again"), button_data(FLOW, "page", "0")),),)
    return Outcome(replies=(reply(Text("activities.list_changed"), buttons=again),), notice=Text("buttons.stale"))


def _area_chosen(area: str, facts: Facts) -> Outcome:
    known = _facts(facts)
    saved = Outcome(
        effects=(SaveActivityChoices(area, tuple(sorted(known.choices.interests))),),
        replies=(reply(Text("activities.area_saved", {"area": display_area(area, known.neighbourhoods)})),),
    )
    updated = _with_choices(facts, replace(known.choices, area=area))
    return saved.then(ask_interests(updated, known.choices.interests))


def _toggle(value: str, facts: Facts) -> Outcome:
    known = _facts(facts)
    position = facts.member.conversation
    if position is None or position.flow != FLOW or position.step != INTERESTS_STEP:
        return Outcome(notice=Text("buttons.stale")).then(ask_interests(facts, known.choices.interests))
    chosen = frozenset(str(term) for term in position.data.get("chosen", ()))
    if value == "done":
        interests = tuple(term.id for term in known.terms if term.id in chosen)
        saved = Outcome(effects=(SaveActivityChoices(known.choices.area, interests),))
        updated = _with_choices(facts, replace(known.choices, interests=frozenset(interests)))
        return saved.then(Outcome(replies=(reply(Text("activities.interests_saved")),))).then(page(updated, 0))
    term = next((t for t in known.terms if not t.moment and term_choice(t.id) == value), None)
    if term is None:
        return list_changed()
    return Outcome(notice=Text("buttons.saved")).then(ask_interests(facts, chosen ^ {term.id}))


def _change(value: str, facts: Facts) -> Outcome:
    if value == "area":
        return ask_area(facts)
    if value == "interests":
        return ask_interests(facts, _facts(facts).choices.interests)
    rows = (
        (Button(Text("activities.button.change_area"), button_data(FLOW, "set", "area")),),
        (Button(Text("activities.button.change_interests"), button_data(FLOW, "set", "interests")),),
    )
    return Outcome(replies=(reply(Text("activities.what_to_change"), buttons=rows),))


def _on_card(step: str, value: str, facts: Facts) -> Outcome:
    known = _facts(facts)
    key, _, code = value.partition("_")
    activity = known.by_key(key)
    organisation = facts.member.organisation
    if activity is None or organisation is None or activity.organisation_id != organisation.id:
        return list_changed()
    if not serves(activity, known.choices.area):
        return list_changed()
    if step == "card":
        sessions = upcoming_sessions(activity, facts.now)
        return Outcome(replies=(card(activity, sessions[0], known, facts.now),)) if sessions else list_changed()
    if step == "like":
        return _interested(activity, facts)
    if step == "no":
        return Outcome(
            replies=(reply(Text("activities.not_for_me", {"name": activity.name})),),
            effects=(RespondToActivity(activity.id, NOT_FOR_ME),),
            notice=Text("buttons.saved"),
        )
    if step == "go":
        session = find_session(activity, code, facts.now)
        return _going(activity, session, facts) if session is not None else list_changed()
    return _remind(activity, code, facts)


def _interested(activity: Activity, facts: Facts) -> Outcome:
    sessions = upcoming_sessions(activity, facts.now)
    key = activity_key(activity.id)
    rows: tuple[tuple[Button, ...], ...] = ()
    if sessions:
        go = button_data(FLOW, "go", f"{key}_{sessions[0].starts_at:%y%m%d}")
        rows = ((Button(Text("activities.button.going"), go),),)
    rows += ((Button(Text("activities.button.not_for_me"), button_data(FLOW, "no", key)),),)
    return Outcome(
        replies=(reply(Text("activities.noted_interested", {"name": activity.name}), buttons=rows),),
        effects=(RespondToActivity(activity.id, INTERESTED),),
        notice=Text("buttons.saved"),
    )


def _going(activity: Activity, session: Occurrence, facts: Facts) -> Outcome:
    known = _facts(facts)
    earlier = known.responses.get(activity.id)
    already = earlier is not None and earlier.response == GOING and earlier.occurrence_at == session.starts_at
    effects = () if already else (RespondToActivity(activity.id, GOING, session.starts_at),)
    said = Text("activities.noted_going", {"name": activity.name, "when": when_text(session, facts.now)})
    if session.all_day:  # no time to remind before
        return Outcome(replies=(reply(said),), effects=effects, notice=Text("buttons.saved"))
    if session.starts_at - REMIND_BEFORE <= facts.now:
        return Outcome(replies=(reply(said, Text("activities.starts_soon")),), effects=effects)
    key = activity_key(activity.id)
    rows = (
        (
            Button(Text("activities.button.remind_yes"), button_data(FLOW, "rem", f"{key}_y")),
            Button(Text("activities.button.remind_no"), button_data(FLOW, "rem", f"{key}_n")),
        ),
    )
    question = reply(said, Text("activities.ask_reminder"), buttons=rows)
    return Outcome(replies=(question,), effects=effects, notice=Text("buttons.saved"))


def _remind(activity: Activity, answer: str, facts: Facts) -> Outcome:
    going = _facts(facts).responses.get(activity.id)
    if answer not in ("y", "n") or going is None or going.response != GOING or going.occurrence_at is None:
        return list_changed()
    session = next((s for s in upcoming_sessions(activity, facts.now) if s.starts_at == going.occurrence_at), None)
    if session is None:
        return list_changed()
    if answer == "n":
        return Outcome(
            replies=(reply(Text("activities.no_reminder")),), effects=(SetActivityReminder(activity.id, None),)
        )
    send_at = session.starts_at - REMIND_BEFORE
    if send_at <= facts.now or session.all_day:
        return Outcome(replies=(reply(Text("activities.starts_soon")),))
    return Outcome(
        replies=(reply(Text("activities.reminder_set")),),
        effects=(SetActivityReminder(activity.id, send_at, reminder(activity, session)),),
        notice=Text("buttons.saved"),
    )


def _end_own_conversation(facts: Facts) -> tuple[EndConversation, ...]:
    position = facts.member.conversation
    return (EndConversation(),) if position is not None and position.flow == FLOW else ()


def _facts(facts: Facts) -> ActivityFacts:
    return facts.activities or ActivityFacts()


def _with_choices(facts: Facts, choices: MemberChoices) -> Facts:
    return replace(facts, activities=replace(_facts(facts), choices=choices))
