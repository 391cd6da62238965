"""An Open Referral UK file holding another organisation's activity ids is refused id by id, as the importer
refuses it: none of organisation B's listings changes, whoever uploads it in organisation A."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from bot.activity_files import export_activities
from models.tables import OutboxMessage
from tests.web.conftest import DashboardSite
from tests.web.cross_org_cases import THEIR_ACTIVITY_NAME, their_activity, their_dashboard_activity
from tests.web.test_activities_pages import upload


async def test_a_file_with_another_organisations_ids_changes_nothing_of_theirs(
    dashboard_site: DashboardSite, tmp_path: Path
) -> None:
    site, theirs = dashboard_site, dashboard_site.org_b
    ids = [(await seed(site, theirs))["activity_id"] for seed in (their_activity, their_dashboard_activity)]
    exported = tmp_path / "riverside.json"
    assert (await export_activities(site.units, exported, theirs.slug))[0] == 2
    services = json.loads(exported.read_text())
    assert sorted(service["id"] for service in services) == sorted(ids)
    for service in services:
        service["name"] = "Changed by someone else"
    forged = json.dumps(services).encode()
    async with site.units() as uow:
        before = {activity.id: activity for activity in await uow.activities.for_organisation(theirs.id)}

    outsider = await site.login(site.org_a.coordinator_id)
    status, text = await upload(outsider, "riverside.json", forged)
    assert status == 200, text[:400]
    assert "Activities: 0 added, 0 updated, 0 unchanged, 0 skipped, 2 refused (another organisation&#39;s id)." in text
    assert text.count("belongs to another organisation") == 2 and THEIR_ACTIVITY_NAME not in text
    async with site.units() as uow:
        after = {activity.id: activity for activity in await uow.activities.for_organisation(theirs.id)}
        ours = await uow.activities.for_organisation(site.org_a.id)
        events = await uow.audit.all()
        messages = (await uow.session.scalars(select(OutboxMessage.id))).all()
    assert after == before and ours == []
    assert not [e for e in events if e.organisation_id == theirs.id and e.action.startswith("activit")]
    assert list(messages) == [], "nobody is told of a change that did not happen"

    owner = await site.login(theirs.coordinator_id)
    status, text = await upload(owner, "riverside.json", forged)
    assert status == 200 and "Activities: 0 added, 2 updated" in text, "the same file does change them for B"
