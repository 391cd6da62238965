"""/trends: ask which period, then describe the chart in plain words so it works without seeing it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flows.callbacks import ButtonChoice, button_data
from flows.consent import ConsentScope
from flows.outcome import Button, Outcome, SendTrends, Text, reply
from flows.snapshot import Facts

FLOW = "tr"
PERIODS = (4, 12)
MOOD_WORDS = {1: "very_low", 2: "low", 3: "okay", 4: "good", 5: "great"}


@dataclass(frozen=True)
class Series:
    """Points over time for one measure: mood (1-5) or an instrument's score."""

    key: str
    title: str
    points: tuple[tuple[datetime, float], ...]


def ask(facts: Facts) -> Outcome:
    """Handle /trends: without STORE there is nothing kept to show."""
    if not facts.member.consent.allows(ConsentScope.STORE):
        return Outcome(replies=(reply(Text("trends.not_kept")),))
    buttons = (
        tuple(Button(Text(f"trends.weeks_{weeks}"), button_data(FLOW, "weeks", str(weeks))) for weeks in PERIODS),
    )
    return Outcome(replies=(reply(Text("trends.ask_period"), buttons=buttons),))


def on_button(choice: ButtonChoice, facts: Facts) -> Outcome:
    """Send the chart for the chosen period."""
    if choice.step != "weeks" or not choice.choice.isdigit() or int(choice.choice) not in PERIODS:
        return Outcome(refused="unknown_choice")
    if not facts.member.consent.allows(ConsentScope.STORE):
        return Outcome(replies=(reply(Text("trends.not_kept")),))
    return Outcome(effects=(SendTrends(int(choice.choice)),), notice=Text("trends.drawing"))


def summarise(series: list[Series], weeks: int) -> tuple[Text, ...]:
    """Say what the chart shows: how many check-ins, where mood sat, and how each measure moved."""
    mood = next((s for s in series if s.key == "mood"), None)
    if mood is None or not mood.points:
        return (Text("trends.empty", {"weeks": weeks}),)
    values = [value for _, value in mood.points]
    typical = round(sorted(values)[len(values) // 2])
    parts = [
        Text("trends.count", {"weeks": weeks, "count": len(values)}),
        Text("trends.mood_typical", {"mood": Text(f"mood.{MOOD_WORDS[int(typical)]}")}),
        _direction("trends.mood_direction", values, Text("trends.mood")),
    ]
    for other in series:
        if other.key != "mood" and len(other.points) >= 1:
            points = [value for _, value in other.points]
            if len(points) == 1:
                parts.append(Text("trends.measure_once", {"title": other.title, "value": _number(points[0])}))
            else:
                parts.append(
                    Text(
                        "trends.measure_change",
                        {"title": other.title, "first": _number(points[0]), "last": _number(points[-1])},
                    )
                )
    return tuple(parts)


def _direction(key: str, values: list[float], what: Text) -> Text:
    half = max(len(values) // 2, 1)
    earlier, later = sum(values[:half]) / half, sum(values[-half:]) / half
    change = "up" if later - earlier >= 0.5 else "down" if earlier - later >= 0.5 else "steady"
    return Text(f"{key}.{change}", {"what": what})


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
