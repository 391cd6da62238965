"""Activity cards in plain words: when, where, cost, accessibility and contact, as catalogue texts."""

from __future__ import annotations

from datetime import datetime, timedelta

from flows.activities.facts import GOING, INTERESTED, ActivityFacts, activity_key
from flows.activities.model import Activity, Occurrence
from flows.activities.occurrences import occurrences, zone_of
from flows.callbacks import button_data
from flows.outcome import Button, Joined, Reply, Text, reply

FLOW = "ac"
WEEK = timedelta(days=7)
DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_DESCRIPTION = 300


def upcoming_sessions(activity: Activity, now: datetime, within: timedelta = WEEK) -> list[Occurrence]:
    """Return an activity's sessions from now to the end of the window, soonest first."""
    return occurrences(activity, now, now + within)


def session_code(session: Occurrence) -> str:
    """A session as it travels in button data: its local date, yymmdd."""
    return session.starts_at.strftime("%y%m%d")


def find_session(activity: Activity, code: str, now: datetime, within: timedelta = WEEK) -> Occurrence | None:
    """Find a still-upcoming session of an activity by its button code; None when it has gone or never was."""
    return next((s for s in upcoming_sessions(activity, now, within) if session_code(s) == code), None)


def when_text(session: Occurrence, now: datetime, *, relative: bool = True) -> Text:
    """Say when a session is: "Today", "Tomorrow" (when `relative`) or "Tuesday 25 November", and the time."""
    local = session.starts_at
    today = now.astimezone(local.tzinfo).date()
    if relative and local.date() == today:
        day: Text = Text("activities.when.today")
    elif relative and local.date() == today + timedelta(days=1):
        day = Text("activities.when.tomorrow")
    else:
        day = Text(
            "activities.when.date",
            {
                "weekday": Text(f"day.{DAY_KEYS[local.weekday()]}"),
                "day": local.day,
                "month": Text(f"month.{local.month}"),
            },
        )
    if session.all_day:
        return Text("activities.when.all_day", {"day": day})
    if session.ends_at is not None:
        return Text(
            "activities.when.from_to", {"day": day, "start": f"{local:%H:%M}", "end": f"{session.ends_at:%H:%M}"}
        )
    return Text("activities.when.at", {"day": day, "start": f"{local:%H:%M}"})


def where_text(activity: Activity) -> Text | None:
    """Say where an activity is: the place's name, address and postcode, as listed."""
    if not activity.locations:
        return None
    place = activity.locations[0]
    shown: list[str] = []
    for part in (place.name, place.address, place.postcode):
        if part.strip() and part.strip() not in ", ".join(shown):
            shown.append(part.strip())
    return Text("activities.where", {"place": ", ".join(shown)}) if shown else None


def cost_text(activity: Activity) -> Text:
    """Say what it costs: free, or the amount (or the listing's own words for it)."""
    if activity.is_free:
        return Text("activities.cost.free")
    option = next(option for option in activity.cost_options if option.amount)
    if option.amount_description:
        return Text("activities.cost.described", {"cost": option.amount_description})
    amount = option.amount or 0.0
    shown = f"{amount:.0f}" if float(amount).is_integer() else f"{amount:.2f}"
    return Text("activities.cost.amount", {"amount": shown})


def card_lines(activity: Activity, session: Occurrence, now: datetime) -> tuple[Text, ...]:
    """The lines of a card below its name."""
    lines: list[Text] = []
    if activity.description.strip():
        description = activity.description.strip()
        if len(description) > MAX_DESCRIPTION:
            description = description[: MAX_DESCRIPTION - 1].rstrip() + "…"
        lines.append(Text("activities.plain", {"text": description}))
    lines.append(Text("activities.line.when", {"when": when_text(session, now)}))
    where = where_text(activity)
    if where is not None:
        lines.append(where)
    lines.append(Text("activities.line.cost", {"cost": cost_text(activity)}))
    access = tuple(dict.fromkeys(item for place in activity.locations[:1] for item in place.accessibility if item))
    if access:
        lines.append(Text("activities.line.access", {"access": ", ".join(access)}))
    contact = _contact(activity)
    if contact:
        lines.append(Text("activities.line.contact", {"contact": contact}))
    return tuple(lines)


def _contact(activity: Activity) -> str:
    person = activity.contact
    parts = [person.name, person.phone, person.email or activity.email]
    if not any(parts[1:]) and activity.url:
        parts.append(activity.url)
    return ", ".join(part.strip() for part in parts if part and part.strip())


def card(activity: Activity, session: Occurrence, facts: ActivityFacts, now: datetime) -> Reply:
    """One activity's card with "I'm interested", "I'll go" and "Not for me"."""
    key = activity_key(activity.id)
    parts = [Text("activities.card", {"name": activity.name, "lines": card_lines(activity, session, now)})]
    answer = facts.responses.get(activity.id)
    if answer is not None and answer.response == GOING and answer.occurrence_at == session.starts_at:
        parts.append(Text("activities.card.you_are_going"))
    elif answer is not None and answer.response == INTERESTED:
        parts.append(Text("activities.card.you_are_interested"))
    buttons = (
        (
            Button(Text("activities.button.interested"), button_data(FLOW, "like", key)),
            Button(Text("activities.button.going"), button_data(FLOW, "go", f"{key}_{session_code(session)}")),
        ),
        (Button(Text("activities.button.not_for_me"), button_data(FLOW, "no", key)),),
    )
    return reply(*parts, buttons=buttons)


def reminder(activity: Activity, session: Occurrence) -> Reply:
    """The reminder sent two hours before a session the member said they'd go to."""
    where = where_text(activity)
    lines = (where,) if where is not None else ()
    start = f"{session.starts_at.astimezone(zone_of(activity)):%H:%M}"
    return reply(Text("activities.reminder", {"name": activity.name, "start": start, "lines": Joined(lines, "\n")}))
