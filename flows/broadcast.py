"""/broadcast: a coordinator writes news, may attach an activity card, picks the audience, previews and sends.

The audience is everyone in the coordinator's organisation who asked for news (NEWS consent, current), optionally
narrowed to one area and to some interests. Only coordinators may broadcast; every refusal is audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flows.broadcast_counts import ShownCount
from flows.broadcast_counts import shown_count as audience_count
from flows.broadcast_message import MAX_TEXT, member_message
from flows.broadcast_model import ActivityCard, AudienceFilter, CreateBroadcast
from flows.callbacks import ButtonChoice, button_data
from flows.consent import ConsentScope
from flows.disclosure import THRESHOLD
from flows.outcome import Audit, Button, EndConversation, Joined, Outcome, SaveConversation, Text, reply
from flows.questions import record_withdrawal
from flows.snapshot import Facts

FLOW = "bc"
COORDINATOR = "coordinator"
MAX_CHOICES = 20
SMALL_GROUP = 5  # audiences and counts under this size are not shown exactly, and narrowed ones not sent to
MAX_LABEL = 40
CANCEL = "cancel"
Data = dict[str, Any]
Rows = tuple[tuple[Button, ...], ...]


def command(facts: Facts) -> Outcome:
    """Start a broadcast: coordinators only."""
    if not facts.member.registered:
        return Outcome(replies=(reply(Text("start.needed")),))
    refused = _refused(facts, button=False)
    return refused or _ask_text({}, facts)


def on_text(text: str, facts: Facts) -> Outcome:
    """Take the coordinator's message, when the flow is waiting for it."""
    refused = _refused(facts, button=False)
    if refused is not None:
        return refused.then(Outcome(effects=(EndConversation(),)))
    position = facts.member.conversation
    assert position is not None
    if position.step != "text":
        return Outcome(replies=(reply(Text("buttons.please_use_above")),))
    data = dict(position.data)
    cleaned = text.strip()
    if len(cleaned) > MAX_TEXT:
        warning = Text("broadcast.too_long", {"length": f"{len(cleaned):,}", "limit": f"{MAX_TEXT:,}"})
        return Outcome(replies=(reply(warning, buttons=_cancel_row()),))
    data["text"] = cleaned
    assert facts.broadcast is not None
    if not data.get("ready"):
        data["cards"] = [card.as_dict() for card in facts.broadcast.activities[:MAX_CHOICES]]
        if data["cards"]:
            return _ask_card(data)
    return _next(data, facts)


def on_button(choice: ButtonChoice, facts: Facts) -> Outcome:
    """Handle a button of the compose flow; stale, forged or not-allowed presses change nothing."""
    refused = _refused(facts, button=True)
    if refused is not None:
        return refused
    position = facts.member.conversation
    if position is None or position.flow != FLOW:
        return Outcome(notice=Text("buttons.stale"))
    if choice.step == CANCEL:
        return Outcome(replies=(reply(Text("broadcast.cancelled")),), effects=(EndConversation(),))
    if choice.step != position.step:
        return Outcome(notice=Text("buttons.stale"))
    data = dict(position.data)
    handler = _STEPS.get(choice.step)
    outcome = handler(choice.choice, data, facts) if handler else None
    return outcome or Outcome(refused="unknown_choice", effects=(Audit("broadcast_refused", "button"),))


def on_stop(choice: ButtonChoice, facts: Facts, method: str) -> Outcome:
    """Handle "Stop these messages": withdraw NEWS consent at once (a withdrawal record, as /privacy writes)."""
    if choice.step != "stop" or choice.choice != "news":
        return Outcome(refused="unknown_choice")
    stopped = Outcome(replies=(reply(Text("broadcast.stopped")),), notice=Text("buttons.saved"))
    if not facts.member.consent.news:
        return stopped
    return Outcome(effects=(record_withdrawal(ConsentScope.NEWS, method),)).then(stopped)


def _refused(facts: Facts, *, button: bool) -> Outcome | None:
    staff = facts.staff
    if staff is not None and staff.role == COORDINATOR and facts.broadcast is not None:
        return None
    audit = Audit("broadcast_refused", "organisation", staff.organisation_id if staff else None)
    if button:
        return Outcome(notice=Text("staff.not_allowed"), refused="not_allowed", effects=(audit,))
    key = "staff.only" if staff is None else "broadcast.coordinators_only"
    return Outcome(replies=(reply(Text(key)),), effects=(audit,))


def _cancel_row() -> Rows:
    return ((Button(Text("broadcast.button.cancel"), button_data(FLOW, CANCEL, "yes")),),)


def _save(step: str, data: Data) -> SaveConversation:
    return SaveConversation(FLOW, step, data)


def _ask_text(data: Data, facts: Facts) -> Outcome:
    ask = Text("broadcast.ask_text", {"limit": f"{MAX_TEXT:,}"})
    return Outcome(replies=(reply(ask, buttons=_cancel_row()),), effects=(_save("text", data),))


