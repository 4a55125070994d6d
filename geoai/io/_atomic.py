"""Single files written safely: a temporary sibling, then one rename; only geoai's files replaced.

:func:`atomic_path` is how every writer of :mod:`geoai.io` (and the CLI's
single-file commands) reaches the disk. The file appears complete or not at
all; a crash or kill leaves the previous file as it was. ``overwrite``
replaces only a file geoai wrote and nobody edited since, as the folder's
ledger (:mod:`geoai.io._ledger`) records; any other file is refused with a
message. The temporary files of a killed writer are removed by the next
write of the same file.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from geoai.errors import InputError, OutputError
from geoai.io import _ledger
from geoai.io._files import (
    STAGE_MARK,
    file_mode,
    in_stage,
    stage_folder,
    temp_prefix,
    umask,
    writer_alive,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from geoai._typing import PathLike

__all__ = [
    "STAGE_MARK",
    "atomic_path",
    "check_writable",
    "file_mode",
    "stage_folder",
    "sweep_temporaries",
    "umask",
]

log = logging.getLogger(__name__)


def check_writable(path: PathLike, *, overwrite: bool) -> Path:
    """Return ``path`` as a Path if geoai may write it; refuse with the fix otherwise.

    Parameters
    ----------
    path : path-like
        The file to write.
    overwrite : bool
        Whether an existing file may be replaced: only one geoai wrote (its
        folder's ledger lists it with its current bytes) or one inside a
        run's staging folder.

    Raises
    ------
    InputError
        The file exists (without ``overwrite``), is not geoai's, is a folder
        or a link, or its folder is missing.
    """
    p = Path(path).expanduser()
    if p.is_symlink():
        raise InputError(
            f"{p} is a link; give the path of a regular file (geoai replaces no link)."
        )
    if p.exists() and p.is_dir():
        raise InputError(f"{p} is a directory; give a file name.")
    if not p.parent.is_dir():
        raise InputError(f"the folder {p.parent} does not exist; create it first.")
    if p.exists() and not overwrite:
        raise InputError(
            f"{p} already exists; pass overwrite=True (--overwrite on the command line) "
            "to replace it."
        )
    if p.exists() and not (in_stage(p) or _ledger.owned(p)):
        raise InputError(
            f"{p} exists and geoai has no record of writing it, or it was changed since "
            f"({_ledger.LEDGER_NAME} beside it lists what geoai wrote); geoai never replaces "
            "such a file: rename or delete it yourself, or choose another name."
        )
    return p


def sweep_temporaries(final: Path) -> list[Path]:
    """Remove the temporary siblings of ``final`` left by writers that are gone; return them."""
    removed = []
    stem_glob = f".{final.stem}.geoai-*.tmp*"  # also a writer's own staging file (COG: .staging)
    for tmp in final.parent.glob(stem_glob.replace("[", "[[]")):
        if tmp.is_file() and not tmp.is_symlink() and not writer_alive(tmp):
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
                removed.append(tmp)
    return removed


@contextlib.contextmanager
def atomic_path(path: PathLike, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it onto ``path`` on success.

    The temporary file lives in the same folder (so the final rename is
    atomic on POSIX) and keeps the target's suffix (so format drivers chosen by
    extension still work). On any exception it is removed and ``path`` is left
    as it was. Outside a run's staging folder the written file is added to
    its folder's ledger, so a later ``overwrite`` may replace it.

    Parameters
    ----------
    path : path-like
        The final file.
    overwrite : bool, default False
        Replace ``path`` if geoai wrote it (:func:`check_writable`); otherwise
        an existing file is an :class:`~geoai.errors.InputError` raised before
        anything is written.

    Raises
    ------
    InputError
        From :func:`check_writable`, or if the folder cannot be written.
    OutputError
        If the file system fails while writing (a full disk, lost permission).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    >>> with atomic_path(target, overwrite=True) as tmp:  # geoai wrote it: may be replaced
    ...     _ = tmp.write_text("again")
    >>> target.read_text()
    'again'
    """
    final = check_writable(path, overwrite=overwrite)
    for old in sweep_temporaries(final):
        log.warning("removed %s, left by an interrupted write of %s", old.name, final.name)
    try:
        fd, name = tempfile.mkstemp(
            prefix=temp_prefix(final), suffix=f".tmp{final.suffix}", dir=final.parent
        )
    except OSError as exc:
        raise InputError(
            f"cannot write in {final.parent} ({exc.strerror or exc}); choose a folder you can "
            "write."
        ) from None
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # writers such as GDAL want to create the file themselves
    try:
        try:
            yield tmp
        except OSError as exc:
            if isinstance(exc, InputError | OutputError) or exc.errno is None:
                raise
            raise OutputError(
                f"could not write {final} ({exc.strerror or exc}); the previous file, if any, "
                "is as it was: free space or fix the permissions, then try again."
            ) from exc
        if not tmp.exists():
            raise RuntimeError(f"the writer did not create {tmp}")
        if overwrite is False and final.exists():
            raise InputError(f"{final} appeared while writing; not replacing it.")
        tmp.chmod(file_mode(final if final.exists() else None))
        tmp.replace(final)
    finally:
        if tmp.exists():
            tmp.unlink()
    if not in_stage(final):
        _ledger.record([final])
