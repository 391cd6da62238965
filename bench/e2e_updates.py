"""End-to-end update handling: N members doing whole check-ins through the sandbox over HTTP, Cairn vs echo.

Each member does /checkin, taps "Good", writes a few words, and waits for each reply before the next step
(so the load is N members at their fastest). Three processes: the sandbox with the members inside it (no flood
limits: this measures the bot, not Telegram's limits), the bot under test (`python -m bot run`, as in
production, or a bare python-telegram-bot echo bot), and this one, which only starts and stops them.
Figures: updates handled a second, and the time from an update being queued in the sandbox to the bot's reply
arriving in that chat (p50 / p95 / p99). Cairn's own send limiter is set out of the way (the sandbox enforces
no limits here and the echo bot has none); everything else is as deployed, language model included.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from cryptography.fernet import Fernet
from sqlalchemy import insert, select

from bench.fanout import TOKEN, _free_port
from models.database import create_engine
from models.migrate import upgrade_to_head
from models.tables import ConsentRecord, Member, Organisation

ROOT = Path(__file__).resolve().parents[1]
FIRST_MEMBER = 1_000_000
ROUNDS = 1  # check-ins per member in the measured phase (3 updates each)
START_TIMEOUT = 180.0


@dataclass(frozen=True)
class E2EResult:
    """One bot's figures in one run."""

    bot: str
    backend: str
    language_model: bool
    updates: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    messages_sent: int
    bot_cpu_ms: float  # the bot process's CPU time per update
    sandbox_cpu_ms: float  # the sandbox's (and members') CPU time per update

    @property
    def rate(self) -> float:
        """Updates handled a second."""
        return self.updates / self.seconds if self.seconds else 0.0

    @property
    def name(self) -> str:
        """What was measured, in words."""
        if self.bot == "echo":
            return "python-telegram-bot echo bot"
        return f"Cairn, {self.backend}, language model {'on' if self.language_model else 'off'}"


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))] if ordered else 0.0


def cpu_seconds(process: subprocess.Popen[bytes]) -> float:
    """CPU time (user and system) a child process has used so far, from /proc."""
    fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _spawn(arguments: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and modules
            [sys.executable, *arguments], cwd=ROOT, env=env, stdout=output, stderr=output
        )


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:]


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


