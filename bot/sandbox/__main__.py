"""Serve the sandbox from the command line until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from .sandbox import DEFAULT_TOKEN, Sandbox
from .server import start_sandbox


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """Read --host, --port, --token and --enforce-limits."""
    parser = argparse.ArgumentParser(prog="python -m bot.sandbox", description="Run the local Telegram sandbox.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8081, help="port to listen on (default 8081)")
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="the bot token the sandbox accepts")
    parser.add_argument("--enforce-limits", action="store_true", help="answer 429 above Telegram's flood limits")
    return parser.parse_args(argv)


async def serve(arguments: argparse.Namespace) -> None:
    """Run the sandbox until cancelled."""
    sandbox = Sandbox(arguments.token, enforce_limits=arguments.enforce_limits)
    running = await start_sandbox(sandbox, arguments.host, arguments.port)
    print(f"Cairn sandbox on {running.url}  (chat page: {running.url}/chat)")
    print(f"Bot API base_url: {running.bot_base_url}  base_file_url: {running.bot_base_file_url}")
    try:
        await asyncio.Event().wait()
    finally:
        await running.stop()


def main(argv: list[str] | None = None) -> None:
    """Serve until Ctrl-C."""
    arguments = parse_arguments(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(arguments))


if __name__ == "__main__":
    main()
