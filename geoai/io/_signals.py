"""Signals during a run: stop cleanly on SIGTERM and SIGHUP, never half-way through a swap.

A run computes into a staging folder, then moves the finished files in.
While it computes, :func:`stoppable` turns SIGTERM and SIGHUP (a closed
terminal, ``kill``, a batch system's time limit) into :class:`SystemExit`, as
Ctrl-C is :class:`KeyboardInterrupt`: the ``finally`` clauses remove the
staging folder and release the lock, and the previous outputs stay as they
were. While files move in, :func:`held` defers SIGINT, SIGTERM and SIGHUP
until the folder is consistent again, then delivers them.

Only the main thread can install handlers; elsewhere both are no-ops.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import FrameType

__all__ = ["STOP_SIGNALS", "held", "stoppable"]

#: The signals a run stops on cleanly (SIGINT raises KeyboardInterrupt by itself).
STOP_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGHUP)


def _exit(signum: int, _frame: FrameType | None) -> None:
    """Raise SystemExit with the shell's code for a signal (128 + its number)."""
    raise SystemExit(128 + signum)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def stoppable() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into ``SystemExit(128 + signum)`` inside the block.

    Handlers installed by the caller for other purposes are restored on
    exit; a signal whose handler was ``SIG_IGN`` (``nohup`` sets it for
    SIGHUP) stays ignored.
    """
    if not _main_thread():
        yield
        return
    old = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    for s, handler in old.items():
        if handler is not signal.SIG_IGN:
            signal.signal(s, _exit)
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)


@contextlib.contextmanager
def held() -> Iterator[None]:
    """Defer SIGINT, SIGTERM and SIGHUP inside the block; deliver them, in order, after it.

    Examples
    --------
    >>> import os
    >>> got = []
    >>> old = signal.signal(signal.SIGHUP, lambda s, f: got.append(s))
    >>> with held():
    ...     os.kill(os.getpid(), signal.SIGHUP)
    ...     during = list(got)
    >>> during, got == [signal.SIGHUP]
    ([], True)
    >>> _ = signal.signal(signal.SIGHUP, old)
    """
    if not _main_thread():
        yield
        return
    caught: list[int] = []
    kinds = (signal.SIGINT, *STOP_SIGNALS)
    old = {s: signal.getsignal(s) for s in kinds}
    for s, handler in old.items():
        if handler is not signal.SIG_IGN:
            signal.signal(s, lambda signum, _frame: caught.append(signum))
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)
        for signum in caught:
            signal.raise_signal(signum)