def _ask_card(data: Data) -> Outcome:
    rows: Rows = tuple(
        (Button(Text("broadcast.card_button", {"name": _label(card["name"])}), button_data(FLOW, "card", str(i))),)
        for i, card in enumerate(data["cards"])
    )
    rows += ((Button(Text("broadcast.button.no_card"), button_data(FLOW, "card", "none")),), *_cancel_row())
    return Outcome(replies=(reply(Text("broadcast.ask_card"), buttons=rows),), effects=(_save("card", data),))


def _on_card(choice: str, data: Data, facts: Facts) -> Outcome | None:
    if choice == "none":
        data["card"] = None
    elif (index := _index(choice, data.get("cards", []))) is not None:
        data["card"] = data["cards"][index]
    else:
        return None
    return _next(data, facts)


def _next(data: Data, facts: Facts) -> Outcome:
    return _preview(data, facts) if data.get("ready") else _audience(data, facts)


def _filter(data: Mapping[str, Any]) -> AudienceFilter:
    return AudienceFilter(data.get("area"), frozenset(data.get("interests", ())))


def too_small(audience: AudienceFilter, count: int) -> bool:
    """A narrowed audience of a few people could point at someone: news goes to groups of SMALL_GROUP or more."""
    return (audience.area is not None or bool(audience.interests)) and 0 < count < SMALL_GROUP


def _audience(data: Data, facts: Facts) -> Outcome:
    assert facts.broadcast is not None
    profile = facts.broadcast.audience
    audience = _filter(data)
    chosen = tuple(_term(term, facts) for term in sorted(audience.interests))
    summary = Text(
        "broadcast.audience",
        {
            "people": _people(audience_count(profile, audience)),
            "area": audience.area or Text("broadcast.any_area"),
            "interests": Joined(chosen) if chosen else Text("broadcast.any_interest"),
        },
    )
    rows: list[tuple[Button, ...]] = []
    if profile.areas():
        rows.append((Button(Text("broadcast.button.area"), button_data(FLOW, "audience", "area")),))
    if profile.interests(audience.area):
        rows.append((Button(Text("broadcast.button.interests"), button_data(FLOW, "audience", "interests")),))
    rows.append((Button(Text("broadcast.button.preview"), button_data(FLOW, "audience", "preview")),))
    rows.extend(_cancel_row())
    return Outcome(replies=(reply(summary, buttons=tuple(rows)),), effects=(_save("audience", data),))


def _on_audience(choice: str, data: Data, facts: Facts) -> Outcome | None:
    if choice == "area":
        return _ask_area(data, facts)
    if choice == "interests":
        return _ask_interests(data, facts)
    if choice == "preview":
        return _preview(data, facts)
    return None


def _ask_area(data: Data, facts: Facts) -> Outcome:
    assert facts.broadcast is not None
    profile = facts.broadcast.audience
    areas = profile.areas()[:MAX_CHOICES]
    data["areas"] = [area for area, _ in areas]
    rows: Rows = tuple(
        (
            Button(
                Text(
                    "broadcast.choice",
                    {"name": _label(area), "count": shown_count(audience_count(profile, AudienceFilter(area)))},
                ),
                button_data(FLOW, "area", str(i)),
            ),
        )
        for i, (area, _) in enumerate(areas)
    )
    rows += ((Button(Text("broadcast.any_area"), button_data(FLOW, "area", "any")),), *_cancel_row())
    return Outcome(replies=(reply(Text("broadcast.ask_area"), buttons=rows),), effects=(_save("area", data),))


def _on_area(choice: str, data: Data, facts: Facts) -> Outcome | None:
    if choice == "any":
        data["area"] = None
    elif (index := _index(choice, data.get("areas", []))) is not None:
        data["area"] = data["areas"][index]
    else:
        return None
    return _audience(data, facts)


def _ask_interests(data: Data, facts: Facts) -> Outcome:
    assert facts.broadcast is not None
    profile = facts.broadcast.audience
    terms = profile.interests(data.get("area"))[:MAX_CHOICES]
    data["terms"] = [term for term, _ in terms]
    chosen = set(data.get("interests", ()))
    area = data.get("area")
    rows = tuple(
        (
            Button(
                Text(
                    "broadcast.choice_on" if term in chosen else "broadcast.choice",
                    {
                        "name": _term(term, facts),
                        "count": shown_count(audience_count(profile, AudienceFilter(area, frozenset({term})))),
                    },
                ),
                button_data(FLOW, "interests", str(i)),
            ),
        )
        for i, (term, _) in enumerate(terms)
    )
    rows += (
        (Button(Text("broadcast.any_interest"), button_data(FLOW, "interests", "any")),),
        (Button(Text("broadcast.button.done"), button_data(FLOW, "interests", "done")),),
    )
    return Outcome(replies=(reply(Text("broadcast.ask_interests"), buttons=rows),), effects=(_save("interests", data),))


def _on_interests(choice: str, data: Data, facts: Facts) -> Outcome | None:
    if choice == "any":
        data["interests"] = []
        return _audience(data, facts)
    if choice == "done":
        return _audience(data, facts)
    index = _index(choice, data.get("terms", []))
    if index is None:
        return None
    chosen = set(data.get("interests", ()))
    chosen ^= {data["terms"][index]}
    data["interests"] = sorted(chosen)
    return _ask_interests(data, facts)


