"""Atomic file replacement: write to a temporary sibling, then rename.

Files and folders geoai creates get the modes the user's umask gives (0644 and
0755 under the usual 022; 0600 and 0700 under 077), as ``open`` and ``mkdir``
would; a replaced file keeps its own mode.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from geoai.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from geoai._typing import PathLike

__all__ = ["atomic_path", "check_writable", "file_mode", "stage_folder", "umask"]


def check_writable(path: PathLike, *, overwrite: bool) -> Path:
    """Return ``path`` as a Path, refusing to clobber an existing file without ``overwrite``."""
    p = Path(path)
    if p.exists() and not overwrite:
        raise InputError(
            f"{p} already exists; pass overwrite=True (--overwrite on the command line) "
            "to replace it."
        )
    if p.exists() and p.is_dir():
        raise InputError(f"{p} is a directory; give a file name.")
    if not p.parent.exists():
        raise InputError(f"the folder {p.parent} does not exist; create it first.")
    return p


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
        The new, empty staging folder ``.<name>.tmp-*``.

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
    return stage


@contextlib.contextmanager
def atomic_path(path: PathLike, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it onto ``path`` on success.

    The temporary file lives in the same folder (so the final rename is
    atomic on POSIX) and keeps the target's suffix (so format drivers chosen by
    extension still work). On any exception it is removed and ``path`` is left
    as it was.

    Parameters
    ----------
    path : path-like
        The final file.
    overwrite : bool, default False
        Replace ``path`` if it exists; otherwise an existing file is an
        :class:`~geoai.errors.InputError` raised before anything is written.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    """
    final = check_writable(path, overwrite=overwrite)
    fd, name = tempfile.mkstemp(
        prefix=f".{final.stem}.", suffix=f".tmp{final.suffix}", dir=final.parent
    )
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # writers such as GDAL want to create the file themselves
    try:
        yield tmp
        if not tmp.exists():
            raise RuntimeError(f"the writer did not create {tmp}")
        if overwrite is False and final.exists():
            raise InputError(f"{final} appeared while writing; not replacing it.")
        tmp.chmod(file_mode(final if final.exists() else None))
        tmp.replace(final)
    finally:
        if tmp.exists():
            tmp.unlink()
