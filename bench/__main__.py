"""Run benchmarks: `python -m bench all` (or fanout, broadcast, memory); figures go to stdout and bench/results.md."""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import multiprocessing
import os
import platform
import statistics
from datetime import UTC, datetime
from pathlib import Path

from bench.alert_latency import run_alert_latency
from bench.broadcast import broadcast_section
from bench.detection import run_detection
from bench.e2e_updates import e2e_section
from bench.fanout import run_prompt_fanout
from bench.memory import measure

RESULTS = Path(__file__).with_name("results.md")
ALL = ("e2e", "sending", "latency", "detection", "memory")
"""What `all` runs: fan-out and the broadcast side by side ("sending"), the rest one after another."""


def machine() -> str:
    """Describe the machine the figures come from."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def fanout_section(members: int, runs: int) -> list[str]:
    results = [asyncio.run(run_prompt_fanout(members)) for _ in range(runs)]
    ratio = statistics.median(r.ratio for r in results)
    lines = [
        f"## Check-in prompts: {members:,} due in the same minute (sandbox enforcing 30/s overall, 1/s per chat)",
        "",
        "| run | delivered | seconds | rate (msg/s) | ratio to 30/s | 429 caused by us |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {i + 1} | {r.delivered:,} | {r.seconds:.1f} | {r.rate:.2f} | {r.ratio:.3f} | {r.limited_429} |"
        for i, r in enumerate(results)
    ]
    lines += ["", f"Median ratio: **{ratio:.3f}** (target at least 0.95, with no 429).", ""]
    return lines


def sending_sections(members: int, runs: int) -> list[str]:
    """Prompt fan-out and the broadcast, side by side: each against its own sandbox enforcing Telegram's limits,
    the broadcast in a second process. Each is bound by the 30/s limit (over 5 minutes for 10,000), not by the CPU,
    so running them together halves the wall time and only makes each one's task harder."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        broadcast = pool.submit(broadcast_section, members, runs)
        lines = fanout_section(members, runs)
        return [*lines, *broadcast.result()]


def memory_section(sizes: list[int]) -> list[str]:
    figures = [measure(size) for size in sizes]
    base = figures[0]["rss_kib"]
    lines = [
        "## Bot process memory by members in the database (SQLite, freshly started)",
        "",
        "| members | RSS (MiB) | growth over the smallest (MiB) |",
        "|---|---|---|",
    ]
    lines += [
        f"| {f['members']:,} | {f['rss_kib'] / 1024:.1f} | {(f['rss_kib'] - base) / 1024:+.1f} |" for f in figures
    ]
    return [*lines, ""]


def latency_section() -> list[str]:
    result = asyncio.run(run_alert_latency())
    return [
        "## Alert latency: member's crisis message to the volunteer's alert",
        "",
        f"{result.samples} crisis messages while background members chat at {result.background_rate:.0f} messages a "
        "second (sandbox without Telegram's limits; PostgreSQL; embedding model on; one bot process on 2 cores):",
        "",
        f"p50 **{result.p50_ms:.0f} ms**, p99 **{result.p99_ms:.0f} ms**.",
        "",
    ]


def detection_section() -> list[str]:
    figures = run_detection()
    lines = ["## Language detection throughput (messages a second, one process)", "", "| reader | msg/s |", "|---|---|"]
    return [*lines, *(f"| {name} | {rate:,.0f} |" for name, rate in figures.items()), ""]


def main() -> int:
    """Run the chosen benchmarks and write the results file."""
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument(
        "which",
        choices=["all", "e2e", "fanout", "broadcast", "sending", "memory", "latency", "detection"],
        nargs="?",
        default="all",
    )
    parser.add_argument("--members", type=int, default=10_000, help="recipients for fan-out (default 10,000)")
    parser.add_argument("--runs", type=int, default=1, help="runs per fan-out figure (median reported)")
    parser.add_argument("--e2e-members", type=int, default=200, help="members checking in for e2e (default 200)")
    args = parser.parse_args()
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {machine()}.",
        f"Run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC,"
        f" `python -m bench {args.which} --members {args.members} --e2e-members {args.e2e_members}"
        f" --runs {args.runs}`.",
        "",
    ]
    sections = {
        "e2e": lambda: e2e_section(args.e2e_members, args.runs),
        "fanout": lambda: fanout_section(args.members, args.runs),
        "broadcast": lambda: broadcast_section(args.members, args.runs),
        "sending": lambda: sending_sections(args.members, args.runs),
        "latency": latency_section,
        "detection": detection_section,
        "memory": lambda: memory_section([0, 10_000, 100_000]),
    }
    RESULTS.write_text("\n".join(lines) + "\n")
    failed = 0
    chosen = ALL if args.which == "all" else (args.which,)
    for name, section in sections.items():
        if name not in chosen:
            continue
        try:
            part = section()
        except Exception as error:  # a benchmark that breaks is reported, and the others still run
            failed += 1
            part = [f"## {name}: did not complete ({type(error).__name__})", ""]
        print("\n".join(part), flush=True)
        with RESULTS.open("a") as results:
            results.write("\n".join(part) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
