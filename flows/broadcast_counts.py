"""Audience counts a coordinator sees before sending news, under the insight page's small-number rules.

A coordinator can look at the audience as often and as many ways as they like, so every count they may see is
decided here, once per audience profile, and never by the order in which they look:

- **Exact**: everyone, and each area. The areas and the members who gave no area add up to everyone, so these are
  linked counts for `flows.disclosure`: no figure under `THRESHOLD` is shown and none can be worked out from the
  rest ("everyone 14" and "EH6 11" would give away the 3 members with no area, so EH6 is not shown exactly), nor
  may everyone minus the areas shown be a number under 10. Areas are hidden before everyone.
- **Never exact**: an interest, an area with interests, any narrowed audience. Interests overlap and can be
  combined freely (any of several), so no table of sums protects them; they show as "fewer than 10" or to the
  ten below ("at least 30"). The difference of two such counts, or of one and an exact count, is then never a
  number under 10 but at most a range.

A count of 0 is shown as it is: nobody is picked out by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from flows.broadcast_model import AudienceFilter, AudienceProfile
from flows.disclosure import THRESHOLD, LinkedCounts, suppress

EVERYONE = "everyone"
NO_AREA = "no-area"
AREA = "area:"


@dataclass(frozen=True)
class ShownCount:
    """A count as a coordinator may see it: exact, or only "fewer than 10" / "at least N" (N a multiple of 10)."""

    count: int
    exact: bool

    @property
    def few(self) -> bool:
        """Say whether the count is shown only as "fewer than THRESHOLD"."""
        return not self.exact and 0 < self.count < THRESHOLD

    @property
    def at_least(self) -> int:
        """The ten below the count (what "at least N" says when the count is not exact)."""
        return self.count // THRESHOLD * THRESHOLD


def shown_count(profile: AudienceProfile, audience: AudienceFilter | None = None) -> ShownCount:
    """Return how the audience's count (everyone, when none is given) may be shown to a coordinator."""
    audience = audience or AudienceFilter()
    count = profile.count(audience)
    if count == 0:
        return ShownCount(0, True)
    if audience.interests:
        return ShownCount(count, False)
    name = EVERYONE if audience.area is None else AREA + audience.area
    return ShownCount(count, name in exact_figures(profile))


@lru_cache(maxsize=64)
def exact_figures(profile: AudienceProfile) -> frozenset[str]:
    """Name the figures (everyone, area:NAME) that may be shown exactly for this profile.

    `flows.disclosure` protects each hidden figure; one more rule protects the hidden ones together: with everyone
    shown, the members outside the areas shown exactly (everyone minus those areas) must be none or at least
    `THRESHOLD`, or the smallest area shown is hidden too ("everyone 21" and "EH6 12" would give away that 9
    people live elsewhere).
    """
    linked = linked_counts(profile)
    also: set[str] = set()
    while True:
        hidden = suppress(linked, THRESHOLD, known_zeros=True, also={linked.position(name) for name in also})
        names = {linked.names[row] for row, _ in hidden}
        shown = [name for name in linked.names if name not in names and name != NO_AREA]
        if EVERYONE not in shown:
            return frozenset(shown)
        counts = dict(linked.counts)
        areas = sorted((name for name in shown if name != EVERYONE), key=lambda name: (counts[name], name))
        rest = counts[EVERYONE] - sum(counts[name] for name in areas)
        if rest == 0 or rest >= THRESHOLD:
            return frozenset(shown)
        also.add(areas[0] if areas else EVERYONE)


def linked_counts(profile: AudienceProfile) -> LinkedCounts:
    """Everyone, each area and the members with no area, tied by one sum."""
    areas = {AREA + area: count for area, count in profile.areas()}
    everyone = profile.count()
    counts = {EVERYONE: everyone, **areas, NO_AREA: everyone - sum(areas.values())}
    return LinkedCounts.of(counts, [((*areas, NO_AREA), EVERYONE)], unshown=(NO_AREA,), spare=areas)


def after_sending(count: int, audience: AudienceFilter) -> ShownCount:
    """How a sent broadcast's counts (people, sent, failed, left) may be shown: exactly only for news to everyone.
    A narrowed audience's exact count could be subtracted from another one shown (news to everyone, 14; to EH6,
    11), so it reads "fewer than 10" or "at least N", as before sending; under 10 it is never exact."""
    everyone = audience.area is None and not audience.interests
    return ShownCount(count, count == 0 or (everyone and count >= THRESHOLD))
