"""The dashboard's news form: what the coordinator wrote and chose, checked by the bot's /broadcast rules.

The same rules as the bot: the message up to 3,000 characters; an activity card only for one of the organisation's
coming activities; the audience is everyone in the organisation who asked for news, optionally one area and any of
some interests; a narrowed audience under 5 (SMALL_GROUP) is not sent to. The audience's counts follow the
insight page's rules (flows/broadcast_counts.py, as the bot's): no count under 10 (SHOWN_FROM) is shown, and none
that another shown count would give away by subtraction ("everyone 14" and "EH6 11" are never both shown).
Nothing the browser sends is trusted: the card, the area and the interests are looked up again on every step.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from multidict import MultiMapping

from flows.broadcast import SMALL_GROUP, people, shown_count, too_small
from flows.broadcast_counts import ShownCount
from flows.broadcast_counts import shown_count as audience_count
from flows.broadcast_message import MAX_TEXT, member_message
from flows.broadcast_model import ActivityCard, AudienceFilter, AudienceProfile, CreateBroadcast
from flows.outcome import Text
from flows.texts import Catalogue

_REQUEST_KEY = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
MAX_CHOICE = 200
SHOWN_FROM = 10  # the dashboard's small-number rule: no count of members under this is shown exactly


@dataclass(frozen=True)
class ComposeForm:
    """The compose form as typed and chosen."""

    text: str = ""
    card: str = ""  # an activity id, or "" for no card
    area: str = ""  # "" for any area
    interests: tuple[str, ...] = ()
    request_key: str = ""  # fixed when the form is first shown: pressing Send twice sends once


@dataclass(frozen=True)
class Choice:
    """An area or interest to choose, with how many people (small numbers hidden)."""

    value: str
    label: str
    count: str
    chosen: bool


@dataclass(frozen=True)
class Checked:
    """The form checked against the audience and the cards as they are now."""

    errors: dict[str, str] = field(default_factory=dict)
    count: int = 0
    audience: AudienceFilter = field(default_factory=AudienceFilter)
    card: ActivityCard | None = None
    text: str = ""
    shown: ShownCount | None = None  # the count as it may be shown (None: shown as `count`)

    @property
    def sendable(self) -> bool:
        """Say whether Send may go ahead: no problem, somebody to send to, and not a small narrowed group."""
        return not self.errors and self.count > 0 and not too_small(self.audience, self.count)

    def effect(self) -> CreateBroadcast:
        """The bot's effect for this broadcast."""
        return CreateBroadcast(self.text, self.card, self.audience)


def new_compose() -> ComposeForm:
    """An empty form with its own request key."""
    return ComposeForm(request_key=secrets.token_urlsafe(24))


def compose_from_post(post: MultiMapping[Any]) -> ComposeForm:
    """Read the submitted form (a missing or malformed request key gets a fresh one)."""

    def one(name: str, limit: int = MAX_CHOICE) -> str:
        value = post.get(name, "")
        return value[:limit] if isinstance(value, str) else ""

    interests = tuple(dict.fromkeys(v for v in post.getall("interests", []) if isinstance(v, str) and v))
    key = one("request_key")
    return ComposeForm(
        text=one("text", MAX_TEXT * 4).replace("\r\n", "\n").replace("\r", "\n").strip(),
        card=one("card"),
        area=one("area").strip(),
        interests=tuple(term[:MAX_CHOICE] for term in interests[:100]),
        request_key=key if _REQUEST_KEY.fullmatch(key) else secrets.token_urlsafe(24),
    )


def check(
    form: ComposeForm, profile: AudienceProfile, cards: tuple[ActivityCard, ...], catalogue: Catalogue
) -> Checked:
    """Check the text, the card and the audience as /broadcast would; count who it would go to now."""
    errors: dict[str, str] = {}
    if not form.text:
        errors["text"] = "Write your news first."
    elif len(form.text) > MAX_TEXT:
        errors["text"] = catalogue.render(
            Text("broadcast.too_long", {"length": f"{len(form.text):,}", "limit": f"{MAX_TEXT:,}"})
        )
    card = next((c for c in cards if c.activity_id == form.card), None) if form.card else None
    if form.card and card is None:
        errors["card"] = "That activity has no session coming up any more. Choose another or no card."
    areas = {area for area, _ in profile.areas()}
    area = form.area or None
    if area is not None and area not in areas:
        errors["area"] = "Nobody who asked for news gave that area any more. Choose another."
        area = None
    offered = {term for term, _ in profile.interests()}
    interests = frozenset(term for term in form.interests if term in offered)
    audience = AudienceFilter(area, interests)
    return Checked(errors, profile.count(audience), audience, card, form.text, audience_count(profile, audience))


def area_choices(profile: AudienceProfile, form: ComposeForm, catalogue: Catalogue) -> list[Choice]:
    """Every area members gave, most people first, with counts (under 10 shown as "fewer than 10")."""
    return [
        Choice(area, area, count_words(audience_count(profile, AudienceFilter(area)), catalogue), area == form.area)
        for area, _ in profile.areas()
    ]


def interest_choices(
    profile: AudienceProfile, form: ComposeForm, labels: dict[str, str], catalogue: Catalogue
) -> list[Choice]:
    """The interests members gave (within the chosen area), most people first, with counts."""
    area = form.area or None
    return [
        Choice(
            term,
            labels.get(term, term),
            count_words(audience_count(profile, AudienceFilter(area, frozenset({term}))), catalogue),
            term in form.interests,
        )
        for term, _ in profile.interests(area)
    ]


def audience_words(checked: Checked, catalogue: Catalogue) -> str:
    """Who it will go to now, in the bot's words ("This will go to 12 people." or why it cannot go)."""
    if not checked.count:
        return catalogue.render(Text("broadcast.nobody"))
    if too_small(checked.audience, checked.count):
        return catalogue.render(Text("broadcast.too_small", {"size": SMALL_GROUP}))
    shown = checked.shown or checked.count
    return catalogue.render(Text("broadcast.will_go_to", {"people": people_words(shown, catalogue)}))


def people_words(count: int | ShownCount, catalogue: Catalogue) -> str:
    """A number of people with the dashboard's small-number rule: "12 people", "fewer than 10 people", "0 people"."""
    if isinstance(count, ShownCount):
        return catalogue.render(people(count))
    if 0 < count < SHOWN_FROM:
        return catalogue.render(Text("broadcast.people_few", {"size": SHOWN_FROM}))
    return catalogue.render(people(count))


def count_words(count: int | ShownCount, catalogue: Catalogue) -> str:
    """A bare count with the dashboard's small-number rule: "12", "fewer than 10", "at least 20", "0"."""
    if isinstance(count, ShownCount):
        words = shown_count(count)
        return words if isinstance(words, str) else catalogue.render(words)
    if 0 < count < SHOWN_FROM:
        return catalogue.render(Text("broadcast.count_few", {"size": SHOWN_FROM}))
    return f"{count:,}"


def preview_text(checked: Checked, organisation: str, catalogue: Catalogue) -> tuple[str, str]:
    """Exactly what each member will get: the message (the bot's rendering) and its button."""
    shown = member_message(checked.text, checked.card, organisation)
    return catalogue.render_reply(shown), catalogue.render(Text("broadcast.stop"))
