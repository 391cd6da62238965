"""What a member sees in a broadcast: the coordinator's words, an optional activity card, a footer, a stop button."""

from __future__ import annotations

from flows.broadcast_model import ActivityCard
from flows.callbacks import button_data
from flows.outcome import Button, Reply, Text

STOP_FLOW = "bn"
STOP_DATA = button_data(STOP_FLOW, "stop", "news")
MAX_TEXT = 3000
"""The longest message a coordinator may write: Telegram's 4,096 leaves room for the card and the footer."""
MAX_CARD_FIELD = 160


def member_message(text: str, card: ActivityCard | None, organisation: str) -> Reply:
    """The broadcast exactly as each member gets it; nobody sees who else got it."""
    parts = [Text("broadcast.body", {"text": text})]
    if card is not None:
        parts.append(
            Text(
                "broadcast.card",
                {
                    "name": _clip(card.name),
                    "when": _clip(card.when) or "-",
                    "where": _clip(card.where) or "-",
                    "cost": _clip(card.cost) or "-",
                },
            )
        )
    parts.append(Text("broadcast.footer", {"organisation": organisation}))
    return Reply(parts=tuple(parts), buttons=((Button(Text("broadcast.stop"), STOP_DATA),),))


def _clip(value: str) -> str:
    value = " ".join(value.split())
    return value if len(value) <= MAX_CARD_FIELD else value[: MAX_CARD_FIELD - 1].rstrip() + "…"
