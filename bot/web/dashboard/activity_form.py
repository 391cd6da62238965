"""The dashboard's activity form: read what a coordinator typed into the same draft the bot's /listings builds.

The words are read by the bot's own readers (flows.activities.drafts: times, dates, postcodes, prices) and the
draft becomes an `Activity` through `drafts.build`, so a listing added here is exactly one added in the chat. When
changing a listing, only the parts of the form that differ from what the listing holds go into the draft, so that
details the form cannot show (an imported monthly schedule, a second place, a described price) stay as they are.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from multidict import MultiMapping

from flows.activities.areas import normalise_neighbourhood, postcode_district
from flows.activities.drafts import (
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_PLACE,
    build,
    local_today,
    parse_amount,
    parse_clock,
    parse_date,
    parse_postcode,
)
from flows.activities.model import Activity, Schedule
from flows.activities.occurrences import WEEKDAYS

DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
KEEP = "keep"
DISTRICT = "district"
NEIGHBOURHOOD = "n:"
_FORM_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
GROUPS = ("name", "desc", "when", "place", "cost", "tags")


@dataclass(frozen=True)
class ActivityForm:
    """The form's fields as typed (to show the form again with what was entered)."""

    name: str = ""
    description: str = ""
    when: str = "weekly"  # weekly | once | keep (an existing schedule the form cannot show)
    days: tuple[str, ...] = ()  # DAY_KEYS
    date: str = ""  # YYYY-MM-DD
    start: str = ""  # HH:MM
    end: str = ""
    place: str = ""
    postcode: str = ""
    area: str = ""  # "" everyone | "district" | "n:<neighbourhood>" | "keep"
    cost: str = "free"  # free | paid
    amount: str = ""
    interests: tuple[str, ...] = ()
    form_id: str = ""  # a new listing's id, fixed when the form is first shown: sending it twice adds it once

    def group(self, name: str) -> tuple[Any, ...]:
        """The fields of one part of the form, comparable with the same part of another form."""
        return {
            "name": (" ".join(self.name.split()),),
            "desc": (_lines(self.description),),
            "when": (self.when, frozenset(self.days), self.date, self.start, self.end),
            "place": (self.place.strip(), self.postcode.strip().upper(), self.area),
            "cost": (self.cost, self.amount.strip() if self.cost == "paid" else ""),
            "tags": (frozenset(self.interests),),
        }[name]


@dataclass(frozen=True)
class ReadForm:
    """The draft (as /listings keeps it) and what was wrong, by field."""

    draft: dict[str, Any]
    errors: dict[str, str]
    keep_areas: bool = False


def new_form() -> ActivityForm:
    """An empty form for a new listing, with the id it will get."""
    return ActivityForm(form_id=str(uuid.uuid4()))


def form_from_post(post: MultiMapping[Any]) -> ActivityForm:
    """Read the submitted fields (unknown days are dropped; lengths are checked by `read_form`)."""

    def one(name: str) -> str:
        value = post.get(name, "")
        return value[:5000] if isinstance(value, str) else ""

    def many(name: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v for v in post.getall(name, []) if isinstance(v, str) and len(v) < 100))

    return ActivityForm(
        name=one("name"),
        description=_lines(one("description")),
        when=one("when") or "weekly",
        days=tuple(day for day in DAY_KEYS if day in many("days")),
        date=one("date").strip(),
        start=one("start").strip(),
        end=one("end").strip(),
        place=one("place"),
        postcode=one("postcode"),
        area=one("area"),
        cost=one("cost") or "free",
        amount=one("amount"),
        interests=many("interests"),
        form_id=one("form_id").strip(),
    )


def form_from_activity(activity: Activity, neighbourhoods: tuple[str, ...]) -> ActivityForm:
    """The form filled in with what a listing holds now."""
    form = ActivityForm(name=activity.name, description=activity.description, interests=activity.interests)
    schedule = activity.schedules[0] if len(activity.schedules) == 1 else None
    if schedule is not None and _form_can_show(schedule):
        start = schedule.opens_at.isoformat("minutes") if schedule.opens_at else ""
        end = schedule.closes_at.isoformat("minutes") if schedule.closes_at else ""
        if schedule.freq == "WEEKLY":
            days = tuple(DAY_KEYS[WEEKDAYS.index(day)] for day in schedule.byday)
            form = replace(form, when="weekly", days=days, start=start, end=end)
        else:
            date = schedule.dtstart.isoformat() if schedule.dtstart else ""
            form = replace(form, when="once", date=date, start=start, end=end)
    else:
        form = replace(form, when=KEEP)
    if activity.locations:
        place = activity.locations[0]
        form = replace(form, place=place.name, postcode=place.postcode)
    form = replace(form, area=_area_choice(activity, form.postcode, neighbourhoods))
    if not activity.is_free:
        option = next(option for option in activity.cost_options if option.amount)
        amount = option.amount or 0.0
        form = replace(form, cost="paid", amount=f"{amount:.0f}" if float(amount).is_integer() else f"{amount:.2f}")
    return form


def _form_can_show(schedule: Schedule) -> bool:
    if schedule.opens_at is None or schedule.interval != 1 or schedule.bymonthday or schedule.description:
        return False
    if schedule.valid_from is not None or schedule.valid_to is not None:
        return False
    if schedule.freq == "WEEKLY":
        return bool(schedule.byday) and all(day in WEEKDAYS for day in schedule.byday)
    return schedule.freq is None and schedule.dtstart is not None


