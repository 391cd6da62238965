"""Fan-out: N check-in prompts due in the same minute, sent to the sandbox enforcing Telegram's limits.

Figure: achieved rate divided by Telegram's overall limit (30 a second), and how many 429s we caused.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
from cryptography.fernet import Fernet
from sqlalchemy import insert

from bench.runs import completed, median_lines, run_once
from bot.jobs.prompts import PromptJob
from bot.runtime import build_bot
from bot.settings import Settings
from flows.texts import load_catalogue
from models.crypto import DataCipher
from models.database import create_engine, session_factory
from models.migrate import upgrade_to_head
from models.tables import CheckInPlan, Member, Organisation
from models.unit_of_work import UnitOfWorkFactory

TOKEN = "999999:BENCH-TOKEN-not-a-secret-aaaaaaaaaaaa"  # noqa: S105
TELEGRAM_LIMIT = 30.0


@dataclass(frozen=True)
class FanoutResult:
    """One run's figures."""

    recipients: int
    seconds: float
    rate: float
    ratio: float
    limited_429: int
    injected_429: int
    delivered: int


async def seed(url: str, members: int, due: datetime) -> None:
    """Insert members whose prompts are all due at `due`."""
    engine = create_engine(url)
    await upgrade_to_head(engine)
    async with engine.begin() as connection:
        await connection.execute(insert(Organisation).values(id=1, slug="bench", name="Bench", created_at=due))
        rows = [
            {
                "id": i + 1,
                "telegram_user_id": 1_000_000 + i,
                "chat_id": 1_000_000 + i,
                "organisation_id": 1,
                "status": "active",
                "language": "en",
                "created_at": due,
            }
            for i in range(members)
        ]
        for start in range(0, members, 5000):
            await connection.execute(insert(Member), rows[start : start + 5000])
        plans = [
            {
                "member_id": i + 1,
                "frequency": "daily",
                "weekdays": "0,1,2,3,4,5,6",
                "time_of_day": "10:00",
                "timezone": "Europe/London",
                "instrument_id": None,
                "instrument_every": 7,
                "checkins_since_instrument": 0,
                "next_due_at": due,
                "updated_at": due,
            }
            for i in range(members)
        ]
        for start in range(0, members, 5000):
            await connection.execute(insert(CheckInPlan), plans[start : start + 5000])
    await engine.dispose()


def run_token() -> str:
    """A bot token of this run's own, so that a run can tell its sandbox from one a concurrent run started."""
    return f"999999:BENCH-{secrets.token_hex(8)}-not-a-secret"


async def _sandbox_process(token: str = TOKEN, attempts: int = 5) -> tuple[subprocess.Popen[bytes], str]:
    """Start the sandbox in its own process, as Telegram is its own server, with the limits on; return it and its
    base URL. Ready means it answers getMe for `token`: another run's sandbox that took the port first would not,
    and ours then exits, so it is started again on another port."""
    for _ in range(attempts):
        port = _free_port()
        process = subprocess.Popen(  # noqa: S603, ASYNC220 - our own interpreter and module, started once
            [
                sys.executable,
                "-m",
                "bot.sandbox",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--token",
                token,
                "--enforce-limits",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        if await _ready(process, f"{base}/bot{token}/getMe"):
            return process, base
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=10)
    raise RuntimeError("the sandbox did not start")


async def _ready(process: subprocess.Popen[bytes], url: str) -> bool:
    async with aiohttp.ClientSession() as client:
        for _ in range(300):
            if process.poll() is not None:
                return False
            try:
                async with client.get(url) as response:
                    if response.status == 200:
                        return True
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    return False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_for_others(start: threading.Barrier | None) -> None:
    """Wait until every run started together is seeded and ready to send, so that no run's seeding weighs on
    another's sending; a run that broke before getting there lets the others go on."""
    if start is not None:
        with contextlib.suppress(threading.BrokenBarrierError):
            await asyncio.to_thread(start.wait)


async def run_prompt_fanout(members: int, rate: float = 30.0, start: threading.Barrier | None = None) -> FanoutResult:
    """Send `members` due prompts through the real job and Bot to the sandbox (own process, limits on); with
    `start`, only once the other runs sharing it are ready too."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        due = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
        await seed(url, members, due)
        token = run_token()
        sandbox, base = await _sandbox_process(token)
        engine = create_engine(url)
        units = UnitOfWorkFactory(session_factory(engine), DataCipher((Fernet.generate_key().decode(),)))
        settings = Settings(telegram_bot_token=token, telegram_api_base_url=f"{base}/bot", send_rate_per_second=rate)
        bot = build_bot(settings)
        try:
            async with aiohttp.ClientSession() as client:
                await client.post(f"{base}/sandbox/api/chats/known", json={"first": 1_000_000, "count": members})
                await bot.initialize()
                await wait_for_others(start)
                began = time.monotonic()
                clock = lambda: due + timedelta(seconds=time.monotonic() - began)  # noqa: E731
                job = PromptJob(units, load_catalogue(), clock)
                tick = await job.tick(bot)
                while tick.retried:
                    await asyncio.sleep(1)
                    tick = await job.tick(bot)
                async with client.get(f"{base}/sandbox/api/stats") as response:
                    stats = await response.json()
        finally:
            await bot.shutdown()
            sandbox.terminate()
            sandbox.wait(timeout=10)
            await engine.dispose()
        stamps = stats["send_timestamps"]
        seconds = max(stamps) - min(stamps)
        delivered = stats["accepted"].get("sendMessage", 0)
        achieved = (delivered - 1) / seconds if seconds else 0.0
        return FanoutResult(
            members,
            seconds,
            achieved,
            achieved / TELEGRAM_LIMIT,
            stats["too_many_requests"]["limit_exceeded"],
            stats["too_many_requests"]["injected"],
            delivered,
        )


def fanout_once(members: int, start: threading.Barrier | None = None) -> FanoutResult:
    """One fan-out run in a process of its own (a worker of a process pool)."""
    return run_once(run_prompt_fanout, members, start)


def fanout_lines(members: int, results: Sequence[object], concurrent: str) -> list[str]:
    """The fan-out section: a row per run and the median ratio; `concurrent` says what ran at the same time."""
    lines = [
        f"## Check-in prompts: {members:,} due in the same minute (sandbox enforcing 30/s overall, 1/s per chat)",
        "",
        *([concurrent, ""] if concurrent else []),
        "| run | delivered | seconds | rate (msg/s) | ratio to 30/s | 429 caused by us |",
        "|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(results):
        if not isinstance(r, FanoutResult):  # the exception that ended the run
            lines.append(f"| {i + 1} | did not complete ({type(r).__name__}) | | | | |")
        else:
            lines.append(
                f"| {i + 1} | {r.delivered:,} | {r.seconds:.1f} | {r.rate:.2f} | {r.ratio:.3f} | {r.limited_429} |"
            )
    done = completed(results, FanoutResult, "fan-out")
    return [*lines, *median_lines(done, "target at least 0.95, with no 429")]
