"""Who may see an alert's details and claim it: the bot's rule (on duty, the claimer, coordinators), and the
member's sharing as it is now."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.web.dashboard.alert_access import (
    ABOUT_YOU,
    CLAIMED_BY_OTHER,
    NOT_IN_TEAM,
    OFF_DUTY,
    RESOLVED,
    access,
    shared_now,
)
from flows.consent import ConsentState, ShareLevel
from models.alerts import AlertRow
from models.staff import StaffRow
from tests.conftest import NOW

ALERT = AlertRow(1, 30, 7, "CONCERN", "with_answers", "open", 0, NOW, None, ("Low mood",), 300)
VOLUNTEER = StaffRow(20, 7, "volunteer", "Vic", False, frozenset(), "09:00-17:00", 200)
COORDINATOR = replace(VOLUNTEER, member_id=10, role="coordinator")
ON_DUTY = replace(VOLUNTEER, on_duty=True)
CLAIMED = replace(ALERT, status="claimed", claimed_by=ON_DUTY.member_id)


@pytest.mark.parametrize(
    ("alert", "staff", "details", "can_claim", "why_not"),
    [
        (ALERT, COORDINATOR, True, True, ""),
        (ALERT, ON_DUTY, True, True, ""),
        (ALERT, VOLUNTEER, False, False, OFF_DUTY),
        (ALERT, replace(VOLUNTEER, rota_days=frozenset({6})), True, True, ""),  # NOW is a Sunday, 12:00 in London
        (ALERT, replace(VOLUNTEER, rota_days=frozenset({6}), rota_hours="13:00-17:00"), False, False, OFF_DUTY),
        (replace(ALERT, status="escalated"), ON_DUTY, True, True, ""),
        (CLAIMED, VOLUNTEER, True, False, ""),  # the claimer, even off duty
        (CLAIMED, replace(ON_DUTY, member_id=21), False, False, CLAIMED_BY_OTHER),
        (CLAIMED, COORDINATOR, True, False, ""),
        (replace(CLAIMED, status="resolved"), replace(ON_DUTY, member_id=21), False, False, RESOLVED),
        (ALERT, replace(ON_DUTY, member_id=ALERT.member_id), False, False, ABOUT_YOU),
        (ALERT, replace(ON_DUTY, organisation_id=8), False, False, NOT_IN_TEAM),
        (ALERT, None, False, False, NOT_IN_TEAM),
    ],
)
def test_the_bots_rule_decides_who_sees_and_claims(
    alert: AlertRow, staff: StaffRow | None, details: bool, can_claim: bool, why_not: str
) -> None:
    found = access(alert, staff, NOW)
    assert (found.details, found.can_claim, found.why_not) == (details, can_claim, why_not)


@pytest.mark.parametrize(
    ("level_then", "consent", "reasons", "withdrawn"),
    [
        ("with_answers", ConsentState(share_flags=True, share_level=ShareLevel.WITH_ANSWERS), ("Low mood",), False),
        ("with_answers", ConsentState(share_flags=True, share_level=ShareLevel.FLAG_ONLY), (), False),
        ("flag_only", ConsentState(share_flags=True, share_level=ShareLevel.WITH_ANSWERS), (), False),
        ("with_answers", ConsentState(share_flags=False), (), True),
        ("with_answers", ConsentState(), (), True),
    ],
)
def test_what_is_shown_follows_the_members_sharing_now(
    level_then: str, consent: ConsentState, reasons: tuple[str, ...], withdrawn: bool
) -> None:
    found = shared_now(replace(ALERT, share_level=level_then), consent)
    assert (found.reasons, found.withdrawn) == (reasons, withdrawn)
