"""What a member is told about sharing, true in every branch: what was shared, with whom, and how to take it back.

Branches (tested one by one in tests/flows/test_sharing_truth.py):
- no "a worker may get in touch" consent: nothing is shared, and nothing says otherwise;
- consent, and someone in the organisation can receive alerts: "I've let them know", with a way to take it back;
- consent, but nobody can receive alerts yet: said plainly, with the crisis resources; the alert waits for the
  first person who joins or comes on duty;
- "No thanks" after an alert has gone: what was shared, and the offer to take it back (which closes the alert
  as "member declined" and tells staff); "No thanks" with nothing shared: nobody has been told.
"""

from __future__ import annotations

from flows.callbacks import button_data
from flows.consent import ConsentScope, ShareLevel
from flows.outcome import Button, Reply, Text, reply
from flows.snapshot import Facts

FLOW = "ct"


def shares(facts: Facts) -> bool:
    """Say whether the member lets a worker get in touch (SHARE_FLAGS)."""
    return facts.member.consent.allows(ConsentScope.SHARE_FLAGS)


def someone_can_see(facts: Facts) -> bool:
    """Say whether anyone in the organisation can receive the member's alert now (unknown counts as yes only
    where the edge did not load it, which it always does for the steps that raise an alert)."""
    return facts.sharing.someone_can_see if facts.sharing is not None else True


def organisation_name(facts: Facts) -> str:
    """The member's organisation, by name."""
    return facts.member.organisation.name if facts.member.organisation else ""


def what_is_shared(facts: Facts) -> Text:
    """The member's sharing level in plain words."""
    level = facts.member.consent.share_level
    key = "sharing.with_answers" if level is ShareLevel.WITH_ANSWERS else "sharing.flag_only"
    return Text(key)


def told_after_alert(facts: Facts) -> Reply:
    """Said with a reply that raises an alert (the member agreed to share): the truth about who knows."""
    organisation = organisation_name(facts)
    if not someone_can_see(facts):
        return reply(
            Text("sharing.nobody_yet", {"organisation": organisation}),
            buttons=((Button(Text("sharing.take_back"), button_data(FLOW, "ask", "no")),),),
        )
    return reply(
        Text("sharing.told", {"organisation": organisation, "what": what_is_shared(facts)}),
        buttons=(
            (Button(Text("sharing.ok"), button_data(FLOW, "ask", "yes")),),
            (Button(Text("sharing.take_back"), button_data(FLOW, "ask", "no")),),
        ),
    )


def requested(facts: Facts) -> Text:
    """Answer "please get in touch" (an alert is raised or already open): true whether or not anyone can see it."""
    organisation = organisation_name(facts)
    if not someone_can_see(facts):
        return Text("sharing.nobody_yet", {"organisation": organisation})
    return Text("contact.requested", {"organisation": organisation})


def offer_to_take_back(facts: Facts) -> Reply:
    """Answer "No thanks" when an alert has already gone: say what was shared, offer to take it back."""
    assert facts.sharing is not None and facts.sharing.case is not None
    case = facts.sharing.case
    level = Text("sharing.with_answers" if case.share_level == ShareLevel.WITH_ANSWERS.value else "sharing.flag_only")
    key = "sharing.already_told" if someone_can_see(facts) else "sharing.already_kept"
    return reply(
        Text(key, {"organisation": organisation_name(facts), "what": level}),
        buttons=(
            (Button(Text("sharing.withdraw_yes"), button_data(FLOW, "withdraw", str(case.alert_id))),),
            (Button(Text("sharing.withdraw_no"), button_data(FLOW, "keep", str(case.alert_id))),),
        ),
    )
