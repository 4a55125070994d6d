"""Shared helpers for the tests that run the ``geoai`` command as a user would."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path


def kill_while_staging(args: list[str], parent: Path, sig: int = signal.SIGTERM) -> int:
    """Start ``geoai ARGS``, send ``sig`` once its staging folder in ``parent`` holds a file.

    Returns the exit code of the killed run.
    """
    geoai_bin = Path(sys.executable).parent / "geoai"
    with subprocess.Popen(
        [geoai_bin, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    ) as proc:
        deadline = time.monotonic() + 120

        def staged_files() -> list[Path]:
            stages = [p for p in parent.iterdir() if ".tmp-" in p.name]
            return [f for d in stages for f in d.rglob("*") if f.is_file()]

        while not staged_files():  # wait until the run has written part of its outputs
            assert proc.poll() is None
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(sig)
        proc.wait(timeout=60)
    return proc.returncode
