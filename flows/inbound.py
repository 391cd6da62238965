"""What happened: the inputs a flow reacts to, already translated from Telegram."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TextMessage:
    """A plain text message the member typed."""

    text: str


@dataclass(frozen=True)
class Command:
    """A slash command such as /start, with its argument (a deep-link payload for /start)."""

    name: str
    argument: str = ""


@dataclass(frozen=True)
class ButtonPress:
    """A tap on an inline button; `data` is untrusted and validated by the flow."""

    data: str


@dataclass(frozen=True)
class UnsupportedMessage:
    """Anything we cannot read: a sticker, photo, voice note, edit, location and so on.

    `text` holds the words that came with it, if any (a photo's caption, an edited message's new text): they are
    read for crisis language, though the message is not handled as typed text.
    """

    kind: str
    text: str = ""


Inbound = TextMessage | Command | ButtonPress | UnsupportedMessage
