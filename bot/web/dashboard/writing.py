"""What the activities and broadcasts pages share: the coordinator check inside the write, and own-words signposting.

Words a coordinator writes for members (a listing's name, description or place; news) are not read as their own
crisis, as in the bot (flows.router WRITING_FOR_OTHERS), and never stop the save or the send: "Suicide prevention
walk" is good news. But when the words read as URGENT, the page after the save or on the preview says, once and
kindly, "if those words are about you, you are not alone", with the region's crisis resources. The bot says the same
with a pointer to /help, which means nothing in a browser, so the page lists the resources itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache

from bot.detect.base import DetectionUnavailable
from bot.detect.combined import CombinationRule, combined_tier, load_combination_rule
from bot.detect.lexicon import LexiconDetector
from bot.web.dashboard.auth import COORDINATOR, DashboardUser
from bot.web.dashboard.deps import DashboardDeps
from flows.crisis import load_crisis_resources
from flows.outcome import Text
from flows.risk import RiskTier, strongest
from flows.texts import Catalogue
from models.unit_of_work import UnitOfWork

log = logging.getLogger("cairn")


@dataclass(frozen=True)
class Signpost:
    """The kind words and the region's resources shown when a coordinator's own words read as a crisis."""

    resources: tuple[str, ...]


async def still_coordinator(uow: UnitOfWork, user: DashboardUser) -> bool:
    """Check again, inside the transaction that writes, that the user still coordinates their organisation."""
    role = await uow.team.of_member(user.member_id)
    return role is not None and role.role == COORDINATOR and role.organisation_id == user.organisation_id


@cache
def _lexicon() -> tuple[LexiconDetector, CombinationRule]:
    return LexiconDetector(), load_combination_rule()


def _lexicon_tier(text: str) -> RiskTier:
    detector, rule = _lexicon()
    return combined_tier(detector.detect(text), rule)


async def _tier(deps: DashboardDeps, text: str) -> RiskTier:
    if deps.language is not None:
        try:
            return strongest(await deps.language.assess(text))
        except DetectionUnavailable:
            log.warning("dashboard_language_unavailable fallback=lexicon")
    return _lexicon_tier(text)


async def signpost_for(deps: DashboardDeps, *texts: str) -> Signpost | None:
    """A signpost when any of the texts reads as URGENT (the bot's detectors when given, else its word list)."""
    for text in texts:
        if text.strip() and await _tier(deps, text) is RiskTier.URGENT:
            return Signpost(crisis_lines(deps.catalogue, deps.settings.region))
    return None


def crisis_lines(catalogue: Catalogue, region: str) -> tuple[str, ...]:
    """The region's crisis resources in words, one line each ("Samaritans: call 116 123 (free, any time)")."""
    return tuple(
        catalogue.render(
            Text(
                "crisis.resource_line",
                {
                    "name": item.name,
                    "contact": Text(item.contact_key, {"contact": item.contact}),
                    "when": Text(item.when_key),
                },
            )
        ).lstrip("• ")
        for item in load_crisis_resources(region).resources
    )
