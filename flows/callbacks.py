"""Callback data: the short strings our buttons carry, built and parsed strictly."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_CALLBACK_BYTES = 64
_NAME = r"[a-z][a-z0-9_]{0,23}"
_CHOICE = r"[a-z0-9][a-z0-9_]{0,23}"
_PATTERN = re.compile(rf"^({_NAME}):({_NAME}):({_CHOICE})$")


@dataclass(frozen=True)
class ButtonChoice:
    """A parsed button: which flow, which step of it, which choice."""

    flow: str
    step: str
    choice: str


def button_data(flow: str, step: str, choice: str) -> str:
    """Build callback data for a button, refusing anything the parser would refuse."""
    data = f"{flow}:{step}:{choice}"
    if parse_button_data(data) is None:
        raise ValueError(f"invalid callback data parts: {flow!r}, {step!r}, {choice!r}")
    return data


def parse_button_data(data: str) -> ButtonChoice | None:
    """Parse untrusted callback data; None when it is not one of ours."""
    if not data or len(data.encode("utf-8", "surrogatepass")) > MAX_CALLBACK_BYTES:
        return None
    match = _PATTERN.fullmatch(data)
    if match is None:
        return None
    return ButtonChoice(flow=match[1], step=match[2], choice=match[3])
