"""Logs: JSON lines end to end from the real process, levels from CAIRN_LOG_LEVEL, libraries held at WARNING."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from bot.logs import QUIET_LOGGERS
from bot.sandbox import Sandbox, start_sandbox
from tests.e2e.harness import CANARY_TEXT, CANARY_TOKEN, Member

ROOT = Path(__file__).resolve().parents[2]


def test_http_client_and_telegram_loggers_are_held_at_warning() -> None:
    import logging

    for name in ("httpx", "httpcore", "telegram", "aiohttp.client"):
        assert QUIET_LOGGERS[name] >= logging.WARNING, name


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_the_level_comes_from_cairn_log_level() -> None:
    code = (
        "import logging; from bot.commands import _settings; _settings(); "
        "log = logging.getLogger('cairn'); log.debug('a_debug'); log.info('an_info'); log.warning('a_warning'); "
        "logging.getLogger('httpx').info('GET https://api.telegram.org/bot1:x/getMe')"
    )
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "CAIRN_LOG_FORMAT": "json"}
    warning = run_python(code, {**base, "CAIRN_LOG_LEVEL": "warning"}).stderr
    debug = run_python(code, {**base, "CAIRN_LOG_LEVEL": "DEBUG"}).stderr
    assert [json.loads(line)["message"] for line in warning.splitlines()] == ["a_warning"]
    assert [json.loads(line)["message"] for line in debug.splitlines()] == ["a_debug", "an_info", "a_warning"]
    refused = run_python(code, {**base, "CAIRN_LOG_LEVEL": "chatty"})
    assert refused.returncode != 0 and "CAIRN_LOG_LEVEL" in refused.stderr


async def test_the_running_bot_writes_one_json_object_per_line_without_secrets_or_text(tmp_path: Path) -> None:
    sandbox = Sandbox(token=CANARY_TOKEN)
    server = await start_sandbox(sandbox, "127.0.0.1", 0)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "TELEGRAM_BOT_TOKEN": CANARY_TOKEN,
        "TELEGRAM_API_BASE_URL": server.bot_base_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/logs.db",
        "CAIRN_DATA_KEYS": Fernet.generate_key().decode(),
        "CAIRN_LANGUAGE_MODEL": "off",
        "CAIRN_LANGUAGE_ID": "off",  # each process would load lingua's models (seconds, 400 MB)
        "CAIRN_LOG_FORMAT": "json",
        "CAIRN_LOG_LEVEL": "DEBUG",
        "CAIRN_WEB_PORT": "0",
    }
    log_file = (tmp_path / "bot.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, stderr=log_file)
    try:
        member = Member(sandbox.user(9901))
        await member.say("/start", expect=2, timeout=60)
        await member.say(f"hello {CANARY_TEXT}", timeout=20)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(process.wait, 30) == 0
    finally:
        if process.poll() is None:
            process.kill()
        log_file.close()
        await server.stop()
    lines = (tmp_path / "bot.log").read_text().splitlines()
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert entries and all(set(entry) >= {"time", "level", "logger", "message"} for entry in entries)
    messages = [entry["message"] for entry in entries]
    assert "polling_started" in messages and "polling_stopped" in messages
    for entry in entries:
        if entry["logger"].split(".")[0] in ("httpx", "httpcore", "telegram"):
            assert entry["level"] in ("WARNING", "ERROR", "CRITICAL"), entry
    text = "\n".join(lines)
    assert "CANARY-TOKEN" not in text and CANARY_TEXT not in text and "hello" not in text


def test_the_webhook_secret_is_redacted_from_every_log_line() -> None:
    secret = "webhook_SECRET-canary-0123456789"
    code = (
        f"import logging; from bot.commands import _settings; _settings(); logging.getLogger('cairn').error('{secret}')"
    )
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "CAIRN_MODE": "webhook", "CAIRN_WEB_PORT": "8080"}
    written = run_python(code, env | {"CAIRN_WEBHOOK_SECRET": secret})
    assert written.returncode == 0, written.stderr
    assert secret not in written.stderr and written.stderr.strip()


def test_every_configured_secret_is_redacted_whatever_its_length() -> None:
    """The review found secrets under 8 characters written as they were; none is too short to be a secret now."""
    import logging

    from bot.logs import SecretRedactor
    from bot.settings import Settings

    settings = Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": "123:tok",
            "CAIRN_WEBHOOK_SECRET": "w7",  # polling mode: not checked, still a secret
            "CAIRN_METRICS_TOKEN": "metrics-token-0123456789-abcdefghij",
            "DATABASE_URL": "postgresql+asyncpg://cairn:pw9@db/cairn",
            "CAIRN_DATA_KEYS": "k1,key-number-two",
        }
    )
    assert set(settings.secrets) == {
        "123:tok",
        "w7",
        "metrics-token-0123456789-abcdefghij",
        "pw9",
        "k1",
        "key-number-two",
    }
    record = logging.LogRecord(
        "cairn", logging.ERROR, __file__, 1, "%s %s %s %s %s", ("123:tok", "w7", "pw9", "k1", "key-number-two"), None
    )
    try:
        raise ValueError("metrics-token-0123456789-abcdefghij")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    SecretRedactor(settings.secrets).filter(record)
    written = record.getMessage() + (record.exc_text or "")
    for secret in settings.secrets:
        assert secret not in written, secret
    assert record.getMessage() == " ".join(["[redacted]"] * 5)
