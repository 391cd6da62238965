"""/plan: how often, on which days, at what time and in which time zone, and the extra questions."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time
from zoneinfo import ZoneInfo

from flows.callbacks import ButtonChoice, button_data
from flows.outcome import Button, EndConversation, Joined, Outcome, SaveConversation, SavePlan, Text, reply
from flows.schedule import CheckInPlan, Frequency, next_due, valid_timezone
from flows.snapshot import Facts

FLOW = "pl"
TIMES = ("08:00", "10:00", "12:00", "15:00", "18:00", "20:00")
ZONES = {"london": "Europe/London", "dublin": "Europe/Dublin"}
EVERY = (1, 4, 7, 14)
DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def show(facts: Facts, lead: Text | None = None) -> Outcome:
    """Show the plan and what can be changed."""
    plan = facts.member.plan or CheckInPlan(frequency=Frequency.ON_REQUEST)
    rows = tuple(
        (Button(Text(f"plan.button.{name}"), button_data(FLOW, "menu", name)),)
        for name in ("often", "time", "zone", "extra", "done")
    )
    parts = (lead, describe(plan, facts), Text("plan.how_to_change"))
    return Outcome(
        replies=(reply(*(part for part in parts if part), buttons=rows),), effects=(SaveConversation(FLOW, "menu"),)
    )


def describe(plan: CheckInPlan, facts: Facts) -> Text:
    """Say the plan and the next check-in in plain words."""
    if plan.frequency is Frequency.ON_REQUEST:
        when = Text("plan.when.on_request")
    else:
        days = Text("plan.days.every") if plan.frequency is Frequency.DAILY else _days(plan)
        when = Text(
            "plan.when.scheduled", {"days": days, "time": plan.time_of_day.strftime("%H:%M"), "zone": plan.timezone}
        )
    extra = Text("plan.extra.none")
    if plan.instrument_id and plan.instrument_id in facts.instruments:
        title = facts.instruments[plan.instrument_id].title
        extra = Text("plan.extra.some", {"title": title, "every": plan.instrument_every})
    due = next_due(plan, facts.now)
    upcoming = Text("plan.next", {"when": _format_local(due, plan)}) if due else Text("plan.next_none")
    return Text("plan.summary", {"when": when, "extra": extra, "next": upcoming})


def on_button(choice: ButtonChoice, facts: Facts) -> Outcome:
    """Handle a /plan button."""
    plan = facts.member.plan or CheckInPlan(frequency=Frequency.ON_REQUEST)
    step, value = choice.step, choice.choice
    if step == "menu":
        return _menu(value, facts, plan)
    if step == "often":
        return _often(value, facts, plan)
    if step == "days" and value in DAY_KEYS:
        day = DAY_KEYS.index(value)
        days = plan.weekdays ^ {day} if plan.frequency is Frequency.WEEKDAYS else frozenset({day})
        return _save(facts, replace(plan, frequency=Frequency.WEEKDAYS, weekdays=frozenset(days)), ask_days=True)
    if step == "days" and value == "done":
        return show(facts, Text("plan.saved"))
    if step == "weekly" and value in DAY_KEYS:
        return _save(facts, replace(plan, frequency=Frequency.WEEKLY, weekdays=frozenset({DAY_KEYS.index(value)})))
    if step == "time" and value.replace("_", ":") in TIMES:
        hour, minute = value.split("_")
        return _save(facts, replace(plan, time_of_day=time(int(hour), int(minute))))
    if step == "zone" and value in ZONES:
        return _save(facts, replace(plan, timezone=ZONES[value]))
    if step == "extra":
        if value == "none":
            return _save(facts, replace(plan, instrument_id=None))
        if value in facts.instruments:
            return _ask_every(facts, value)
    if step == "every" and value.isdigit() and int(value) in EVERY:
        position = facts.member.conversation
        chosen = str(position.data.get("instrument", "")) if position else ""
        if chosen in facts.instruments:
            return _save(facts, replace(plan, instrument_id=chosen, instrument_every=int(value)))
        return Outcome(notice=Text("buttons.stale"))
    return Outcome(refused="unknown_choice")


def on_text(text: str, facts: Facts) -> Outcome:
    """Take a typed time ("19:30") or time zone ("Europe/Paris") when asked for one."""
    plan = facts.member.plan or CheckInPlan(frequency=Frequency.ON_REQUEST)
    position = facts.member.conversation
    step = position.step if position else ""
    entered = text.strip()
    if step == "time":
        parsed = _parse_time(entered)
        if parsed is None:
            return Outcome(replies=(reply(Text("plan.time_not_understood")),))
        return _save(facts, replace(plan, time_of_day=parsed))
    if step == "zone":
        if not valid_timezone(entered):
            return Outcome(replies=(reply(Text("plan.zone_not_understood")),))
        return _save(facts, replace(plan, timezone=entered))
    return Outcome(replies=(reply(Text("buttons.please_use_above")),))


def _menu(value: str, facts: Facts, plan: CheckInPlan) -> Outcome:
    if value == "done":
        return Outcome(replies=(reply(Text("plan.done")),), effects=(EndConversation(),))
    if value == "often":
        options = ("daily", "weekdays", "weekly", "on_request")
        rows = tuple((Button(Text(f"plan.often.{name}"), button_data(FLOW, "often", name)),) for name in options)
        return _ask(Text("plan.ask_often"), rows, "often")
    if value == "time":
        buttons = [
            Button(Text("plan.time_label", {"time": t}), button_data(FLOW, "time", t.replace(":", "_"))) for t in TIMES
        ]
        return _ask(Text("plan.ask_time"), (tuple(buttons[:3]), tuple(buttons[3:])), "time")
    if value == "zone":
        rows = tuple((Button(Text(f"plan.zone.{key}"), button_data(FLOW, "zone", key)),) for key in ZONES)
        return _ask(Text("plan.ask_zone", {"zone": plan.timezone}), rows, "zone")
    if value == "extra":
        rows = tuple(
            (Button(Text("instrument.text", {"text": instrument.title}), button_data(FLOW, "extra", key)),)
            for key, instrument in sorted(facts.instruments.items())
            if not getattr(instrument, "has_placeholder_wording", False)
        )
        rows += ((Button(Text("plan.extra_none"), button_data(FLOW, "extra", "none")),),)
        organisation = facts.member.organisation.name if facts.member.organisation else ""
        return _ask(Text("plan.ask_extra", {"organisation": organisation}), rows, "extra")
    return Outcome(refused="unknown_choice")


def _often(value: str, facts: Facts, plan: CheckInPlan) -> Outcome:
    if value == "daily":
        return _save(facts, replace(plan, frequency=Frequency.DAILY))
    if value == "on_request":
        return _save(facts, replace(plan, frequency=Frequency.ON_REQUEST))
    if value == "weekdays":
        return _ask_days(plan, "days", Text("plan.ask_days"))
    if value == "weekly":
        return _ask_days(plan, "weekly", Text("plan.ask_weekly"))
    return Outcome(refused="unknown_choice")


def _ask_days(plan: CheckInPlan, step: str, question: Text) -> Outcome:
    chosen = plan.weekdays if plan.frequency is Frequency.WEEKDAYS else frozenset()
    buttons = [
        Button(
            Text("plan.day_chosen" if step == "days" and i in chosen else "plan.day", {"day": Text(f"day.{key}")}),
            button_data(FLOW, step, key),
        )
        for i, key in enumerate(DAY_KEYS)
    ]
    rows: tuple[tuple[Button, ...], ...] = (tuple(buttons[:4]), tuple(buttons[4:]))
    if step == "days":
        rows += ((Button(Text("plan.days_done"), button_data(FLOW, "days", "done")),),)
    return _ask(question, rows, step)


def _ask_every(facts: Facts, instrument_id: str) -> Outcome:
    rows = (tuple(Button(Text(f"plan.every.{n}"), button_data(FLOW, "every", str(n))) for n in EVERY),)
    return Outcome(
        replies=(reply(Text("plan.ask_every"), buttons=rows),),
        effects=(SaveConversation(FLOW, "every", {"instrument": instrument_id}),),
    )


def _ask(question: Text, rows: tuple[tuple[Button, ...], ...], step: str) -> Outcome:
    return Outcome(replies=(reply(question, buttons=rows),), effects=(SaveConversation(FLOW, step),))


def _save(facts: Facts, plan: CheckInPlan, ask_days: bool = False) -> Outcome:
    updated = replace(facts, member=replace(facts.member, plan=plan))
    saved = Outcome(effects=(SavePlan(plan),), notice=Text("buttons.saved"))
    if ask_days:
        return saved.then(_ask_days(plan, "days", Text("plan.ask_days")))
    return saved.then(show(updated, Text("plan.saved")))


def _days(plan: CheckInPlan) -> Text:
    names = tuple(Text(f"day.{DAY_KEYS[day]}") for day in sorted(plan.active_days()))
    return Text("plan.days.some", {"days": Joined(names)})


def _parse_time(text: str) -> time | None:
    cleaned = text.lower().replace(".", ":").replace(" ", "")
    for suffix, shift in (("am", 0), ("pm", 12)):
        if cleaned.endswith(suffix):
            cleaned = cleaned.removesuffix(suffix)
            hour_text, _, minute_text = cleaned.partition(":")
            if not hour_text.isdigit() or not 1 <= int(hour_text) <= 12:
                return None
            cleaned = f"{int(hour_text) % 12 + shift}:{minute_text or '00'}"
    hour_text, _, minute_text = cleaned.partition(":")
    if not (hour_text.isdigit() and (minute_text or "0").isdigit()):
        return None
    hour, minute = int(hour_text), int(minute_text or 0)
    return time(hour, minute) if 0 <= hour < 24 and 0 <= minute < 60 else None


def _format_local(moment: datetime, plan: CheckInPlan) -> Text:
    local = moment.astimezone(ZoneInfo(plan.timezone))
    return Text(
        "plan.next_when",
        {
            "weekday": Text(f"day.{DAY_KEYS[local.weekday()]}"),
            "day": local.day,
            "month": Text(f"month.{local.month}"),
            "time": f"{local:%H:%M}",
        },
    )
