"""What the sending benchmarks share: one run in a process of its own, and the median line under a table of runs."""

from __future__ import annotations

import asyncio
import statistics
import threading
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Protocol, TypeVar

Result = TypeVar("Result")


class RatedRun(Protocol):
    """A run's figures as the median line reads them."""

    ratio: float
    limited_429: int


def run_once(
    run: Callable[..., Coroutine[Any, Any, Result]], members: int, start: threading.Barrier | None = None
) -> Result:
    """Run `run(members, start=start)` in this process (a worker of a process pool); if it fails before the
    others start, the barrier is broken so the runs waiting for this one go on without it."""
    try:
        return asyncio.run(run(members, start=start))
    except BaseException:
        if start is not None:
            start.abort()
        raise


def completed(results: Sequence[object], kind: type[Result], what: str) -> list[Result]:
    """The runs that finished (the others are the exceptions that ended them); none at all is an error."""
    done = [result for result in results if isinstance(result, kind)]
    if not done:
        raise RuntimeError(f"no {what} run completed")
    return done


def median_lines(done: Sequence[RatedRun], target: str) -> list[str]:
    """The median ratio of the finished runs, and every 429 they caused."""
    ratio = statistics.median(run.ratio for run in done)
    caused = sum(run.limited_429 for run in done)
    runs = f"{len(done)} run{'s' if len(done) > 1 else ''}"
    return ["", f"Median ratio of {runs}: **{ratio:.3f}** ({target}); 429 caused by us in all runs: {caused}.", ""]
