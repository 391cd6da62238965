"""Settings from the environment, and the operator's command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[2]


def test_settings_read_the_environment_and_derive_the_file_url() -> None:
    settings = Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": "1:abc",
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot",
            "CAIRN_DATA_KEYS": "k1, k2",
            "CAIRN_LOG_FORMAT": "json",
        }
    )
    assert settings.data_keys == ("k1", "k2")
    assert settings.telegram_file_base_url == "http://127.0.0.1:8081/file/bot"
    assert Settings.from_env({}).telegram_api_base_url == "https://api.telegram.org/bot"
    with pytest.raises(SettingsError):
        Settings.from_env({"CAIRN_LOG_FORMAT": "xml"})


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_the_fair_sharing_limits_have_defaults_and_refuse_nonsense() -> None:
    settings = Settings.from_env({})
    assert (settings.max_listings_per_organisation, settings.max_import_records) == (2000, 1000)
    chosen = Settings.from_env({"CAIRN_MAX_LISTINGS_PER_ORGANISATION": "50", "CAIRN_MAX_IMPORT_RECORDS": "10"})
    assert (chosen.max_listings_per_organisation, chosen.max_import_records) == (50, 10)
    for name, value in (("CAIRN_MAX_LISTINGS_PER_ORGANISATION", "0"), ("CAIRN_MAX_IMPORT_RECORDS", "many")):
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({name: value})


def test_help_lists_every_command() -> None:
    result = run_cli("--help", env={"PATH": "/usr/bin:/bin"})
    for command in ["demo", "run", "migrate", "rotate-keys", "generate-key", "create-organisation", "create-invite"]:
        assert command in result.stdout


def test_operator_creates_an_organisation_and_an_invite_and_migrates(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/op.db",
        "TELEGRAM_BOT_USERNAME": "hillside_cairn_bot",
    }
    assert run_cli("migrate", env=env).returncode == 0
    created = run_cli("create-organisation", "riverside", "Riverside Trust", env=env)
    assert "https://t.me/hillside_cairn_bot?start=org_riverside" in created.stdout
    again = run_cli("create-organisation", "riverside", "Riverside Trust", env=env)
    assert again.returncode == 1 and "already exists" in again.stdout
    invite = run_cli("create-invite", "riverside", "--role", "volunteer", env=env)
    assert "start=inv_" in invite.stdout and invite.returncode == 0
    key = run_cli("generate-key", env=env).stdout.strip()
    assert len(key) == 44
    missing = run_cli("run", env=env)
    assert missing.returncode == 2 and "TELEGRAM_BOT_TOKEN" in missing.stdout


def test_every_setting_is_documented_in_the_readme_and_the_env_example() -> None:
    import re

    source = (ROOT / "bot" / "settings.py").read_text()
    names = set(re.findall(r'env(?:\.get\(|\[)"([A-Z_]+)"', source)) | set(
        re.findall(r'_(?:number|port)\(env, "([A-Z_]+)"', source)
    )
    readme = (ROOT / "README.md").read_text()
    example = (ROOT / "deploy" / ".env.example").read_text()
    assert names, "settings are read from the environment"
    assert [name for name in sorted(names) if f"`{name}`" not in readme] == []
    operator_settings = sorted(name for name in names if not name.startswith("CAIRN_TEST_"))  # README only
    assert [name for name in operator_settings if f"\n{name}=" not in example] == []
    assert "CAIRN_TEST_" not in example, "test-only settings stay out of the operator's example"


def test_a_broken_instrument_file_is_reported_loudly_and_the_others_still_load(tmp_path: Path, caplog) -> None:
    import logging

    from bot.runtime import load_usable_instruments

    (tmp_path / "who5.json").write_text('{"id": "who5", "title": "broken"}')
    (tmp_path / "swemwbs.json").write_text((ROOT / "deploy" / "instruments" / "swemwbs.example.json").read_text())
    with caplog.at_level(logging.WARNING, logger="cairn"):
        usable = load_usable_instruments(Settings(instruments_dir=tmp_path))
    assert {"ons4", "phq2", "gad2", "ucla3", "who5"} <= set(usable)
    assert usable["who5"].title != "broken", "a broken override leaves the bundled instrument in place"
    assert "swemwbs" not in usable, "placeholder wording is never shown to members"
    messages = " ".join(record.getMessage() for record in caplog.records)
    assert "instrument_file_invalid file=who5.json" in messages
    assert "instrument_has_placeholder_wording id=swemwbs" in messages


def test_the_demo_data_key_file_is_created_0600_whatever_the_umask(tmp_path: Path) -> None:
    import os
    import stat

    from bot.commands import demo_keys

    previous = os.umask(0o022)
    try:
        (key,), path, created = demo_keys(tmp_path / "var")
    finally:
        os.umask(previous)
    assert created and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert demo_keys(tmp_path / "var") == ((key,), path, False)


def test_a_database_made_by_migrate_is_0600_whatever_the_umask(tmp_path: Path) -> None:
    import os
    import stat

    previous = os.umask(0o022)
    try:
        migrated = run_cli(
            "migrate", env={"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/new/op.db"}
        )
    finally:
        os.umask(previous)
    assert migrated.returncode == 0, migrated.stderr
    assert stat.S_IMODE((tmp_path / "new" / "op.db").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700


def test_the_demo_refuses_a_host_other_machines_can_reach(tmp_path: Path) -> None:
    from bot.commands import is_loopback

    env = {"PATH": "/usr/bin:/bin", "CAIRN_DATA_DIR": str(tmp_path / "var")}
    for host in ("0.0.0.0", "192.168.1.20", "::", "example.org"):
        refused = run_cli("demo", "--host", host, "--port", "0", env=env)
        assert refused.returncode == 2 and "control API" in refused.stderr and "ssh -L" in refused.stderr, host
    assert not (tmp_path / "var").exists(), "refused before anything was created"
    assert all(is_loopback(host) for host in ("127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"))
