"""/listings: coordinators add an activity, change one, or cancel one session, in a guided conversation.

Only coordinators of the organisation; everyone else is refused (and the refusal audited) as flows/staff does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flows.activities.areas import normalise_neighbourhood, postcode_district
from flows.activities.drafts import (
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_PLACE,
    local_today,
    parse_amount,
    parse_date,
    parse_postcode,
    parse_times,
)
from flows.activities.effects import SaveActivity
from flows.activities.facts import ActivityFacts, term_choice
from flows.activities.manage_lists import COORDINATOR, activity_list, cancel_step, find, list_changed, menu, ours
from flows.activities.manage_lists import is_coordinator as is_coordinator
from flows.activities.manage_steps import FLOW as STEPS_FLOW
from flows.activities.manage_steps import ask, preview_activity
from flows.activities.model import Activity
from flows.callbacks import ButtonChoice
from flows.outcome import Audit, EndConversation, Outcome, Text, reply
from flows.snapshot import Facts

FLOW = STEPS_FLOW
COMMANDS = frozenset({"listings"})
FIELDS = {"name": "name", "desc": "desc", "when": "when", "place": "place", "cost": "cost", "tags": "tags"}
FOLLOWING = {
    "name": "desc",
    "desc": "when",
    "days": "time",
    "date": "time",
    "time": "place",
    "place": "postcode",
    "postcode": "area",
    "area": "cost",
    "cost": "tags",
    "amount": "tags",
    "tags": "preview",
}
BUTTON_STEPS = {"field": "field", "desc": "desc", "when": "when", "days": "days", "area": "area", "cost": "cost"}
BUTTON_STEPS |= {"tags": "tag", "preview": "save"}
ENDS_A_FIELD = frozenset({"name", "desc", "time", "area", "cost", "amount", "tags"})
DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def command(facts: Facts) -> Outcome:
    """Handle /listings: the coordinator's menu; anyone else is refused."""
    if not facts.member.registered:
        return Outcome(replies=(reply(Text("start.needed")),))
    staff = facts.staff
    if staff is None:
        return Outcome(replies=(reply(Text("staff.only")),), effects=(Audit("staff_command_refused", "command"),))
    if staff.role != COORDINATOR:
        return Outcome(
            replies=(reply(Text("manage.coordinators_only")),),
            effects=(Audit("listings_refused", "organisation", staff.organisation_id),),
        )
    return menu(facts)


def on_button(choice: ButtonChoice, facts: Facts) -> Outcome:
    """Handle a /listings button, after checking the presser is a coordinator of the organisation."""
    if not is_coordinator(facts):
        return Outcome(
            notice=Text("staff.not_allowed"), refused="not_allowed", effects=(Audit("listings_refused", "activity"),)
        )
    position = facts.member.conversation
    data: dict[str, Any] = dict(position.data) if position is not None and position.flow == FLOW else {}
    step, value = choice.step, choice.choice
    current = position.step if position is not None and position.flow == FLOW else None
    if step == "menu":
        return _menu_choice(value, facts)
    if step in ("epage", "cpage"):
        mode = "edit" if step == "epage" else "cancel"
        return activity_list(facts, mode, int(value)) if value.isdigit() and len(value) < 4 else list_changed()
    if step == "pick":
        return _pick(value, facts)
    if step in ("cpick", "csess", "cyes"):
        return cancel_step(step, value, facts)
    if current is None or step != _expected_button_step(current):
        return list_changed()
    return _answer_button(current, value, data, facts)


def on_text(text: str, facts: Facts) -> Outcome:
    """Take what the coordinator typed for the step they are on."""
    if not is_coordinator(facts):
        return Outcome(replies=(reply(Text("staff.not_allowed")),), effects=(EndConversation(),))
    position = facts.member.conversation
    assert position is not None and position.flow == FLOW
    data = dict(position.data)
    draft = dict(data.get("draft", {}))
    entered = " ".join(text.strip().split())
    step = position.step
    if step == "name" and 2 <= len(entered) <= MAX_NAME:
        draft["name"] = entered
    elif step == "desc" and entered:
        draft["description"] = text.strip()[:MAX_DESCRIPTION]
    elif step == "date" and (day := parse_date(entered, local_today(facts.now, _editing(facts, data)))):
        draft["date"], draft["days"] = day.isoformat(), []
    elif step == "time" and (times := parse_times(entered)):
        draft["start"], draft["end"] = times[0].isoformat("minutes"), times[1].isoformat("minutes") if times[1] else ""
    elif step == "place" and 2 <= len(entered) <= MAX_PLACE:
        draft["place"] = entered
    elif step == "postcode" and (postcode := parse_postcode(entered)):
        draft["postcode"] = postcode
    elif step == "amount" and (amount := parse_amount(entered)):
        draft["free"], draft["amount"] = False, amount
    elif step in ("name", "desc", "date", "time", "place", "postcode", "amount"):
        return Outcome(replies=(reply(Text(f"manage.not_understood.{step}")),)).then(ask(facts, data, step))
    else:
        return Outcome(replies=(reply(Text("buttons.please_use_above")),))
    data["draft"] = draft
    return _after(step, data, facts)


