"""Login links for the dashboard, minted by `/dashboard` in the bot (and by tests the same way)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from models.unit_of_work import UnitOfWork

LOGIN_PATH = "/dashboard/login"


async def mint_login_link(uow: UnitOfWork, base_url: str, member_id: int, now: datetime) -> str | None:
    """Make a single-use, 10-minute login link for a staff member; None for anyone who is not staff."""
    if await uow.team.of_member(member_id) is None:
        return None
    token = await uow.dashboard.issue_login_token(member_id, now)
    return f"{base_url.rstrip('/')}{LOGIN_PATH}?{urlencode({'token': token})}"