async def _wait(client: aiohttp.ClientSession, url: str, key: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{log.name} exited: {_tail(log)}")
        try:
            async with client.get(url) as response:
                if response.status == 200 and (await response.json()).get(key):
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{log.name} did not get ready in time")


async def measure(
    bot: str, members: int, rounds: int, folder: Path, database_url: str = "", language_model: bool = True
) -> E2EResult:
    """Start a sandbox and one bot, onboard Cairn's members, then measure whole check-ins."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HF_HUB_OFFLINE": "1"}
    sandbox_log, bot_log = folder / f"sandbox-{bot}.log", folder / f"{bot}.log"
    sandbox = _spawn(["-m", "bench.e2e_sandbox", "--port", str(port), "--token", TOKEN], env, sandbox_log)
    bot_process = None
    timeout = aiohttp.ClientTimeout(total=900)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as client:
            await _wait(client, f"{base}/sandbox/api/limits", "global_per_second", sandbox, sandbox_log)
            bot_env = {**env, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": f"{base}/bot"}
            if bot == "echo":
                bot_process = _spawn(["-m", "bench.echo_bot"], bot_env, bot_log)
            else:
                bot_env |= {
                    "DATABASE_URL": database_url,
                    "CAIRN_DATA_KEYS": Fernet.generate_key().decode(),
                    "CAIRN_DEFAULT_ORGANISATION": "bench",
                    "CAIRN_LANGUAGE_MODEL": "on" if language_model else "off",
                    "CAIRN_WEB_PORT": "0",
                    "CAIRN_LOG_LEVEL": "WARNING",
                    "CAIRN_SEND_RATE_PER_SECOND": "100000",
                    "CAIRN_SEND_CHAT_INTERVAL_SECONDS": "0.001",
                }
                bot_process = _spawn(["-m", "bot", "run"], bot_env, bot_log)
            await _wait(client, f"{base}/bench/ready", "polling", bot_process, bot_log)
            drive = {"first": FIRST_MEMBER, "count": members, "rounds": rounds}
            cpu = cpu_seconds(bot_process), cpu_seconds(sandbox)
            figures = await _post(client, f"{base}/bench/drive", drive)
            bot_cpu, sandbox_cpu = cpu_seconds(bot_process) - cpu[0], cpu_seconds(sandbox) - cpu[1]
    finally:
        if bot_process is not None:
            _stop(bot_process)
        _stop(sandbox)
    latencies = [value * 1000 for value in figures["latencies"]]
    if len(latencies) != figures["updates"]:
        raise RuntimeError(f"{figures['updates'] - len(latencies)} updates got no reply")
    return E2EResult(
        bot,
        "sqlite" if database_url.startswith("sqlite") else "postgresql" if database_url else "-",
        language_model,
        figures["updates"],
        figures["seconds"],
        percentile(latencies, 0.50),
        percentile(latencies, 0.95),
        percentile(latencies, 0.99),
        figures["messages_sent"],
        bot_cpu * 1000 / figures["updates"],
        sandbox_cpu * 1000 / figures["updates"],
    )


async def _post(client: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> dict[str, Any]:
    async with client.post(url, json=body) as response:
        result: dict[str, Any] = await response.json()
        if response.status != 200:
            raise RuntimeError(f"the members could not finish: {result.get('error')}")
        return result


async def seed_onboarded(url: str, members: int) -> None:
    """Migrate, then put members in place as if each had onboarded: keep my check-ins yes, contact and news no."""
    engine = create_engine(url)
    now = datetime.now(UTC) - timedelta(days=1)
    try:
        await upgrade_to_head(engine)
        async with engine.begin() as connection:
            await connection.execute(insert(Organisation).values(slug="bench", name="Bench", created_at=now))
            organisation = (await connection.execute(select(Organisation.id))).scalar_one()
            users = range(FIRST_MEMBER, FIRST_MEMBER + members)
            rows = [
                {"telegram_user_id": user, "chat_id": user, "organisation_id": organisation, "status": "active",
                 "language": "en", "created_at": now}
                for user in users
            ]  # fmt: skip
            await connection.execute(insert(Member), rows)
            ids = (await connection.execute(select(Member.id))).scalars().all()
            consent = {"share_level": None, "text_version": "bench", "text_hash": "0" * 64, "method": "seed",
                       "update_id": None, "recorded_at": now}  # fmt: skip
            records = [
                {"member_id": member_id, "scope": scope, "action": action, **consent}
                for member_id in ids
                for scope, action in (("store", "given"), ("share_flags", "declined"), ("news", "declined"))
            ]
            await connection.execute(insert(ConsentRecord), records)
    finally:
        await engine.dispose()


async def _cairn(backend: str, members: int, rounds: int, folder: Path, language_model: bool) -> E2EResult:
    """Cairn on a fresh database of one backend, its members already onboarded."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{folder}/e2e-{language_model}.db"
        await seed_onboarded(url, members)
        return await measure("cairn", members, rounds, folder, url, language_model)
    from tests.conftest import create_postgres_database, drop_postgres_database

    url = await create_postgres_database()
    try:
        await seed_onboarded(url, members)
        return await measure("cairn", members, rounds, folder, url, language_model)
    finally:
        await drop_postgres_database(url)


async def run_e2e(members: int, rounds: int = ROUNDS, model_off_too: bool = False) -> list[E2EResult]:
    """One run: the echo bot, then Cairn on SQLite and PostgreSQL (language model on, then off if asked)."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        results = [await measure("echo", members, rounds, folder)]
        for language_model in (True, False) if model_off_too else (True,):
            for backend in ("sqlite", "postgresql"):
                results.append(await _cairn(backend, members, rounds, folder, language_model))
        return results


def e2e_section(members: int, runs: int, model_off: bool = False) -> list[str]:
    """Run `runs` times and write a row per run and the table of medians, with Cairn's throughput as a share of
    the echo bot's; Cairn with the language model off only when `model_off`."""
    all_runs = [asyncio.run(run_e2e(members, model_off_too=model_off)) for _ in range(runs)]
    names = [result.name for result in all_runs[0]]
    plural = "s" if runs > 1 else ""
    lines = [
        f"## End-to-end update handling: {members} members doing whole check-ins (sandbox over HTTP, no limits)",
        "",
        f"Each member: /checkin, the mood button, a few words ({ROUNDS} check-in{'s' if ROUNDS > 1 else ''}), waiting "
        "for each reply. Sandbox, bot "
        "and members' driver in their own processes on the same machine; medians of "
        f"{runs} run{plural}, one after another. Latency: update queued in the sandbox to the bot's reply in that "
        "chat.",
        "",
        "Updates a second in each run (share of the echo bot's in the same run):",
        "",
        "| run | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for number, run in enumerate(all_runs, 1):
        cells = [f"{run[0].rate:.1f}", *(f"{r.rate:.1f} ({r.rate / run[0].rate:.2f})" for r in run[1:])]
        lines.append(f"| {number} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Medians of {runs} run{plural}:",
        "",
        "| bot | updates/s | p50 (ms) | p95 (ms) | p99 (ms) | bot CPU per update (ms) | share of echo's updates/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for index, name in enumerate(names):
        same = [run[index] for run in all_runs]
        share = statistics.median(run[index].rate / run[0].rate for run in all_runs)
        lines.append(
            f"| {name} | {statistics.median(r.rate for r in same):.1f} | "
            f"{statistics.median(r.p50_ms for r in same):.0f} | {statistics.median(r.p95_ms for r in same):.0f} | "
            f"{statistics.median(r.p99_ms for r in same):.0f} | {statistics.median(r.bot_cpu_ms for r in same):.1f} | "
            f"{share:.2f} |"
        )
    headline = [r for r in names if r.startswith("Cairn") and "model on" in r]
    shares = [statistics.median(run[names.index(n)].rate / run[0].rate for run in all_runs) for n in headline]
    lines += ["", f"Cairn with the language model on: **{min(shares):.2f}** of the echo bot's throughput at worst "
              "(target at least 0.5)."]  # fmt: skip
    if not model_off:
        lines.append("Cairn with the language model off is measured only with `--e2e-model-off`.")
    return [*lines, ""]
