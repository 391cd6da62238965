"""Activities as the dashboard shows them: the member's card in words, coming and cancelled sessions, who sees it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from flows.activities.areas import display_area
from flows.activities.cards import card_lines, cost_text, session_code, when_text, where_text
from flows.activities.facts import activity_key
from flows.activities.manage_lists import CANCEL_WINDOW
from flows.activities.model import Activity, Occurrence
from flows.activities.occurrences import next_occurrence, occurrences, zone_of
from flows.activities.taxonomy import bundled_taxonomy
from flows.outcome import Text
from flows.texts import Catalogue


@dataclass(frozen=True)
class SessionRow:
    """One coming session: when, in words, and its code in the cancel address."""

    when: str
    code: str


@dataclass(frozen=True)
class ActivityRow:
    """A line of the activities list."""

    key: str
    name: str
    next_session: str
    who: str
    cost: str


def interest_labels(catalogue: Catalogue) -> dict[str, str]:
    """Interest term ids to their names, in the taxonomy's order."""
    return {term.id: catalogue.render(Text(term.label)) for term in bundled_taxonomy().terms}


def who_sees(activity: Activity, neighbourhoods: tuple[str, ...]) -> str:
    """Who the listing is shown to, in words."""
    if not activity.areas:
        return "Everyone in the organisation"
    return "People in " + ", ".join(display_area(area, neighbourhoods) for area in activity.areas)


def list_row(activity: Activity, now: datetime, catalogue: Catalogue, neighbourhoods: tuple[str, ...]) -> ActivityRow:
    """The activity as a line of the list."""
    session = next_occurrence(activity, now)
    return ActivityRow(
        key=activity_key(activity.id),
        name=activity.name,
        next_session=catalogue.render(when_text(session, now)) if session else "No sessions coming up",
        who=who_sees(activity, neighbourhoods),
        cost=catalogue.render(cost_text(activity)),
    )


def card_in_words(activity: Activity, now: datetime, catalogue: Catalogue) -> tuple[str, ...]:
    """The lines of the card members see under the name (for the next session), as the bot renders them."""
    session = next_occurrence(activity, now)
    if session is not None:
        return tuple(catalogue.render(line) for line in card_lines(activity, session, now))
    where = where_text(activity)
    lines = [
        Text("manage.no_sessions"),
        *((where,) if where else ()),
        Text("activities.line.cost", {"cost": cost_text(activity)}),
    ]
    return tuple(catalogue.render(line) for line in lines)


def coming_sessions(activity: Activity, now: datetime, catalogue: Catalogue) -> tuple[SessionRow, ...]:
    """The sessions a coordinator may cancel: those in the next four weeks, as /listings offers them."""
    return tuple(
        SessionRow(catalogue.render(when_text(session, now, relative=False)), session_code(session))
        for session in occurrences(activity, now, now + CANCEL_WINDOW)
    )


def find_coming(activity: Activity, code: str, now: datetime) -> Occurrence | None:
    """One of the coming sessions by its code; None when it has passed, was cancelled, or never was."""
    return next((s for s in occurrences(activity, now, now + CANCEL_WINDOW) if session_code(s) == code), None)


@dataclass(frozen=True)
class PastSession:
    """A session held in the last four weeks: when, its code in the headcount address, how many came (if counted)."""

    when: str
    code: str
    count: int | None


def held_sessions(activity: Activity, now: datetime) -> list[Occurrence]:
    """The sessions that started in the last four weeks (cancelled ones were never held), latest first."""
    return occurrences(activity, now - CANCEL_WINDOW, now)[::-1]


def past_sessions(
    activity: Activity, now: datetime, catalogue: Catalogue, counts: Mapping[date, int]
) -> tuple[PastSession, ...]:
    """The sessions a coordinator may give a headcount for, with the one already kept."""
    return tuple(
        PastSession(
            catalogue.render(when_text(session, now, relative=False)),
            session_code(session),
            counts.get(session.starts_at.date()),
        )
        for session in held_sessions(activity, now)
    )


def find_held(activity: Activity, code: str, now: datetime) -> Occurrence | None:
    """One of the sessions held in the last four weeks by its code; None otherwise."""
    return next((s for s in held_sessions(activity, now) if session_code(s) == code), None)


def cancelled_days(activity: Activity, now: datetime, catalogue: Catalogue) -> tuple[str, ...]:
    """Sessions already cancelled from today on, in words."""
    today = now.astimezone(zone_of(activity)).date()
    days = sorted(day for day in activity.cancelled_dates if day >= today)
    return tuple(
        catalogue.render(
            Text(
                "activities.when.date",
                {
                    "weekday": Text(f"day.{_DAY_KEYS[day.weekday()]}"),
                    "day": day.day,
                    "month": Text(f"month.{day.month}"),
                },
            )
        )
        for day in days
    )


_DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
