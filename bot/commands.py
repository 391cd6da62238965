"""What each command-line command does; printing is for the operator, logs carry no personal data."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import signal
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.logs import configure_logging
from bot.operator import Link, OperatorError, create_invite, create_organisation
from bot.runtime import Cairn, build_cairn, prepare_database, run_polling, utc_now
from bot.settings import Settings
from models.crypto import DataCipher
from models.database import create_engine, is_sqlite, session_factory
from models.key_rotation import rotate_keys
from models.migrate import upgrade_to_head
from models.unit_of_work import UnitOfWorkFactory

DEMO_ORGANISATION = ("hillside", "Hillside Community Hub")


def _settings() -> Settings:
    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.log_format, settings.secrets)
    return settings


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop


def demo_keys(data_dir: Path) -> tuple[tuple[str, ...], Path, bool]:
    """Read the demo's data key from its file, creating it (0600: readable by this user only, whatever the umask,
    from the moment it exists) if missing."""
    path = data_dir / "demo-data-key"
    if path.exists():
        return (path.read_text().strip(),), path, False
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = DataCipher.new_key()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key + "\n")
    return (key,), path, True


def is_loopback(host: str) -> bool:
    """Say whether a listening address is reachable from this computer only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


DEMO_HOST_REFUSED = (
    "The demo listens on this computer only (--host 127.0.0.1, localhost or ::1), not on {host}: its sandbox's "
    "control API has no login, and anyone who reached it could read and write every simulated chat, the coordinator "
    "invite included. To open the demo from another machine, forward the port over SSH instead, e.g. "
    "`ssh -L {port}:127.0.0.1:{port} this-computer`, then open http://127.0.0.1:{port}/chat there."
)


async def demo(host: str, port: int) -> int:
    """Start the sandbox and the bot on SQLite, and say where the web chat is (on a loopback address only)."""
    from bot.sandbox import DEFAULT_TOKEN, Sandbox, start_sandbox

    if not is_loopback(host):
        print(DEMO_HOST_REFUSED.format(host=host, port=port), file=sys.stderr)
        return 2
    base = Settings.from_env()
    keys, key_path, created = (base.data_keys, None, False) if base.data_keys else demo_keys(base.data_dir)
    settings = replace(
        base,
        telegram_bot_token=DEFAULT_TOKEN,
        database_url=f"sqlite+aiosqlite:///{base.data_dir}/demo.db",
        data_keys=keys,
        default_organisation=DEMO_ORGANISATION[0],
        default_organisation_name=DEMO_ORGANISATION[1],
        telegram_bot_username="cairn_sandbox_bot",
    )
    configure_logging(settings.log_level, settings.log_format, settings.secrets)
    running = await start_sandbox(Sandbox(token=DEFAULT_TOKEN), host, port)
    settings = replace(settings, telegram_api_base_url=running.bot_base_url)
    cairn = await build_cairn(settings)
    invite = await create_invite(cairn.units, DEMO_ORGANISATION[0], "coordinator", utc_now(), timedelta(days=1))
    print("Cairn demo is running. Nothing leaves this computer.")
    print(f"  Open the web chat:        {running.url}/chat")
    print(f"  Database (SQLite):        {settings.database_url.removeprefix('sqlite+aiosqlite:///')}")
    if key_path is not None:
        print(f"  Data key {'created in' if created else 'kept in'}:  {key_path} (keep it private)")
    print(f"  Member link:              send '/start org_{DEMO_ORGANISATION[0]}' in the chat")
    print(f"  Coordinator invite:       send '/start {invite}' (single use, 24 hours)")
    if settings.web_port:
        print(f"  Activities API:           http://{settings.web_host}:{settings.web_port}/openreferral/services")
        print(f"  Coordinator dashboard:    {settings.dashboard_base_url}/dashboard (send /dashboard for a login link)")
    print("  Press Ctrl+C to stop.", flush=True)
    try:
        await run_polling(cairn, _stop_on_signals(), poll_timeout=10)
    finally:
        await cairn.close()
        await running.stop()
    return 0


