"""`python -m bot.sandbox` serves the sandbox until Ctrl-C."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from pathlib import Path

import aiohttp

from bot.sandbox.__main__ import parse_arguments

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """Return a port that is free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_arguments() -> None:
    arguments = parse_arguments(["--port", "9000", "--token", "1:abc", "--enforce-limits"])
    assert (arguments.host, arguments.port, arguments.token, arguments.enforce_limits) == (
        "127.0.0.1",
        9000,
        "1:abc",
        True,
    )


async def test_serves_until_interrupted() -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.sandbox", "--port", str(port), "--token", "42:CLI-TOKEN",
        cwd=REPOSITORY_ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        body: dict[str, object] = {}
        async with aiohttp.ClientSession() as session:
            for _ in range(100):
                try:
                    async with session.get(f"http://127.0.0.1:{port}/bot42:CLI-TOKEN/getMe") as response:
                        body = await response.json()
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
        assert body.get("ok") is True
        assert body["result"] == body["result"] | {"id": 42, "username": "cairn_sandbox_bot"}  # type: ignore[operator]
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=5)
    assert process.returncode == 0, output.decode()
    assert f"http://127.0.0.1:{port}" in output.decode()
