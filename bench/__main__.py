"""Run benchmarks: `python -m bench all` (or fanout, broadcast, fair…); figures go to stdout and bench/results.md."""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import multiprocessing
import os
import platform
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench.alert_latency import run_alert_latency
from bench.broadcast import broadcast_lines, broadcast_once
from bench.detection import run_detection
from bench.e2e_updates import e2e_section
from bench.fair import fair_section
from bench.fanout import fanout_lines, fanout_once
from bench.memory import measure

RESULTS = Path(__file__).with_name("results.md")
ALL = ("e2e", "sending", "latency", "fair", "detection", "memory")
"""What `all` runs: the fan-out and broadcast runs all side by side ("sending"), the rest one after another; every
figure is the median of `--runs` runs."""


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


def _concurrently(jobs: Sequence[tuple[Callable[[int, threading.Barrier], object], int]]) -> list[object]:
    """Run each job in its own spawned process, all at the same time, each starting to send only once all are
    seeded and ready (a shared barrier); a job that raised gives its exception."""
    context = multiprocessing.get_context("spawn")
    with (
        context.Manager() as manager,
        concurrent.futures.ProcessPoolExecutor(max_workers=len(jobs), mp_context=context) as pool,
    ):
        start = manager.Barrier(len(jobs), timeout=900)
        futures = [pool.submit(job, argument, start) for job, argument in jobs]
        results: list[object] = []
        for future in futures:
            try:
                results.append(future.result())
            except Exception as error:  # one run that breaks is reported in its row; the others still count
                results.append(error)
        return results


def _concurrent_note(what: str) -> str:
    return (
        f"{what}, all at the same time on the same machine, each in its own process with its own sandbox and "
        f"database, sending from the moment all were seeded (which only makes each one's task harder: they share "
        f"the machine's {os.cpu_count()} cores)."
    )


def fanout_section(members: int, runs: int) -> list[str]:
    """`runs` fan-out runs at the same time; a row per run and the median."""
    results = _concurrently([(fanout_once, members)] * runs)
    note = _concurrent_note(f"{runs} fan-out run{'s' if runs > 1 else ''}") if runs > 1 else ""
    return fanout_lines(members, results, note)


def broadcast_section(members: int, runs: int) -> list[str]:
    """`runs` broadcast runs at the same time; a row per run and the median."""
    results = _concurrently([(broadcast_once, members)] * runs)
    note = _concurrent_note(f"{runs} broadcast run{'s' if runs > 1 else ''}") if runs > 1 else ""
    return broadcast_lines(members, results, note)


def sending_sections(members: int, runs: int) -> list[str]:
    """Prompt fan-out and the broadcast, `runs` of each, all side by side: each run in its own process against its
    own sandbox enforcing Telegram's limits. Each is bound by the 30/s limit (over 5 minutes for 10,000), not by
    the CPU, so running them together takes the wall time of one and only makes each one's task harder."""
    results = _concurrently([(fanout_once, members)] * runs + [(broadcast_once, members)] * runs)
    plural = "s" if runs > 1 else ""
    note = _concurrent_note(f"{runs} fan-out run{plural} and {runs} broadcast run{plural}")
    return [
        *fanout_lines(members, results[:runs], note),
        *broadcast_lines(members, results[runs:], note),
    ]


def memory_section(sizes: list[int], runs: int) -> list[str]:
    """Each size seeded once, the bot started on it `runs` times; the median resident memory of each size."""
    figures = [measure(size, runs) for size in sizes]
    medians = [statistics.median(f.rss_kib) for f in figures]
    plural = "s" if runs > 1 else ""
    lines = [
        "## Bot process memory by members in the database (SQLite, freshly started)",
        "",
        f"Each database seeded once; the bot started on it {runs} time{plural}, one after another.",
        "",
        "| members | RSS of each run (MiB) | median RSS (MiB) | growth over the smallest (MiB) |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {f.members:,} | {', '.join(f'{kib / 1024:.1f}' for kib in f.rss_kib)} | **{median / 1024:.1f}** |"
        f" {(median - medians[0]) / 1024:+.1f} |"
        for f, median in zip(figures, medians, strict=True)
    ]
    return [*lines, ""]


def latency_section(runs: int) -> list[str]:
    """`runs` alert latency runs, one after another; a row per run and the medians."""
    results = [asyncio.run(run_alert_latency()) for _ in range(runs)]
    first = results[0]
    lines = [
        "## Alert latency: member's crisis message to the volunteer's alert",
        "",
        f"{first.samples} crisis messages a run while background members chat (sandbox without Telegram's limits; "
        f"PostgreSQL; embedding model on; one bot process on 2 cores); {runs} run{'s' if runs > 1 else ''}, one "
        "after another:",
        "",
        "| run | p50 (ms) | p99 (ms) | background (msg/s) |",
        "|---|---|---|---|",
    ]
    lines += [f"| {i + 1} | {r.p50_ms:.0f} | {r.p99_ms:.0f} | {r.background_rate:.0f} |" for i, r in enumerate(results)]
    p50 = statistics.median(r.p50_ms for r in results)
    p99 = statistics.median(r.p99_ms for r in results)
    return [*lines, "", f"Median p50 **{p50:.0f} ms**, median p99 **{p99:.0f} ms**.", ""]


def detection_section(runs: int) -> list[str]:
    """`runs` timings of each reader (built once); the median of each."""
    figures = run_detection(runs)
    lines = [
        "## Language detection throughput (messages a second, one process)",
        "",
        "| reader | msg/s of each run | median msg/s |",
        "|---|---|---|",
    ]
    lines += [
        f"| {name} | {', '.join(f'{rate:,.0f}' for rate in rates)} | **{statistics.median(rates):,.0f}** |"
        for name, rates in figures.items()
    ]
    return [*lines, ""]


def main() -> int:
    """Run the chosen benchmarks and write the results file."""
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument(
        "which",
        choices=["all", "e2e", "fanout", "broadcast", "sending", "memory", "latency", "fair", "detection"],
        nargs="?",
        default="all",
    )
    parser.add_argument("--members", type=int, default=10_000, help="recipients for fan-out (default 10,000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure, the median reported (default 3)")
    parser.add_argument("--e2e-members", type=int, default=200, help="members checking in for e2e (default 200)")
    parser.add_argument("--fair-samples", type=int, default=40, help="crisis messages per row for fair (default 40)")
    parser.add_argument(
        "--e2e-model-off", action="store_true", help="e2e also measures Cairn with the language model off"
    )
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    began = time.monotonic()
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {machine()}.",
        f"Run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC,"
        f" `python -m bench {args.which} --members {args.members} --e2e-members {args.e2e_members}"
        f" --runs {args.runs}{' --e2e-model-off' if args.e2e_model_off else ''}`.",
        "",
    ]
    sections: dict[str, Callable[[], list[str]]] = {
        "e2e": lambda: e2e_section(args.e2e_members, args.runs, args.e2e_model_off),
        "fanout": lambda: fanout_section(args.members, args.runs),
        "broadcast": lambda: broadcast_section(args.members, args.runs),
        "sending": lambda: sending_sections(args.members, args.runs),
        "latency": lambda: latency_section(args.runs),
        "fair": lambda: fair_section(args.fair_samples),
        "detection": lambda: detection_section(args.runs),
        "memory": lambda: memory_section([0, 10_000, 100_000], args.runs),
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
    minutes, seconds = divmod(round(time.monotonic() - began), 60)
    whole = f"Whole run: {minutes} min {seconds} s."
    print(whole, flush=True)
    with RESULTS.open("a") as results:
        results.write(whole + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