async def run() -> int:
    """Run the bot for real against Telegram (or TELEGRAM_API_BASE_URL) until stopped; 1 if shutdown was cut short."""
    settings = _settings()
    if not settings.telegram_bot_token:
        print("TELEGRAM_BOT_TOKEN is not set. See README, 'Run it for real'.")
        return 2
    if not settings.data_keys:
        print("CAIRN_DATA_KEYS is not set. Make one with `python -m bot generate-key`.")
        return 2
    cairn: Cairn = await build_cairn(settings)
    try:
        if settings.mode == "webhook":
            from bot.webhook_mode import run_webhook

            clean = await run_webhook(cairn, _stop_on_signals())
        else:
            clean = await run_polling(cairn, _stop_on_signals())
    finally:
        await cairn.close()
    return 0 if clean else 1


async def migrate() -> int:
    """Apply migrations to DATABASE_URL."""
    settings = _settings()
    engine = create_engine(settings.database_url)
    try:
        await prepare_database(settings, engine) if is_sqlite(settings.database_url) else await upgrade_to_head(engine)
    finally:
        await engine.dispose()
    print("The database is up to date.")
    return 0


async def rotate() -> int:
    """Re-encrypt everything with the newest key."""
    settings = _settings()
    if not settings.data_keys:
        print("CAIRN_DATA_KEYS is not set.")
        return 2
    engine = create_engine(settings.database_url)
    try:
        count = await rotate_keys(session_factory(engine), DataCipher(settings.data_keys))
    finally:
        await engine.dispose()
    print(f"Re-encrypted {count} stored values with the newest key. Older keys can now be removed.")
    return 0


def generate_key() -> int:
    """Print a new data key."""
    print(DataCipher.new_key())
    return 0


async def _with_units(settings: Settings) -> tuple[UnitOfWorkFactory, AsyncEngine]:
    engine = create_engine(settings.database_url)
    await prepare_database(settings, engine)
    keys = settings.data_keys or (DataCipher.new_key(),)  # organisations and invites hold no ciphertext
    return UnitOfWorkFactory(session_factory(engine), DataCipher(keys), settings.max_listings_per_organisation), engine


async def organisation(slug: str, name: str) -> int:
    """Create an organisation and print its member link."""
    settings = _settings()
    units, engine = await _with_units(settings)
    try:
        payload = await create_organisation(units, slug, name, utc_now())
    except OperatorError as error:
        print(f"Could not create the organisation: {error}")
        return 1
    finally:
        await engine.dispose()
    link = Link(payload, settings.telegram_bot_username)
    print(f"Created {name!r}. Members join with this link:\n  {link.address}")
    return 0


async def invite(slug: str, role: str, valid_for: timedelta) -> int:
    """Create a staff invite and print its link."""
    settings = _settings()
    units, engine = await _with_units(settings)
    try:
        payload = await create_invite(units, slug, role, utc_now(), valid_for)
    except OperatorError as error:
        print(f"Could not create the invite: {error}")
        return 1
    finally:
        await engine.dispose()
    link = Link(payload, settings.telegram_bot_username)
    print(f"Single-use {role} invite, valid for {valid_for.days} days:\n  {link.address}")
    return 0


async def import_activity_file(path: Path, slug: str | None) -> int:
    """Import an Open Referral UK JSON or CSV file as an organisation's activities and print the report."""
    from bot.activity_files import import_activities, report_lines
    from bot.runtime import ensure_default_organisation

    settings = _settings()
    units, engine = await _with_units(settings)
    try:
        await ensure_default_organisation(settings, units)
        summary = await import_activities(
            units, path, slug or settings.default_organisation, utc_now(), most_records=settings.max_import_records
        )
    except OperatorError as error:
        print(f"Could not import: {error}")
        return 1
    finally:
        await engine.dispose()
    head, *lines = report_lines(summary, str(path))
    print(head)
    for line in lines:
        print(f"  - {line}")
    return 0 if summary.readable and summary.imported else 1


async def export_activity_file(path: Path, slug: str | None) -> int:
    """Export an organisation's activities as Open Referral UK JSON."""
    from bot.activity_files import export_activities
    from bot.runtime import ensure_default_organisation

    settings = _settings()
    units, engine = await _with_units(settings)
    try:
        await ensure_default_organisation(settings, units)
        count, warnings = await export_activities(units, path, slug or settings.default_organisation, settings.language)
    except (OperatorError, OSError) as error:
        print(f"Could not export: {error}")
        return 1
    finally:
        await engine.dispose()
    print(f"Wrote {count} activities to {path} (Open Referral UK services, JSON).")
    for line in warnings:
        print(f"  - {line}")
    return 0
