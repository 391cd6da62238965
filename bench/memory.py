"""Memory of a bot process with N members in the database (nothing per member should be held in memory)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime

from bench.fanout import seed

PROBE = r"""
import asyncio, json, sys, gc
from dataclasses import dataclass
from datetime import UTC, datetime
from bot.runtime import build_cairn
from bot.settings import Settings
from cryptography.fernet import Fernet

def rss_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

async def main():
    settings = Settings(telegram_bot_token="1:x", telegram_api_base_url="http://127.0.0.1:9/bot",
                        database_url=sys.argv[1], data_keys=(Fernet.generate_key().decode(),),
                        default_organisation="bench", tick_seconds=0)
    cairn = await build_cairn(settings)
    async with cairn.units() as uow:
        count = await uow.members.count()
        await uow.prompts.claim_due(datetime(2000, 1, 1, tzinfo=UTC), 100, lambda plan, now: None)
    gc.collect()
    print(json.dumps({"members": count, "rss_kib": rss_kib()}))
    await cairn.close()

asyncio.run(main())
"""


@dataclass(frozen=True)
class MemoryResult:
    """The members a freshly started bot counted, and its resident memory (KiB) in each run."""

    members: int
    rss_kib: list[int]


def measure(members: int, runs: int = 1) -> MemoryResult:
    """Seed `members` in a SQLite database once, then start a fresh bot on it `runs` times."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/memory.db"
        asyncio.run(seed(url, members, datetime(2030, 1, 1, tzinfo=UTC)))
        command = [sys.executable, "-c", PROBE, url]  # our own probe, our own interpreter
        counted, rss = 0, []
        for _ in range(runs):
            result = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
            figures = json.loads(result.stdout.strip().splitlines()[-1])
            counted = int(figures["members"])
            rss.append(int(figures["rss_kib"]))
        return MemoryResult(counted, rss)
