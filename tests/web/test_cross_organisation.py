"""A coordinator of one organisation never sees or changes another's data: every case in cross_org_cases.CASES."""

from __future__ import annotations

import dataclasses

import pytest

from tests.web.conftest import DashboardSite, StaffClient
from tests.web.cross_org_cases import CASES, Case, Ids


def _fill(template: str, values: Ids) -> str:
    return template.format(**values)


async def _ask(client: StaffClient, case: Case, values: Ids) -> tuple[int, str]:
    path = _fill(case.path, values)
    if case.method == "GET":
        answer = await client.get(path)
    else:
        answer = await client.post(path, {key: _fill(value, values) for key, value in case.form.items()})
    return answer.status, answer.text


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_another_organisations_data_stays_out_of_reach(dashboard_site: DashboardSite, case: Case) -> None:
    site, theirs = dashboard_site, dashboard_site.org_b
    values: dict[str, object] = dataclasses.asdict(theirs)
    if case.seed is not None:
        values.update(await case.seed(site, theirs))
    mine = site.org_a
    outsider = await site.login(mine.coordinator_id if case.role == "coordinator" else mine.volunteer_id)
    status, body = await _ask(outsider, case, values)
    assert status == case.expect_status, body[:400]
    for secret in case.secrets:
        assert _fill(secret, values) not in body
    if case.unchanged is not None:
        await case.unchanged(site, theirs, values)
    owner = await site.login(theirs.coordinator_id if case.role == "coordinator" else theirs.volunteer_id)
    owner_status, _ = await _ask(owner, case, values)
    assert owner_status == case.owner_status, "the same request works for the organisation's own staff"
