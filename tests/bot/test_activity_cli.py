"""`python -m bot import-activities` and `export-activities`: counts, the plain report, and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.bot.test_settings_and_cli import ROOT, run_cli
from tests.flows.activities.schema import problems

EXAMPLE = ROOT.parent / "shared" / "data" / "openreferral-uk" / "service_full.json"


def test_import_prints_counts_and_the_report_and_export_writes_valid_services(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cli.db",
        "CAIRN_LOG_LEVEL": "WARNING",
    }
    assert "import-activities" in run_cli("--help", env=env).stdout
    first = run_cli("import-activities", str(EXAMPLE), env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "1 added, 0 updated, 0 unchanged, 0 skipped" in first.stdout
    assert "schedule 48102e86… ended on 2005-01-01, kept but it has no future sessions" in first.stdout
    assert "fees 'fees_description' is a placeholder, ignored" in first.stdout
    again = run_cli("import-activities", str(EXAMPLE), "--organisation", "community", env=env)
    assert again.returncode == 0 and "0 added, 0 updated, 1 unchanged" in again.stdout

    exported = tmp_path / "out.json"
    written = run_cli("export-activities", str(exported), env=env)
    assert written.returncode == 0 and "Wrote 1 activities" in written.stdout
    services = json.loads(exported.read_text())
    assert [service["id"] for service in services] == ["ac148810-d857-441c-9679-408f346de14b"]
    assert problems(services[0]) == []

    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    unreadable = run_cli("import-activities", str(broken), env=env)
    assert unreadable.returncode == 1 and "not valid JSON" in unreadable.stdout
    missing = run_cli("import-activities", str(tmp_path / "missing.csv"), env=env)
    assert missing.returncode == 1 and "cannot be read" in missing.stdout
    elsewhere = run_cli("import-activities", str(EXAMPLE), "--organisation", "nowhere", env=env)
    assert elsewhere.returncode == 1 and "no organisation called 'nowhere'" in elsewhere.stdout
