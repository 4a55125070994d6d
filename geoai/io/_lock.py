"""One writer per output folder: an advisory lock file beside the folder.

``geoai run --out out`` holds ``.out.geoai-lock`` in the folder's parent for
the whole run, with ``flock(2)``: a second run on the same folder is refused at
once with the first one's process id and start time. The kernel releases the
lock when its holder dies (even by SIGKILL), so a killed run never leaves a
stale lock; the file itself is removed by its holder on the way out, or by
the next run. The lock is advisory: it orders geoai runs, not other programs.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import socket
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from geoai.errors import InputError, OutputError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

__all__ = ["folder_lock", "lock_path"]

_ATTEMPTS = 5  # a holder that unlinks its file as we open it: try a fresh file


def lock_path(real: Path) -> Path:
    """Return the lock file of the output folder ``real``: ``.<name>.geoai-lock`` beside it."""
    return real.parent / f".{real.name}.geoai-lock"


def _holder(path: Path) -> str:
    """Return "pid N on host since HH:MM:SS" from a lock file, or "" if unreadable."""
    with contextlib.suppress(OSError, UnicodeDecodeError):
        text = path.read_text(encoding="utf-8").split()
        if len(text) >= 3:
            return f" (process {text[0]} on {text[1]}, since {text[2]})"
    return ""


def _open(path: Path, shown: str) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o666)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError(
            f"cannot write in {path.parent} to hold the output folder {shown} ({reason}); "
            "choose a folder you can write."
        ) from None


@contextlib.contextmanager
def folder_lock(real: Path, shown: str) -> Iterator[Path]:
    """Hold the lock of output folder ``real`` inside the block.

    Parameters
    ----------
    real : pathlib.Path
        The resolved output folder (its parent must exist).
    shown : str
        The folder as the user gave it, for messages.

    Yields
    ------
    pathlib.Path
        The lock file.

    Raises
    ------
    OutputError
        If another geoai process holds the lock (its pid and start time are named).
    InputError
        If the parent folder is not writable.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "out"
    >>> with folder_lock(out, "out") as lock:
    ...     try:
    ...         with folder_lock(out, "out"):
    ...             pass
    ...     except OutputError as exc:
    ...         print(str(exc).split(" (")[0])
    another geoai run is writing out
    >>> lock.exists()
    False
    """
    path = lock_path(real)
    for _ in range(_ATTEMPTS):
        fd = _open(path, shown)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise InputError(
                    f"cannot lock {path} ({exc.strerror}); choose a folder on a file system "
                    "that supports locks."
                ) from None
            raise OutputError(
                f"another geoai run is writing {shown}{_holder(path)}; wait for it to finish "
                "or choose another folder."
            ) from None
        try:  # the file we locked is still the one at the path (not unlinked by its last holder)
            same = path.lstat().st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    else:  # pragma: no cover - five holders in a row released under us
        raise OutputError(f"could not lock {path}; try again.")
    try:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {socket.gethostname()} {stamp}\n".encode())
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # while locked: a waiting opener sees a new inode and retries
        os.close(fd)
