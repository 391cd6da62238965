"""WATCH: a member who was regular and has stopped answering gets one gentle message; no worker is told."""

from __future__ import annotations

from dataclasses import dataclass

from flows.outcome import Reply, Text, reply


@dataclass(frozen=True)
class EngagementRules:
    """When someone counts as regular, and how many unanswered prompts in a row mean they have drifted away."""

    regular_after_checkins: int = 3
    unanswered_in_a_row: int = 3


def needs_gentle_nudge(checkins_total: int, unanswered: int, rules: EngagementRules = EngagementRules()) -> bool:
    """Say whether this prompt is the one that should be followed by a gentle re-engagement message."""
    return checkins_total >= rules.regular_after_checkins and unanswered == rules.unanswered_in_a_row


def gentle_nudge() -> Reply:
    """The WATCH message: warm, no pressure, the way out of reminders included."""
    return reply(Text("watch.reengage"))
