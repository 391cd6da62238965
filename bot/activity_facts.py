"""Load activity facts only for the events that need them, bounded to the organisation, area and coming week.

Nothing here reads a whole directory for a member: their listings are chosen by area and limited in SQL
(`MEMBER_MOST`), and a message in crisis language loads none at all (see flows/activities/needs.py). A
coordinator's /listings reads the count for its menu, one page of its list, or the one listing picked; only the
list of sessions to cancel goes through the organisation's listings, a batch at a time, letting others' work in
between.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from types import MappingProxyType

from flows.activities.cards import WEEK
from flows.activities.facts import MEMBER_MOST, ActivityFacts, MemberChoices, MemberResponse
from flows.activities.manage import FLOW as MANAGE_FLOW
from flows.activities.manage_lists import CANCEL_WINDOW, LIST_PAGE
from flows.activities.model import Activity
from flows.activities.needs import Need, needed
from flows.activities.occurrences import occurrences
from flows.activities.taxonomy import TaxonomyTerm, bundled_taxonomy
from flows.callbacks import ButtonChoice, parse_button_data
from flows.inbound import ButtonPress, Inbound
from flows.snapshot import Facts
from models.unit_of_work import UnitOfWork

SCAN_BATCH = 100
"""Listings read at a time when the list to cancel a session from is worked out."""


class ActivityFactsLoader:
    """Adds `Facts.activities` for /activities, /interests, /listings, their buttons and a finishing check-in."""

    def __init__(self, neighbourhoods: tuple[str, ...] = (), terms: tuple[TaxonomyTerm, ...] | None = None) -> None:
        """Keep the deployment's neighbourhoods and the taxonomy (read once)."""
        self._neighbourhoods = neighbourhoods
        self._terms = terms if terms is not None else bundled_taxonomy().terms

    async def add(self, uow: UnitOfWork, facts: Facts, member_id: int, inbound: Inbound) -> Facts:
        """Return the facts with what this event needs about activities, or unchanged when it needs nothing."""
        need = needed(inbound, facts.member.conversation, facts.instruments, facts.language)
        if need is Need.MANAGE or need is Need.EDIT:
            return replace(facts, activities=await self._manage(uow, facts, need, inbound))
        if need is Need.MEMBER:
            return replace(facts, activities=await self._member(uow, facts, member_id))
        return facts

    async def _manage(self, uow: UnitOfWork, facts: Facts, need: Need, inbound: Inbound) -> ActivityFacts:
        """A coordinator's list (bounded by the organisation's limit), or only the listing being changed."""
        staff = facts.staff
        known = ActivityFacts(terms=self._terms, neighbourhoods=self._neighbourhoods)
        if staff is None:
            return known
        organisation = staff.organisation_id
        listings: tuple[Activity, ...] = ()
        total: int | None = None
        choice = parse_button_data(inbound.data) if isinstance(inbound, ButtonPress) else None
        if need is Need.MANAGE and choice is not None:
            listings, total = await self._listed(uow, organisation, choice, facts)
        elif need is Need.EDIT:
            position = facts.member.conversation
            wanted = position.data.get("id") if position is not None and position.flow == MANAGE_FLOW else None
            found = await uow.activities.get(str(wanted), organisation) if wanted else None
            listings = (found,) if found is not None else ()
        listed = await uow.activities.count(organisation)
        most = uow.activities.most_per_organisation
        return replace(known, activities=listings, listed=listed, most_listed=most, list_total=total)

    async def _listed(
        self, uow: UnitOfWork, organisation: int, choice: ButtonChoice, facts: Facts
    ) -> tuple[tuple[Activity, ...], int | None]:
        """What a /listings button needs: a page of the list (with its total), the listing picked, or nothing."""
        step, value = choice.step, choice.choice
        if step in ("pick", "cpick", "csess", "cyes"):
            found = await uow.activities.by_key(organisation, value.partition("_")[0])
            return ((found,) if found is not None else ()), None
        mode = {"epage": "edit", "cpage": "cancel"}.get(step) or (value if step == "menu" else "")
        number = int(value) if step in ("epage", "cpage") and value.isdigit() and len(value) < 4 else 0
        if mode == "edit":
            page, total = await uow.activities.organisation_page(organisation, number * LIST_PAGE, LIST_PAGE)
            return tuple(page), total
        if mode == "cancel":
            return await self._with_sessions_soon(uow, organisation, number, facts)
        return (), None

    async def _with_sessions_soon(
        self, uow: UnitOfWork, organisation: int, number: int, facts: Facts
    ) -> tuple[tuple[Activity, ...], int]:
        """One page of the listings with a session in the cancel window, read through in batches."""
        soon: list[Activity] = []
        async for batch in uow.activities.batches(organisation, SCAN_BATCH):
            soon += [a for a in batch if occurrences(a, facts.now, facts.now + CANCEL_WINDOW, limit=1)]
            await asyncio.sleep(0)  # another member's reply goes between two batches
        soon.sort(key=lambda a: (a.name.lower(), a.id))
        return tuple(soon[number * LIST_PAGE : (number + 1) * LIST_PAGE]), len(soon)

    async def _member(self, uow: UnitOfWork, facts: Facts, member_id: int) -> ActivityFacts:
        stored = await uow.activity_choices.preference(member_id)
        choices = MemberChoices(stored.area, frozenset(stored.interests), stored.offered) if stored else MemberChoices()
        responses = {
            row.activity_id: MemberResponse(row.activity_id, row.response, row.occurrence_at, row.remind)
            for row in await uow.activity_choices.responses(member_id)
        }
        organisation = facts.member.organisation
        listings: tuple[Activity, ...] = ()
        if choices.area is not None and organisation is not None:
            ids = await uow.activity_choices.activity_ids_near(organisation.id, choices.area, MEMBER_MOST)
            found = await uow.activities.get_many(ids, organisation.id) if ids else []
            listings = tuple(a for a in found if occurrences(a, facts.now, facts.now + WEEK, limit=1))
        return ActivityFacts(
            choices=choices,
            responses=MappingProxyType(responses),
            activities=tuple(sorted(listings, key=lambda a: (a.name, a.id))),
            terms=self._terms,
            neighbourhoods=self._neighbourhoods,
        )
