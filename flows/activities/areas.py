"""A member's area: a UK postcode district ("EH6") or a neighbourhood name the deployment defines.

A full postcode is reduced to its district at once; the full postcode is never kept.
"""

from __future__ import annotations

import re

from flows.activities.model import Activity

# Outward codes: A9, A99, AA9, AA99, A9A, AA9A (the second letter is never I, J or Z).
_DISTRICT = r"(?:[A-Z][0-9]{1,2}|[A-Z][A-HK-Y][0-9]{1,2}|[A-Z][0-9][A-Z]|[A-Z][A-HK-Y][0-9][A-Z])"
_INWARD = r"[0-9][A-Z]{2}"
DISTRICT = re.compile(rf"^{_DISTRICT}$")
FULL_POSTCODE = re.compile(rf"^({_DISTRICT})\s*{_INWARD}$")


def postcode_district(text: str) -> str | None:
    """Return the upper-case district of a typed district or full postcode; None if it is neither."""
    cleaned = " ".join(text.strip().upper().split())
    if len(cleaned) > 10:
        return None
    if DISTRICT.fullmatch(cleaned):
        return cleaned
    full = FULL_POSTCODE.fullmatch(cleaned)
    return full[1] if full else None


def neighbourhood_area(text: str, neighbourhoods: tuple[str, ...]) -> str | None:
    """Return the normalised (lower-case) neighbourhood a member typed, if it is one of the deployment's."""
    wanted = " ".join(text.strip().lower().split())
    return next(
        (normalise_neighbourhood(name) for name in neighbourhoods if normalise_neighbourhood(name) == wanted), None
    )


def normalise_neighbourhood(name: str) -> str:
    """Neighbourhood names are kept in lower case with single spaces."""
    return " ".join(name.strip().lower().split())


def area_from_text(text: str, neighbourhoods: tuple[str, ...]) -> str | None:
    """Read an area from typed text: a neighbourhood name first, then a district or full postcode."""
    return neighbourhood_area(text, neighbourhoods) or postcode_district(text)


def display_area(area: str, neighbourhoods: tuple[str, ...]) -> str:
    """Show an area as the member knows it: the district, or the neighbourhood's own spelling."""
    return next((name for name in neighbourhoods if normalise_neighbourhood(name) == area), area)


def serves(activity: Activity, area: str | None) -> bool:
    """Say whether an activity is for people in an area: listed there, or listed for no area (everywhere)."""
    if not activity.areas:
        return True
    return area is not None and area in activity.areas
