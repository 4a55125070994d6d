"""Atomic file replacement: write to a temporary sibling, then rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from geoai.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from geoai._typing import PathLike

__all__ = ["atomic_path", "check_writable"]


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
        tmp.chmod(0o644)
        tmp.replace(final)
    finally:
        if tmp.exists():
            tmp.unlink()
