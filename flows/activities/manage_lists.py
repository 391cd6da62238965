"""The coordinators' /listings: the menu, picking an activity from a paged list, and cancelling a session."""

from __future__ import annotations

from datetime import datetime, timedelta

from flows.activities.cards import find_session, session_code, when_text
from flows.activities.effects import CancelActivitySession
from flows.activities.facts import ActivityFacts, activity_key
from flows.activities.manage_steps import FLOW
from flows.activities.model import Activity, Occurrence
from flows.activities.occurrences import occurrences
from flows.callbacks import button_data
from flows.outcome import Audit, Button, EndConversation, Outcome, SaveConversation, Text, reply
from flows.snapshot import Facts

COORDINATOR = "coordinator"
LIST_PAGE = 5
CANCEL_WINDOW = timedelta(days=28)
MOST_SESSIONS = 6


def is_coordinator(facts: Facts) -> bool:
    """Say whether the writer is a coordinator (of the organisation whose listings they see)."""
    return facts.staff is not None and facts.staff.role == COORDINATOR


def list_changed() -> Outcome:
    """Answer a stale or forged button kindly, with the way back to the menu."""
    back = ((Button(Text("manage.button.menu"), button_data(FLOW, "menu", "show")),),)
    return Outcome(replies=(reply(Text("activities.list_changed"), buttons=back),), notice=Text("buttons.stale"))


def menu(facts: Facts, lead: Text | None = None) -> Outcome:
    """What a coordinator can do with their organisation's listings."""
    known = facts.activities or ActivityFacts()
    count = known.listed if known.listed is not None else len(ours(facts))
    rows = tuple(
        (Button(Text(f"manage.button.{name}"), button_data(FLOW, "menu", name)),)
        for name in ("add", "edit", "cancel", "done")
    )
    parts = (lead, Text("manage.menu", {"count": count})) if lead else (Text("manage.menu", {"count": count}),)
    return Outcome(replies=(reply(*parts, buttons=rows),), effects=(SaveConversation(FLOW, "menu"),))


def activity_list(facts: Facts, mode: str, number: int) -> Outcome:
    """A page of the organisation's activities to change, or (with sessions soon) to cancel one of.

    The edge reads only the page asked for when it can (`ActivityFacts.list_total`); otherwise it is cut from all.
    """
    known = facts.activities or ActivityFacts()
    found = ours(facts)
    if known.list_total is not None:
        total, shown = known.list_total, found
    else:
        if mode == "cancel":
            found = [a for a in found if occurrences(a, facts.now, facts.now + CANCEL_WINDOW, limit=1)]
        total, shown = len(found), found[number * LIST_PAGE : (number + 1) * LIST_PAGE]
    if not total:
        return menu(facts, Text(f"manage.nothing_to_{mode}"))
    pages = (total + LIST_PAGE - 1) // LIST_PAGE
    if number >= pages:
        return list_changed()
    pick = "pick" if mode == "edit" else "cpick"
    rows: list[tuple[Button, ...]] = [
        (Button(Text("activities.plain", {"text": a.name[:60]}), button_data(FLOW, pick, activity_key(a.id))),)
        for a in shown
    ]
    paging = "epage" if mode == "edit" else "cpage"
    moves = []
    if number > 0:
        moves.append(Button(Text("activities.button.back"), button_data(FLOW, paging, str(number - 1))))
    if number + 1 < pages:
        moves.append(Button(Text("activities.button.more"), button_data(FLOW, paging, str(number + 1))))
    if moves:
        rows.append(tuple(moves))
    rows.append((Button(Text("manage.button.menu"), button_data(FLOW, "menu", "show")),))
    question = Text(f"manage.pick_to_{mode}", {"page": number + 1, "pages": pages})
    return Outcome(replies=(reply(question, buttons=tuple(rows)),), effects=(SaveConversation(FLOW, "list"),))


def cancel_step(step: str, value: str, facts: Facts) -> Outcome:
    """Pick the session, confirm, then cancel it (the edge tells members who said they'd go)."""
    key, _, code = value.partition("_")
    activity = find(facts, key)
    if activity is None:
        return list_changed()
    if step == "cpick":
        sessions = occurrences(activity, facts.now, facts.now + CANCEL_WINDOW, limit=MOST_SESSIONS)
        rows = tuple(
            (Button(when_text(s, facts.now), button_data(FLOW, "csess", f"{key}_{session_code(s)}")),) for s in sessions
        )
        rows += ((Button(Text("manage.button.menu"), button_data(FLOW, "menu", "show")),),)
        question = Text("manage.pick_session", {"name": activity.name})
        return Outcome(replies=(reply(question, buttons=rows),), effects=(SaveConversation(FLOW, "list"),))
    session = find_session(activity, code, facts.now, CANCEL_WINDOW)
    if session is None:
        return list_changed()
    when = when_text(session, facts.now, relative=False)
    if step == "csess":
        rows = (
            (Button(Text("manage.button.cancel_yes"), button_data(FLOW, "cyes", value)),),
            (Button(Text("manage.button.cancel_no"), button_data(FLOW, "menu", "show")),),
        )
        return Outcome(
            replies=(reply(Text("manage.confirm_cancel", {"name": activity.name, "when": when}), buttons=rows),)
        )
    return Outcome(
        replies=(reply(Text("manage.session_cancelled", {"name": activity.name, "when": when})),),
        effects=(
            cancel_effect(activity, session, facts.now),
            Audit("activity_session_cancelled", "activity"),
            EndConversation(),
        ),
    )


def cancel_effect(activity: Activity, session: Occurrence, now: datetime) -> CancelActivitySession:
    """Cancel one session, with the note for everyone who said they'd go (the bot's /listings and the dashboard)."""
    when = when_text(session, now, relative=False)
    notice = reply(Text("activities.session_cancelled", {"name": activity.name, "when": when}))
    return CancelActivitySession(activity.id, session.starts_at.date(), session.starts_at, notice)


def ours(facts: Facts) -> list[Activity]:
    """The coordinator's organisation's activities, by name."""
    organisation = facts.staff.organisation_id if facts.staff else None
    found = [a for a in (facts.activities or ActivityFacts()).activities if a.organisation_id == organisation]
    return sorted(found, key=lambda a: (a.name.lower(), a.id))


def find(facts: Facts, key: str) -> Activity | None:
    """One of them by its button key."""
    return next((a for a in ours(facts) if activity_key(a.id) == key), None)
