"""The questions of the coordinators' /listings conversation, and the preview card before saving."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flows.activities.areas import display_area, postcode_district
from flows.activities.cards import card_lines, cost_text, where_text
from flows.activities.drafts import build
from flows.activities.facts import ActivityFacts, term_choice
from flows.activities.model import Activity
from flows.activities.occurrences import next_occurrence
from flows.callbacks import button_data
from flows.outcome import Button, Joined, Outcome, SaveConversation, Text, reply
from flows.snapshot import Facts

FLOW = "lm"
DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Rows = tuple[tuple[Button, ...], ...]


def ask(facts: Facts, data: Mapping[str, Any], step: str) -> Outcome:
    """Ask the question of a step and remember where the coordinator is."""
    draft = data.get("draft", {})
    rows: Rows = ()
    if step == "field":
        fields = ("name", "desc", "when", "place", "cost", "tags")
        rows = tuple((Button(Text(f"manage.field.{name}"), button_data(FLOW, "field", name)),) for name in fields)
        editing = _existing(facts, data)
        question = Text("manage.ask_field", {"name": editing.name if editing else ""})
    elif step == "desc":
        rows = ((Button(Text("manage.button.skip"), button_data(FLOW, "desc", "skip")),),)
        question = Text("manage.ask.desc")
    elif step == "when":
        rows = tuple((Button(Text(f"manage.button.{c}"), button_data(FLOW, "when", c)),) for c in ("weekly", "once"))
        question = Text("manage.ask.when")
    elif step == "days":
        rows = _day_rows({int(day) for day in draft.get("days", [])})
        question = Text("manage.ask.days")
    elif step == "area":
        rows = _area_rows(facts, str(draft.get("postcode", "")))
        question = Text("manage.ask.area")
    elif step == "cost":
        rows = ((Button(Text("manage.button.free"), button_data(FLOW, "cost", "free")),),)
        rows += ((Button(Text("manage.button.paid"), button_data(FLOW, "cost", "paid")),),)
        question = Text("manage.ask.cost")
    elif step == "tags":
        rows = _tag_rows(_known(facts), set(draft.get("interests", [])))
        question = Text("manage.ask.tags")
    elif step == "preview":
        return _preview(facts, data)
    else:
        question = Text(f"manage.ask.{step}")
    return Outcome(replies=(reply(question, buttons=rows),), effects=(SaveConversation(FLOW, step, dict(data)),))


def preview_activity(facts: Facts, data: Mapping[str, Any]) -> Activity | None:
    """The activity as it will be saved; None when the activity being changed is no longer there."""
    organisation = facts.staff.organisation_id if facts.staff else 0
    existing = _existing(facts, data)
    if data.get("mode") == "edit" and existing is None:
        return None
    return build(data.get("draft", {}), organisation, existing)


def _preview(facts: Facts, data: Mapping[str, Any]) -> Outcome:
    activity = preview_activity(facts, data)
    if activity is None:
        return Outcome(replies=(reply(Text("activities.list_changed")),))
    session = next_occurrence(activity, facts.now)
    if session is not None:
        lines = list(card_lines(activity, session, facts.now))
    else:
        where = where_text(activity)
        lines = [
            Text("manage.no_sessions"),
            *((where,) if where else ()),
            Text("activities.line.cost", {"cost": cost_text(activity)}),
        ]
    known = _known(facts)
    labels = {term.id: term.label for term in known.terms}
    names = tuple(
        Text(labels[term]) if term in labels else Text("activities.plain", {"text": term})
        for term in activity.interests
    )
    if names:
        lines.append(Text("manage.preview.interests", {"interests": Joined(names)}))
    area = activity.areas[0] if activity.areas else None
    who = (
        Text("manage.preview.area", {"area": display_area(area, known.neighbourhoods)})
        if area
        else Text("manage.preview.everyone")
    )
    lines.append(who)
    body = Text("activities.card", {"name": activity.name, "lines": tuple(lines)})
    rows = tuple((Button(Text(f"manage.button.{c}"), button_data(FLOW, "save", c)),) for c in ("yes", "again", "no"))
    question = reply(Text("manage.preview.intro"), body, buttons=rows)
    return Outcome(replies=(question,), effects=(SaveConversation(FLOW, "preview", dict(data)),))


def _day_rows(chosen: set[int]) -> Rows:
    buttons = [
        Button(
            Text("plan.day_chosen" if index in chosen else "plan.day", {"day": Text(f"day.{key}")}),
            button_data(FLOW, "days", key),
        )
        for index, key in enumerate(DAY_KEYS)
    ]
    done = (Button(Text("manage.button.done"), button_data(FLOW, "days", "done")),)
    return (tuple(buttons[:4]), tuple(buttons[4:]), done)


def _area_rows(facts: Facts, postcode: str) -> Rows:
    rows: list[tuple[Button, ...]] = [(Button(Text("manage.button.everyone"), button_data(FLOW, "area", "all")),)]
    district = postcode_district(postcode)
    if district:
        rows.append((Button(Text("manage.button.only_area", {"area": district}), button_data(FLOW, "area", "pc")),))
    for index, name in enumerate(_known(facts).neighbourhoods):
        rows.append((Button(Text("manage.button.only_area", {"area": name}), button_data(FLOW, "area", f"h{index}")),))
    return tuple(rows)


def _tag_rows(known: ActivityFacts, chosen: set[str]) -> Rows:
    buttons = [
        Button(
            Text(
                "activities.interest_chosen" if term.id in chosen else "activities.interest",
                {"interest": Text(term.label)},
            ),
            button_data(FLOW, "tag", term_choice(term.id)),
        )
        for term in known.terms
    ]
    rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
    return (*rows, (Button(Text("manage.button.done"), button_data(FLOW, "tag", "done")),))


def _known(facts: Facts) -> ActivityFacts:
    return facts.activities or ActivityFacts()


def _existing(facts: Facts, data: Mapping[str, Any]) -> Activity | None:
    wanted = data.get("id")
    organisation = facts.staff.organisation_id if facts.staff else None
    return (
        next((a for a in _known(facts).activities if a.id == wanted and a.organisation_id == organisation), None)
        if wanted
        else None
    )
