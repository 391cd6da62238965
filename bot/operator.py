"""Operator tasks: organisations, staff invites, keys and migrations, shared by the CLI and the demo."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.service import INVITE_PREFIX, ORGANISATION_PREFIX
from models.unit_of_work import UnitOfWorkFactory

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
ROLES = ("coordinator", "volunteer")


class OperatorError(ValueError):
    """An operator command was given something it cannot use."""


@dataclass(frozen=True)
class Link:
    """A /start link: its payload, and the t.me address when the bot's username is known."""

    payload: str
    bot_username: str

    @property
    def address(self) -> str:
        """Return the t.me link, or a template when the username is unknown."""
        username = self.bot_username or "<your_bot_username>"
        return f"https://t.me/{username}?start={self.payload}"


async def create_organisation(units: UnitOfWorkFactory, slug: str, name: str, now: datetime) -> str:
    """Create an organisation and return its member link payload."""
    if not SLUG.fullmatch(slug):
        raise OperatorError("the short name must be 2-40 lower-case letters, digits or hyphens")
    if not name.strip():
        raise OperatorError("the organisation needs a name")
    async with units() as uow:
        if await uow.organisations.by_slug(slug):
            raise OperatorError(f"an organisation called {slug!r} already exists")
        await uow.organisations.add(slug, name.strip(), now)
        await uow.commit()
    return f"{ORGANISATION_PREFIX}{slug}"


async def create_invite(
    units: UnitOfWorkFactory, slug: str, role: str, now: datetime, valid_for: timedelta = timedelta(days=7)
) -> str:
    """Create a single-use, expiring staff invite and return its link payload (the token is not stored)."""
    if role not in ROLES:
        raise OperatorError(f"role must be one of {', '.join(ROLES)}")
    token = secrets.token_urlsafe(24)
    async with units() as uow:
        organisation = await uow.organisations.by_slug(slug)
        if organisation is None:
            raise OperatorError(f"no organisation called {slug!r}")
        await uow.staff.add_invite(organisation.id, role, token, now, now + valid_for)
        await uow.commit()
    return f"{INVITE_PREFIX}{token}"
