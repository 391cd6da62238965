"""Help that is always one command away: crisis resources and what Cairn is and is not."""

from __future__ import annotations

from flows.crisis import CrisisResources
from flows.outcome import Outcome, RaiseAlert, Reply, Text, reply
from flows.snapshot import Facts

# Parts of a reply that carry crisis numbers: the English list, the list under another language's notice
# (flows/unreadable), and the help line under a reply to a voice note, photo or sticker.
SIGNPOST_KEYS = frozenset({"crisis.resources", "other_language.resources", "unsupported.help_line"})


def crisis_resources(facts: Facts) -> Text:
    """List the region's crisis resources, one per line."""
    return resources_text(facts.crisis)


def resources_text(crisis: CrisisResources) -> Text:
    """List these crisis resources, one per line (crisis_resources, for when there are no facts)."""
    lines = tuple(
        Text(
            "crisis.resource_line",
            {
                "name": item.name,
                "contact": Text(item.contact_key, {"contact": item.contact}),
                "when": Text(item.when_key),
            },
        )
        for item in crisis.resources
    )
    return Text("crisis.resources", {"lines": lines})


def crisis_reply(facts: Facts) -> Reply:
    """The fixed crisis message: signposting first, nothing generated."""
    return reply(Text("crisis.opening"), crisis_resources(facts), Text("crisis.closing"))


def given_up_reply(crisis: CrisisResources) -> Reply:
    """The fixed message for a member whose update could not be handled at all (given up): try again, and the
    crisis help in case it mattered. Nothing generated: the bot sends it without reading the message."""
    return reply(Text("errors.given_up"), resources_text(crisis))


def must_reach_the_member(outcome: Outcome) -> bool:
    """Say whether an outcome's reply is about safety (it signposts crisis help, or an alert is raised with it):
    such a reply is kept with its update until it is sent, so that not even a crash loses it."""
    signposts = any(part.key in SIGNPOST_KEYS for each in outcome.replies for part in each.parts)
    return signposts or any(isinstance(effect, RaiseAlert) for effect in outcome.effects)


def help_reply(facts: Facts) -> Outcome:
    """Answer /help: resources first, then what Cairn is, then the commands."""
    organisation = facts.member.organisation.name if facts.member.organisation else ""
    parts = [
        Text("help.danger"),
        crisis_resources(facts),
        Text("help.about", {"organisation": organisation}) if organisation else Text("help.about_generic"),
        Text("help.commands"),
    ]
    if facts.member.conversation is not None:
        parts.append(Text("help.carry_on"))
    return Outcome(replies=(reply(*parts),))