def _area_choice(activity: Activity, postcode: str, neighbourhoods: tuple[str, ...]) -> str:
    if not activity.areas:
        return ""
    if len(activity.areas) == 1:
        (area,) = activity.areas
        if area == postcode_district(postcode):
            return DISTRICT
        if area in {normalise_neighbourhood(name) for name in neighbourhoods}:
            return NEIGHBOURHOOD + area
    return KEEP


def read_form(
    form: ActivityForm,
    now: datetime,
    term_ids: tuple[str, ...],
    neighbourhoods: tuple[str, ...],
    existing: Activity | None = None,
    before: ActivityForm | None = None,
) -> ReadForm:
    """Check the form; a new listing needs every part, a change only reads the parts that differ from `before`."""
    draft: dict[str, Any] = {}
    errors: dict[str, str] = {}
    groups = [g for g in GROUPS if before is None or form.group(g) != before.group(g)]
    if existing is None and not _FORM_ID.fullmatch(form.form_id):
        errors["form"] = "This form has expired. Please start again."
    if "name" in groups:
        name = " ".join(form.name.split())
        if 2 <= len(name) <= MAX_NAME:
            draft["name"] = name
        else:
            errors["name"] = f"Give the activity a name of 2 to {MAX_NAME} characters."
    if "desc" in groups:
        if len(form.description) <= MAX_DESCRIPTION:
            draft["description"] = form.description
        else:
            errors["description"] = f"Keep the description to {MAX_DESCRIPTION} characters or fewer."
    if "when" in groups and form.when != KEEP:
        _read_when(form, now, existing, draft, errors)
    elif "when" in groups and (existing is None or before is None or before.when != KEEP):
        errors["when"] = "Choose when it runs: every week, or once."
    keep_areas = False
    if "place" in groups:
        keep_areas = _read_place(form, neighbourhoods, existing is not None, draft, errors)
    if "cost" in groups:
        if form.cost == "free":
            draft["free"] = True
        elif form.cost == "paid" and (amount := parse_amount(form.amount)):
            draft["free"], draft["amount"] = False, amount
        else:
            errors["amount"] = "Give the cost in pounds, such as 3.50, or choose Free."
    if "tags" in groups:
        draft["interests"] = [term for term in term_ids if term in form.interests]
    return ReadForm(draft, errors, keep_areas)


def _read_when(
    form: ActivityForm, now: datetime, existing: Activity | None, draft: dict[str, Any], errors: dict[str, str]
) -> None:
    start, end = parse_clock(form.start), parse_clock(form.end) if form.end else None
    if start is None:
        errors["start"] = "Give the time it starts, such as 10:30."
    elif form.end and (end is None or end == start):
        errors["end"] = "Give the time it ends, such as 12:00, or leave it empty."
    if form.when == "weekly":
        if not form.days:
            errors["days"] = "Choose at least one day of the week."
        draft["days"] = [DAY_KEYS.index(day) for day in form.days]
        draft.pop("date", None)
    elif form.when == "once":
        day = parse_date(form.date, local_today(now, existing))
        if day is None:
            errors["date"] = "Give a date from today on, within two years, such as 2026-12-25."
        else:
            draft["date"], draft["days"] = day.isoformat(), []
    else:
        errors["when"] = "Choose when it runs: every week, or once."
    if start is not None:
        draft["start"], draft["end"] = start.isoformat("minutes"), end.isoformat("minutes") if end else ""


def _read_place(
    form: ActivityForm, neighbourhoods: tuple[str, ...], editing: bool, draft: dict[str, Any], errors: dict[str, str]
) -> bool:
    place = " ".join(form.place.split())
    postcode = parse_postcode(form.postcode)
    if not 2 <= len(place) <= MAX_PLACE:
        errors["place"] = f"Give the name of the place, 2 to {MAX_PLACE} characters."
    if postcode is None:
        errors["postcode"] = "Give the venue's postcode, such as EH6 8RG, or its district, such as EH6."
    names = {normalise_neighbourhood(name) for name in neighbourhoods}
    area = ""
    if form.area == DISTRICT:
        area = postcode_district(postcode or "") or ""
    elif form.area.startswith(NEIGHBOURHOOD) and form.area[len(NEIGHBOURHOOD) :] in names:
        area = form.area[len(NEIGHBOURHOOD) :]
    elif form.area not in ("", KEEP) or (form.area == KEEP and not editing):
        errors["area"] = "Choose who sees it."
    draft["place"], draft["postcode"], draft["area"] = place, postcode or "", area
    return form.area == KEEP


def listing_from(read: ReadForm, organisation_id: int, existing: Activity | None, form_id: str) -> Activity:
    """The listing as it will be saved: the draft applied as /listings applies it (a new one gets `form_id`)."""
    activity = build(read.draft, organisation_id, existing)
    if existing is None:
        activity = replace(activity, id=form_id)
    elif read.keep_areas:
        activity = replace(activity, areas=existing.areas)
    return activity


def area_options(postcode: str, neighbourhoods: tuple[str, ...], existing: Activity | None) -> list[dict[str, str]]:
    """The choices of who sees a listing: everyone, the venue's district, a neighbourhood, or as imported."""
    district = postcode_district(postcode) if postcode else None
    options = [
        {"value": "", "label": "Everyone in the organisation"},
        {
            "value": DISTRICT,
            "label": f"Only people in {district}" if district else "Only people in the venue's district",
        },
    ]
    options += [
        {"value": NEIGHBOURHOOD + normalise_neighbourhood(name), "label": f"Only people in {name}"}
        for name in neighbourhoods
    ]
    if existing is not None and existing.areas:
        options.append({"value": KEEP, "label": "As listed now: " + ", ".join(existing.areas)})
    return options


def _lines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()
