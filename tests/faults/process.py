"""The real bot (`python -m bot run`) as a child process against an in-process sandbox: start, kill -9, restart."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.sandbox import Sandbox
from bot.sandbox.server import RunningSandbox
from tests.e2e.harness import CANARY_TOKEN

ROOT = Path(__file__).resolve().parents[2]


def bot_environment(server: RunningSandbox, database_url: str, key: str, **extra: str) -> dict[str, str]:
    """The environment of a bot under test: the sandbox, no web app, no limits of our own in the way."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "TELEGRAM_BOT_TOKEN": CANARY_TOKEN,
        "TELEGRAM_API_BASE_URL": server.bot_base_url,
        "DATABASE_URL": database_url,
        "CAIRN_DATA_KEYS": key,
        "CAIRN_DEFAULT_ORGANISATION": "hillside",
        "CAIRN_DEFAULT_ORGANISATION_NAME": "Hillside Community Hub",
        "CAIRN_LANGUAGE_MODEL": "off",
        "CAIRN_LANGUAGE_ID": "off",  # each process would load lingua's models (seconds, 400 MB)
        "CAIRN_TICK_SECONDS": "1",
        "CAIRN_WEB_PORT": "0",
        "CAIRN_SEND_RATE_PER_SECOND": "1000",  # the sandbox enforces no limits here; bench/ measures them
        "CAIRN_SEND_CHAT_INTERVAL_SECONDS": "0.01",
        **extra,
    }


@dataclass
class BotProcess:
    """One bot process at a time; each start is a new generation with its own log file."""

    sandbox: Sandbox
    env: dict[str, str]
    logs: Path
    generation: int = 0
    kills: int = 0
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    _polls_at_start: int = 0
    _log_files: list[Path] = field(default_factory=list)

    def start(self) -> None:
        """Start a new bot process (the previous one must be gone)."""
        assert self.process is None or self.process.poll() is not None
        self.generation += 1
        log_file = self.logs / f"bot-{self.generation:03d}.log"
        self._log_files.append(log_file)
        self._polls_at_start = self.sandbox.poll_generation
        self.started_at = time.monotonic()
        with log_file.open("wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=self.env, stdout=output, stderr=output
            )

    @property
    def polling(self) -> bool:
        """Tell whether this generation has called getUpdates (it is ready to handle updates)."""
        return self.sandbox.poll_generation > self._polls_at_start

    async def wait_polling(self, timeout: float = 60.0) -> None:
        """Wait until this generation polls."""
        deadline = time.monotonic() + timeout
        while not self.polling:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"the bot exited with {self.process.returncode}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the bot did not start polling in {timeout}s:\n{self.log_tail()}")
            await asyncio.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL the process and reap it."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.kills += 1

    def stop(self) -> None:
        """Stop the process cleanly (SIGTERM), killing it if it does not stop in time."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log_tail(self, lines: int = 40) -> str:
        """The end of the latest generation's log, for failure messages."""
        if not self._log_files or not self._log_files[-1].exists():
            return "(no log)"
        return "\n".join(self._log_files[-1].read_text(errors="replace").splitlines()[-lines:])

    def log_lines_matching(self, needle: str) -> list[str]:
        """Every log line of every generation that contains `needle`."""
        found = []
        for path in self._log_files:
            if path.exists():
                found += [line for line in path.read_text(errors="replace").splitlines() if needle in line]
        return found
