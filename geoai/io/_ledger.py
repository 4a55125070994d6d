"""Which single files geoai wrote in a folder: the ledger ``.geoai-files.json``.

A run's folder has its manifest (:mod:`geoai.io._manifest`). Files written one
at a time (``geoai metros --out metros.gpkg``, ``geoai.io.write_raster``) go
into folders that belong to the user, so geoai keeps a small ledger beside
them: file name, size and SHA-256 of every file it wrote there. ``overwrite``
then replaces a file only if the ledger lists it with the bytes it still has;
a file geoai did not write, or one edited since, is never replaced.

Deleting the ledger is safe: geoai then treats the files as the user's and
refuses to replace them.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geoai.io._files import file_digest, file_mode

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = ["LEDGER_NAME", "owned", "record"]

LEDGER_NAME = ".geoai-files.json"
_FORMAT = "geoai-files/1"


@contextlib.contextmanager
def _folder_locked(folder: Path) -> Iterator[None]:
    """Hold ``flock`` on the folder itself (no lock file): one ledger writer at a time."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _read(folder: Path) -> dict[str, dict[str, Any]]:
    """Return the ledger's entries (name → size, sha256, written_utc); {} if none or unreadable."""
    path = folder / LEDGER_NAME
    with contextlib.suppress(OSError, ValueError):
        if path.is_symlink():
            return {}
        doc = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and doc.get("format") == _FORMAT:
            files = doc.get("files")
            if isinstance(files, dict):
                return {k: v for k, v in files.items() if isinstance(v, dict)}
    return {}


def owned(path: Path) -> bool:
    r"""Whether the ledger beside ``path`` lists it with the bytes it has now.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> _ = f.write_text("x\\n1\\n")
    >>> owned(f)
    False
    >>> record([f]); owned(f)
    True
    >>> _ = f.write_text("x\\n2\\n")  # edited by the user
    >>> owned(f)
    False
    """
    entry = _read(path.parent).get(path.name)
    digest = file_digest(path)
    return bool(entry and digest and entry.get("sha256") == digest)


def record(paths: Iterable[Path]) -> None:
    """Add ``paths`` (files just written, all in one folder) to that folder's ledger.

    Entries of files that no longer exist are dropped. The ledger is replaced
    atomically, under ``flock`` on the folder, keeping its mode.
    """
    paths = list(paths)
    if not paths:
        return
    folder = paths[0].parent
    with _folder_locked(folder):
        files = {k: v for k, v in _read(folder).items() if (folder / k).is_file()}
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        for p in paths:
            files[p.name] = {
                "size": p.stat().st_size,
                "sha256": file_digest(p),
                "written_utc": stamp,
            }
        doc = {"format": _FORMAT, "note": "files geoai wrote here; see geoai.io", "files": files}
        fd, name = tempfile.mkstemp(prefix=f"{LEDGER_NAME}.", suffix=".tmp", dir=folder)
        tmp = Path(name)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(doc, f, indent=1, sort_keys=True)
                f.write("\n")
            tmp.chmod(file_mode(folder / LEDGER_NAME))
            tmp.replace(folder / LEDGER_NAME)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
