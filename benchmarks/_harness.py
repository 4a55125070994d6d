"""Shared benchmark helpers: isolated runs with wall time and peak memory."""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from collections.abc import Callable


def rss_bytes() -> int:
    """Current resident memory of this process."""
    with Path("/proc/self/statm").open() as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Timer:
    """Context manager recording wall time and the RSS just before the timed block."""

    def __enter__(self) -> Self:
        self.rss_before = rss_bytes()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.t0


def _child(fn: Callable[..., Any], args: tuple[Any, ...], queue: Any) -> None:
    try:
        timer, out = fn(*args)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        queue.put(
            {
                "seconds": timer.seconds,
                "peak_mib": peak / 2**20,
                "extra_mib": (peak - timer.rss_before) / 2**20,
                "result": out,
                "error": None,
            }
        )
    except Exception as exc:  # noqa: BLE001 - any failure becomes a table row, not a crash
        queue.put(
            {
                "seconds": float("nan"),
                "peak_mib": float("nan"),
                "extra_mib": float("nan"),
                "result": None,
                "error": f"{type(exc).__name__}: {exc}"[:300],
            }
        )


def isolated(fn: Callable[..., Any], *args: Any, timeout: float = 3600) -> dict[str, Any]:
    """Run ``fn(*args)`` in a fresh process (spawn) and collect its timing and memory.

    ``fn`` does its own set-up and returns ``(timer, result)`` where ``timer``
    is a :class:`Timer` around the measured call. ``peak_mib`` is the
    process's peak resident memory (imports included); ``extra_mib`` is the
    peak above the memory in use when the timed call started.
    """
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(fn, args, queue))
    proc.start()
    try:
        return queue.get(timeout=timeout)
    finally:
        proc.join(timeout=5)
        if proc.is_alive():
            proc.kill()


def load() -> str:
    """The 1-minute load average, to print beside the results."""
    return f"{os.getloadavg()[0]:.2f}"