def _preview(data: Data, facts: Facts) -> Outcome:
    assert facts.broadcast is not None
    data["ready"] = True
    card = ActivityCard.from_dict(data["card"]) if data.get("card") else None
    message = member_message(data["text"], card, facts.broadcast.organisation_name)
    count = facts.broadcast.audience.count(_filter(data))
    rows: list[tuple[Button, ...]] = []
    small = too_small(_filter(data), count)
    if count and not small:
        rows.append((Button(Text("broadcast.button.send"), button_data(FLOW, "preview", "send")),))
    rows.append((Button(Text("broadcast.button.change"), button_data(FLOW, "preview", "change")),))
    rows.extend(_cancel_row())
    shown = audience_count(facts.broadcast.audience, _filter(data))
    summary = Text("broadcast.will_go_to", {"people": _people(shown)}) if count else Text("broadcast.nobody")
    if small:
        summary = Text("broadcast.too_small", {"size": SMALL_GROUP})
    return Outcome(
        replies=(reply(Text("broadcast.preview_intro")), message, reply(summary, buttons=tuple(rows))),
        effects=(_save("preview", data),),
    )


def _on_preview(choice: str, data: Data, facts: Facts) -> Outcome | None:
    assert facts.broadcast is not None and facts.staff is not None
    if choice == "change":
        rows: list[tuple[Button, ...]] = [
            (Button(Text("broadcast.button.change_text"), button_data(FLOW, "change", "text")),)
        ]
        if data.get("cards"):
            rows.append((Button(Text("broadcast.button.change_card"), button_data(FLOW, "change", "card")),))
        rows.append((Button(Text("broadcast.button.change_audience"), button_data(FLOW, "change", "audience")),))
        rows.extend(_cancel_row())
        return Outcome(
            replies=(reply(Text("broadcast.ask_change"), buttons=tuple(rows)),), effects=(_save("change", data),)
        )
    if choice != "send":
        return None
    audience = _filter(data)
    count = facts.broadcast.audience.count(audience)
    if not count or too_small(audience, count):
        return Outcome(notice=Text("broadcast.nobody" if not count else "broadcast.too_small", {"size": SMALL_GROUP}))
    card = ActivityCard.from_dict(data["card"]) if data.get("card") else None
    return Outcome(
        replies=(
            reply(Text("broadcast.queued", {"people": _people(audience_count(facts.broadcast.audience, audience))})),
        ),
        effects=(
            CreateBroadcast(data["text"], card, audience),
            Audit("broadcast_created", "organisation", facts.staff.organisation_id),
            EndConversation(),
        ),
    )


def _on_change(choice: str, data: Data, facts: Facts) -> Outcome | None:
    if choice == "text":
        return _ask_text(data, facts)
    if choice == "card" and data.get("cards"):
        return _ask_card(data)
    if choice == "audience":
        return _audience(data, facts)
    return None


_STEPS = {
    "card": _on_card,
    "audience": _on_audience,
    "area": _on_area,
    "interests": _on_interests,
    "preview": _on_preview,
    "change": _on_change,
}


def _index(choice: str, offered: list[Any]) -> int | None:
    if not choice.isdigit() or len(choice) > 3:
        return None
    index = int(choice)
    return index if index < len(offered) else None


def people(count: int | ShownCount) -> Text:
    """Say how many people, in words: "2,000 people", "at least 30 people" or "fewer than 10 people".

    A plain number is a count of a sent broadcast (under SMALL_GROUP only "fewer than 5"); an audience's count
    before sending comes as a `ShownCount` (flows/broadcast_counts.py: the insight page's rules).
    """
    if isinstance(count, ShownCount):
        if count.few:
            return Text("broadcast.people_few", {"size": THRESHOLD})
        if not count.exact:
            return Text("broadcast.people_at_least", {"count": f"{count.at_least:,}"})
        count = count.count
    if 0 < count < SMALL_GROUP:
        return Text("broadcast.people_few", {"size": SMALL_GROUP})
    return Text("broadcast.people", {"count": f"{count:,}"})


def shown_count(count: int | ShownCount) -> Text | str:
    """A count on a choice button, with the same small-number suppression."""
    if isinstance(count, ShownCount):
        if count.few:
            return Text("broadcast.count_few", {"size": THRESHOLD})
        if not count.exact:
            return Text("broadcast.count_at_least", {"count": f"{count.at_least:,}"})
        count = count.count
    return Text("broadcast.count_few", {"size": SMALL_GROUP}) if 0 < count < SMALL_GROUP else f"{count:,}"


_people = people


def _term(term: str, facts: Facts) -> Text:
    """An interest as members chose it: the taxonomy's label, or the term itself when it has none."""
    assert facts.broadcast is not None
    label = facts.broadcast.interest_labels.get(term)
    return Text(label) if label else Text("broadcast.body", {"text": _label(term)})


def _label(name: str) -> str:
    return name if len(name) <= MAX_LABEL else name[: MAX_LABEL - 1].rstrip() + "…"