def full(facts: Facts) -> Outcome | None:
    """Refuse to add a listing when the organisation already lists as many as it may (fair sharing)."""
    known = facts.activities or ActivityFacts()
    if not known.full:
        return None
    counts = {"count": f"{known.listed:,}", "most": f"{known.most_listed:,}"}
    return Outcome(
        replies=(reply(Text("manage.full", counts)),),
        effects=(Audit("listing_refused_full", "organisation"), EndConversation()),
    )


def _menu_choice(value: str, facts: Facts) -> Outcome:
    if value == "add":
        return full(facts) or ask(facts, {"mode": "add", "draft": {}}, "name")
    if value == "edit":
        return activity_list(facts, "edit", 0)
    if value == "cancel":
        return activity_list(facts, "cancel", 0)
    if value == "done":
        return Outcome(replies=(reply(Text("manage.done")),), effects=(EndConversation(),))
    return menu(facts)


def _pick(key: str, facts: Facts) -> Outcome:
    activity = find(facts, key)
    if activity is None:
        return list_changed()
    return ask(facts, {"mode": "edit", "id": activity.id, "draft": {}}, "field")


def _expected_button_step(current: str) -> str:
    return BUTTON_STEPS.get(current, "")


def _answer_button(current: str, value: str, data: dict[str, Any], facts: Facts) -> Outcome:
    draft = dict(data.get("draft", {}))
    if current == "field":
        if value not in FIELDS or _editing(facts, data) is None:
            return list_changed()
        first = {"desc": "desc", "when": "when", "place": "place", "cost": "cost", "tags": "tags"}.get(value, "name")
        return ask(facts, {**data, "field": value, "draft": {}}, first)
    if current == "desc" and value == "skip":
        draft["description"] = ""
        return _after("desc", {**data, "draft": draft}, facts)
    if current == "when" and value in ("weekly", "once"):
        if value == "once":
            return ask(facts, {**data, "draft": draft}, "date")
        draft.pop("date", None)
        draft["days"] = []
        return ask(facts, {**data, "draft": draft}, "days")
    if current == "days" and (value in DAY_KEYS or value == "done"):
        return _days(value, data, draft, facts)
    if current == "area":
        return _area(value, data, draft, facts)
    if current == "cost" and value in ("free", "paid"):
        if value == "paid":
            return ask(facts, data, "amount")
        draft["free"] = True
        draft.pop("amount", None)
        return _after("cost", {**data, "draft": draft}, facts)
    if current == "tags":
        return _tag(value, data, draft, facts)
    if current == "preview" and value in ("yes", "again", "no"):
        return _save(value, data, facts)
    return list_changed()


def _days(value: str, data: dict[str, Any], draft: dict[str, Any], facts: Facts) -> Outcome:
    days = {int(day) for day in draft.get("days", [])}
    if value == "done":
        if not days:
            return Outcome(replies=(reply(Text("manage.pick_a_day")),)).then(ask(facts, data, "days"))
        return _after("days", {**data, "draft": draft}, facts)
    days ^= {DAY_KEYS.index(value)}
    draft["days"] = sorted(days)
    return ask(facts, {**data, "draft": draft}, "days")


def _area(value: str, data: dict[str, Any], draft: dict[str, Any], facts: Facts) -> Outcome:
    names = (facts.activities or ActivityFacts()).neighbourhoods
    if value == "all":
        draft["area"] = ""
    elif value == "pc" and (district := postcode_district(str(draft.get("postcode", "")))):
        draft["area"] = district
    elif value.startswith("h") and value[1:].isdigit() and int(value[1:]) < len(names):
        draft["area"] = normalise_neighbourhood(names[int(value[1:])])
    else:
        return list_changed()
    return _after("area", {**data, "draft": draft}, facts)


def _tag(value: str, data: dict[str, Any], draft: dict[str, Any], facts: Facts) -> Outcome:
    terms = (facts.activities or ActivityFacts()).terms
    chosen = set(draft.get("interests", []))
    if value == "done":
        draft["interests"] = [term.id for term in terms if term.id in chosen]
        return _after("tags", {**data, "draft": draft}, facts)
    term = next((t for t in terms if term_choice(t.id) == value), None)
    if term is None:
        return list_changed()
    draft["interests"] = sorted(chosen ^ {term.id})
    return ask(facts, {**data, "draft": draft}, "tags")


def _save(value: str, data: Mapping[str, Any], facts: Facts) -> Outcome:
    editing = data.get("mode") == "edit"
    if value == "no":
        return Outcome(replies=(reply(Text("manage.discarded")),), effects=(EndConversation(),))
    if value == "again":
        return ask(facts, {**data, "draft": {}}, "field" if editing else "name")
    activity = preview_activity(facts, data)
    if activity is None:
        return list_changed()
    if not editing and (refused := full(facts)):
        return refused
    action = "activity_changed" if editing else "activity_added"
    return Outcome(
        replies=(reply(Text("manage.saved", {"name": activity.name})),),
        effects=(SaveActivity(activity), Audit(action, "activity"), EndConversation()),
    )


def _after(step: str, data: dict[str, Any], facts: Facts) -> Outcome:
    if data.get("mode") == "edit" and step in ENDS_A_FIELD:
        return ask(facts, data, "preview")
    return ask(facts, data, FOLLOWING[step])


def _editing(facts: Facts, data: Mapping[str, Any]) -> Activity | None:
    wanted = data.get("id")
    return next((a for a in ours(facts) if a.id == wanted), None) if wanted else None
