"""Command line: `python -m bot --help` lists every command."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from bot import commands
from bot.settings import SettingsError


def build_parser() -> argparse.ArgumentParser:
    """Describe every command."""
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Cairn: a community-led health check-in companion on Telegram."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = sub.add_parser("demo", help="start the local Telegram sandbox and the bot on SQLite (no token, no internet)")
    demo.add_argument(
        "--host", default="127.0.0.1", help="loopback address to listen on (default 127.0.0.1; others are refused)"
    )
    demo.add_argument("--port", type=int, default=8081, help="port of the sandbox and its web chat (default 8081)")
    sub.add_parser("run", help="run the bot for real with TELEGRAM_BOT_TOKEN (polling, or webhook with CAIRN_MODE)")
    webhook = sub.add_parser("webhook", help="set, show or delete Telegram's webhook; or print a new secret")
    webhook.add_argument("action", choices=("set", "info", "delete", "secret"))
    webhook.add_argument("--drop-pending", action="store_true", help="delete: also drop updates Telegram holds")
    sub.add_parser("migrate", help="apply database migrations to DATABASE_URL")
    copy = sub.add_parser("copy-db", help="copy every table into an empty database (e.g. SQLite to PostgreSQL)")
    copy.add_argument("source", help="the database to copy from, e.g. sqlite+aiosqlite:///var/cairn.db")
    copy.add_argument("target", help="an empty database, e.g. postgresql+asyncpg://cairn:secret@db/cairn")
    sub.add_parser("rotate-keys", help="re-encrypt stored text with the newest key in CAIRN_DATA_KEYS")
    sub.add_parser("generate-key", help="print a new data key for CAIRN_DATA_KEYS")
    sub.add_parser(
        "eval-risk",
        help="recall and false alarms of the risk detectors per corpus split and kind of message",
        add_help=False,
    )
    sub.add_parser(
        "train-risk",
        help="fine-tune the risk model on the corpus train split, thresholds on dev (never reads test)",
        add_help=False,
    )
    org = sub.add_parser("create-organisation", help="create an organisation and print its member link")
    org.add_argument("slug", help="short name used in links, e.g. hillside")
    org.add_argument("name", help="the name members see, e.g. 'Hillside Community Hub'")
    invite = sub.add_parser("create-invite", help="create a single-use invite link for a coordinator or volunteer")
    invite.add_argument("slug", help="the organisation's short name")
    invite.add_argument("--role", choices=("coordinator", "volunteer"), default="coordinator")
    invite.add_argument("--days", type=int, default=7, help="days until the invite expires (default 7)")
    importer = sub.add_parser("import-activities", help="import activities from Open Referral UK JSON or CSV")
    importer.add_argument("file", type=Path, help="a .json (service, list or paged response) or .csv file")
    importer.add_argument("--organisation", help="the organisation's short name (default CAIRN_DEFAULT_ORGANISATION)")
    exporter = sub.add_parser("export-activities", help="export activities as Open Referral UK JSON")
    exporter.add_argument("file", type=Path, help="the .json file to write")
    exporter.add_argument("--organisation", help="the organisation's short name (default CAIRN_DEFAULT_ORGANISATION)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command and return the exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["eval-risk"]:
        from bot.detect.evaluate import main as evaluate

        return evaluate(arguments[1:])
    if arguments[:1] == ["train-risk"]:
        from bot.detect.train import main as train

        return train(arguments[1:])
    args = build_parser().parse_args(arguments)
    try:
        return _run(args)
    except SettingsError as error:
        print(f"Cairn cannot start: {error}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    match args.command:
        case "demo":
            return asyncio.run(commands.demo(args.host, args.port))
        case "run":
            return asyncio.run(commands.run())
        case "webhook":
            from bot.webhook_mode import webhook_command

            return asyncio.run(webhook_command(args.action, args.drop_pending))
        case "migrate":
            return asyncio.run(commands.migrate())
        case "copy-db":
            from bot.copy_db import copy_db

            return asyncio.run(copy_db(args.source, args.target))
        case "rotate-keys":
            return asyncio.run(commands.rotate())
        case "generate-key":
            return commands.generate_key()
        case "create-organisation":
            return asyncio.run(commands.organisation(args.slug, args.name))
        case "create-invite":
            return asyncio.run(commands.invite(args.slug, args.role, timedelta(days=args.days)))
        case "import-activities":
            return asyncio.run(commands.import_activity_file(args.file, args.organisation))
        case "export-activities":
            return asyncio.run(commands.export_activity_file(args.file, args.organisation))
    return 2


if __name__ == "__main__":
    sys.exit(main())
