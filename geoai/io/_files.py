"""The small facts about files every writer of geoai shares.

Modes: files and folders geoai creates get the modes the user's umask gives
(0644 and 0755 under the usual 022; 0600 and 0700 under 077), as ``open`` and
``mkdir`` would; a replaced file keeps its own mode. Identity: a file is
known by its SHA-256. Staging: a run writes into a hidden sibling folder
marked ``.geoai-stage``, so a later run can tell a killed run's leftovers
from anything else.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import stat
import tempfile
from pathlib import Path

__all__ = [
    "STAGE_MARK",
    "file_digest",
    "file_mode",
    "in_stage",
    "stage_folder",
    "temp_prefix",
    "umask",
    "writer_alive",
]

STAGE_MARK = ".geoai-stage"
_HOST = hashlib.blake2s(socket.gethostname().encode(), digest_size=3).hexdigest()


def umask() -> int:
    """Return the process's file mode creation mask, without changing it where Linux allows.

    Returns
    -------
    int
        The mask (``0o022`` on most systems).

    Examples
    --------
    >>> old = os.umask(0o027)
    >>> oct(umask())
    '0o27'
    >>> _ = os.umask(old)
    """
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    old = os.umask(0o022)  # elsewhere the only way to read it is to set it (and back)
    os.umask(old)
    return old


def file_mode(existing: Path | None = None) -> int:
    """Return the mode of a file geoai writes: an existing file's own, else what the umask gives.

    Parameters
    ----------
    existing : pathlib.Path, optional
        The file being replaced, whose permission bits are kept.

    Returns
    -------
    int
        Permission bits, e.g. ``0o644`` under umask 022.

    Examples
    --------
    >>> old = os.umask(0o077)
    >>> oct(file_mode())
    '0o600'
    >>> _ = os.umask(old)
    """
    if existing is not None:
        with contextlib.suppress(FileNotFoundError):
            return stat.S_IMODE(existing.stat().st_mode)
    return 0o666 & ~umask()


def file_digest(path: Path) -> str | None:
    """Return the SHA-256 (hex) of a regular file; ``None`` if nothing is there.

    A symlink, folder, other non-regular entry or unreadable file gives
    ``""``: it matches no manifest entry, so geoai treats it as the user's.
    """
    if not os.path.lexists(path):
        return None
    if path.is_symlink() or not path.is_file():
        return ""
    h = hashlib.sha256()
    try:
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError:  # unreadable: not provably geoai's
        return ""
    return h.hexdigest()


def stage_folder(real: Path) -> Path:
    """Create the hidden staging folder of a run beside ``real``, with the umask's mode.

    ``tempfile.mkdtemp`` makes it 0700 whatever the umask; a run's folder is
    this folder renamed, so it gets the mode ``mkdir`` would give (0755 under
    umask 022: others on a shared GIS server can read the outputs).

    Parameters
    ----------
    real : pathlib.Path
        The output folder to be (its parent must exist).

    Returns
    -------
    pathlib.Path
        The new staging folder ``.<name>.tmp-*``, holding only its mark ``.geoai-stage``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> old = os.umask(0o022)
    >>> stage = stage_folder(pathlib.Path(tempfile.mkdtemp()) / "out")
    >>> oct(stat.S_IMODE(stage.stat().st_mode)), stage.name.startswith(".out.tmp-")
    ('0o755', True)
    >>> _ = os.umask(old)
    """
    stage = Path(tempfile.mkdtemp(prefix=f".{real.name}.tmp-", dir=real.parent))
    stage.chmod(0o777 & ~umask())
    (stage / STAGE_MARK).write_text(f"{os.getpid()} {socket.gethostname()}\n", encoding="utf-8")
    return stage


def in_stage(path: Path, depth: int = 4) -> bool:
    """Whether ``path`` lies in a run's staging folder (a marked ancestor within ``depth``)."""
    return any((p / STAGE_MARK).is_file() for p in list(path.parents)[:depth])


def temp_prefix(final: Path) -> str:
    """Return the prefix of a temporary sibling of ``final``: ``.<stem>.geoai-<host>-<pid>-``.

    The host (a short hash of its name) and the process id let a later write
    of the same file tell a dead writer's leftover from a live one's work.
    """
    return f".{final.stem}.geoai-{_HOST}-{os.getpid()}-"


def writer_alive(temp: Path) -> bool:
    """Whether the process that made the temporary file ``temp`` may still be running.

    ``False`` only for a temporary of this host whose process is gone; any
    other name (another host, or one that cannot be read) counts as alive.
    """
    parts = temp.name.split(".geoai-", 1)[-1].split("-")
    if len(parts) < 3 or parts[0] != _HOST or not parts[1].isdigit():
        return True
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True
