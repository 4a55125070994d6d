"""A run's output folder, from the first check to the last rename, safe against kills.

:class:`OutputFolder` is what ``geoai run`` and ``geoai identify`` write through:

1. **Check** the folder (:func:`~geoai.io._manifest.check_target`: refused
   locations, foreign files, edited outputs), before any work.
2. **Lock** it (:func:`~geoai.io._lock.folder_lock`): one geoai writer at a time.
3. **Recover** what a killed run left: an interrupted move-in is rolled back,
   the previous run's discarded files are removed, staging folders
   (``.<name>.tmp-*``, marked ``.geoai-stage``) are deleted. The run says so.
4. **Check again**, under the lock: the check and the swap see the same folder.
5. **Stage**: the run writes into a hidden sibling folder; SIGTERM and
   SIGHUP stop it like Ctrl-C (:func:`~geoai.io._signals.stoppable`), and
   the staging folder is removed on the way out.
6. **Swap** (:meth:`OutputFolder.commit`), with signals held:

   * a new folder is the staging folder renamed with ``renameat2(RENAME_NOREPLACE)``
     (one atomic step that never replaces a folder someone created meanwhile);
   * an existing folder gets the files through a journal. The manifest is
     first rewritten as a journal (``state: moving``, the previous entries in
     ``replacing``); every previous file is hard-linked (or moved, if not
     written again) into ``.geoai-previous/``; the new files are renamed in;
     the manifest is rewritten (the commit point); the backup is removed. A
     kill before the commit leaves every file complete (old or new bytes)
     and the journal, which the next run rolls back to the previous outputs;
     a file-system error before the commit rolls back at once.

Files the user put in the folder are never read, moved or deleted.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import glob
import logging
import os
import shutil
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Self

from geoai._budget import format_bytes
from geoai.errors import InputError, OutputError
from geoai.io._atomic import STAGE_MARK, stage_folder
from geoai.io._lock import folder_lock
from geoai.io._manifest import (
    MANIFEST_NAME,
    Entry,
    Manifest,
    check_command,
    check_outputs,
    check_target,
    file_digest,
    read_manifest,
    scan,
    write_manifest,
)
from geoai.io._signals import held, stoppable

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from types import TracebackType

__all__ = ["BACKUP", "OutputFolder", "rename_noreplace", "roll_back"]

log = logging.getLogger(__name__)

BACKUP = ".geoai-previous"  # inside the output folder, while files move in
_AT_FDCWD = -100
_RENAME_NOREPLACE = 1
_NO_LINKS = (errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP)


def _renameat2() -> Callable[..., int] | None:
    with contextlib.suppress(OSError, AttributeError):
        func: Callable[..., int] = ctypes.CDLL(None, use_errno=True).renameat2
        return func
    return None


_RENAMEAT2 = _renameat2()


def rename_noreplace(src: Path, dst: Path) -> None:
    """Rename the folder ``src`` to ``dst`` in one step, failing if ``dst`` exists.

    Linux's ``renameat2(RENAME_NOREPLACE)`` does it atomically. Where it is
    missing (another OS, or a file system that refuses the flag), ``dst`` is
    created exclusively and ``src`` renamed onto that empty folder, which
    POSIX ``rename`` allows and which fails if anyone put a file in it.

    Raises
    ------
    FileExistsError
        If ``dst`` exists.
    """
    if _RENAMEAT2 is not None:
        flag = _RENAME_NOREPLACE
        code = _RENAMEAT2(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), flag)
        if code == 0:
            return
        err = ctypes.get_errno()
        if err not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
            raise (FileExistsError if err == errno.EEXIST else OSError)(
                err, os.strerror(err), str(dst)
            )
    dst.mkdir()  # FileExistsError if it is there
    try:
        src.rename(dst)
    except OSError:
        with contextlib.suppress(OSError):
            dst.rmdir()
        raise


def _remove_tree(path: Path, note: Callable[[str], None]) -> None:
    """Remove ``path`` (a folder geoai made); say which entry could not be removed, if any."""
    failed: list[str] = []

    def record(_func: object, name: str, exc_info: tuple[type, BaseException, object]) -> None:
        failed.append(f"{name}: {exc_info[1]}")

    shutil.rmtree(path, onerror=record)
    if failed:
        note(f"could not remove {failed[0]}; remove {path} by hand")


def _tree_size(path: Path) -> int:
    total = 0
    for root, _dirs, names in os.walk(path):
        for name in names:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size  # noqa: PTH118 - os.walk strings
    return total


def _rel_parents(rels: Iterable[str]) -> set[str]:
    return {p.as_posix() for rel in rels for p in PurePosixPath(rel).parents} - {"."}


def _replace(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    src.replace(dst)


def _keep_copy(src: Path, dst: Path) -> None:
    """Put a second name (a hard link; a copy where links are refused) on ``src`` at ``dst``."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        dst.unlink()
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError as exc:
        if exc.errno not in _NO_LINKS:
            raise
        shutil.copy2(src, dst, follow_symlinks=False)


def _prune(target: Path, folders: Iterable[str]) -> None:
    """Remove the listed sub-folders of ``target`` that are empty, deepest first."""
    for d in sorted(set(folders), key=lambda d: -d.count("/")):
        path = target / d
        if path.is_dir() and not path.is_symlink():
            with contextlib.suppress(OSError):
                path.rmdir()  # only an empty folder goes


def roll_back(target: Path, journal: Manifest, job_info: Mapping[str, Any]) -> list[str]:
    """Undo an interrupted move-in: put the previous outputs back from ``.geoai-previous``.

    Parameters
    ----------
    target : pathlib.Path
        The output folder.
    journal : Manifest
        Its manifest in state ``moving``: ``files`` the new entries,
        ``replacing`` the previous ones, ``folders_before`` the previous folders.
    job_info : mapping
        ``job`` and ``job_file`` for the restored manifest, where the previous
        one's bytes were not kept in the backup.

    Returns
    -------
    list of str
        Files kept because their bytes match neither version (the user's edits).
    """
    backup, old, new, kept = target / BACKUP, journal.replacing, journal.files, []
    for rel in sorted(new.keys() | old.keys()):
        path, saved = target / rel, backup / rel
        digest = file_digest(path)
        if rel in old:
            if digest == old[rel].sha256:
                continue  # not replaced yet; its second name in the backup goes below
            ours = digest is None or (rel in new and digest == new[rel].sha256)
            if ours and file_digest(saved) == old[rel].sha256:
                _replace(saved, path)
            elif digest is not None:
                kept.append(rel)
        elif digest == new[rel].sha256:
            path.unlink()
    if backup.is_dir():
        for path in sorted(backup.rglob("*"), key=lambda p: -len(p.parts)):
            rel = path.relative_to(backup).as_posix()
            if path.is_file() and rel in old and file_digest(path) == old[rel].sha256:
                path.unlink()
        _prune(backup, _rel_parents(old))
        _prune(target, [BACKUP])
    _prune(target, set(journal.folders) - set(journal.folders_before))
    if (backup / MANIFEST_NAME).is_file():
        (backup / MANIFEST_NAME).replace(target / MANIFEST_NAME)
    else:
        write_manifest(target, Manifest(dict(old), journal.folders_before), **job_info)
    _prune(target, [BACKUP])
    return kept


def _discard(target: Path, manifest: Manifest, job_info: Mapping[str, Any]) -> Path:
    """Remove the previous files a committed move-in left in the backup; rewrite the manifest.

    Folders geoai made that the new files no longer need are removed if empty.
    """
    backup = target / BACKUP
    for rel, entry in manifest.discard.items():
        path = backup / rel
        if file_digest(path) == entry.sha256:
            path.unlink()
    with contextlib.suppress(FileNotFoundError):
        (backup / MANIFEST_NAME).unlink()
    _prune(backup, _rel_parents(manifest.discard))
    _prune(target, [BACKUP])
    _prune(target, set(manifest.folders) - _rel_parents(manifest.files))
    folders = frozenset(d for d in manifest.folders if d != BACKUP and (target / d).is_dir())
    return write_manifest(target, Manifest(manifest.files, folders), **job_info)


class OutputFolder:
    """The output folder of one run, as a context manager around the run's work.

    Parameters
    ----------
    out : path-like
        The folder as the user gave it (``~`` expanded, links resolved).
    command : str
        ``"run"`` or ``"identify"`` (a folder holds one command's outputs).
    overwrite : bool
        Whether the files of a previous run may be replaced.
    inputs : mapping of str to Path
        What the job reads; a folder holding any of them is refused.
    planned : iterable of str
        Relative paths the run may write (a superset is fine).
    note : callable, optional
        Receives one line per thing worth telling (leftovers cleaned, a
        rollback); default: a log warning.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "out"
    >>> with OutputFolder(out, command="run", overwrite=False, inputs={}, planned=["a.txt"]) as f:
    ...     _ = (f.stage / "a.txt").write_text("first")
    ...     _ = f.commit({"job": {}, "job_file": None})
    >>> sorted(p.name for p in out.iterdir())
    ['.geoai-run.json', 'a.txt']
    """

    def __init__(
        self,
        out: str | os.PathLike[str],
        *,
        command: str,
        overwrite: bool,
        inputs: Mapping[str, Path],
        planned: Iterable[str],
        note: Callable[[str], None] | None = None,
    ) -> None:
        self.target = Path(out).expanduser()
        self.command, self.overwrite = command, overwrite
        self.inputs, self.planned = dict(inputs), set(planned)
        self.note = note or log.warning
        self.previous: Manifest | None = None
        self._stack = contextlib.ExitStack()
        self.real = self.stage = Path()  # set on entering: the resolved folder, the staging one

    def _check(self) -> Path:
        check_command(self.target, self.command)
        real, self.previous = check_target(
            self.target, overwrite=self.overwrite, inputs=self.inputs, planned=self.planned
        )
        return real

    def __enter__(self) -> Self:
        """Check, lock, recover, check again and create the staging folder."""
        real = self._check()
        try:
            real.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(
                f"cannot create {real.parent} for the outputs ({exc.strerror or exc}); "
                "choose a folder you can write."
            ) from None
        stack = self._stack.__enter__()
        try:
            stack.enter_context(folder_lock(real, str(self.target)))
            self._recover(real)
            self.real = self._check()
            self.stage = stage_folder(real)
            stack.callback(self._clean_stage)
            stack.enter_context(stoppable())
        except BaseException:
            stack.close()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Remove the staging folder (whatever happened) and release the lock."""
        self._stack.__exit__(kind, exc, tb)

    def _clean_stage(self) -> None:
        if os.path.lexists(self.stage):
            _remove_tree(self.stage, self.note)

    def _recover(self, real: Path) -> None:
        """Finish or undo what a killed run left; remove its staging folders. Say so."""
        for stage in real.parent.glob(f".{glob.escape(real.name)}.tmp-*"):
            if stage.is_dir() and not stage.is_symlink() and (stage / STAGE_MARK).is_file():
                size = _tree_size(stage)
                _remove_tree(stage, self.note)
                self.note(
                    f"removed {stage.name} ({format_bytes(size)}), left by an interrupted geoai run"
                )
        if not real.is_dir() or real.is_symlink():
            return
        for tmp in real.glob(f"{glob.escape(MANIFEST_NAME)}.*.tmp"):
            tmp.unlink()
        manifest = read_manifest(real)
        if manifest is None:
            return
        with contextlib.suppress(FileNotFoundError):
            (real / STAGE_MARK).unlink()  # a run killed right after its rename
        info = self._recorded_job(real)
        if manifest.state == "moving":
            with held():
                kept = roll_back(real, manifest, info)
            self.note(
                f"rolled back an interrupted geoai run in {self.target}: the previous outputs "
                "are restored"
                + (f" (kept {len(kept)} file(s) edited since, e.g. {kept[0]})" if kept else "")
            )
        elif manifest.discard:
            with held():
                _discard(real, manifest, info)

    @staticmethod
    def _recorded_job(real: Path) -> dict[str, Any]:
        import json

        with contextlib.suppress(OSError, ValueError, AttributeError):
            doc = json.loads((real / MANIFEST_NAME).read_text(encoding="utf-8"))
            return {"job": doc.get("job") or {}, "job_file": doc.get("job_file")}
        return {"job": {}, "job_file": None}

    def commit(self, job_info: Mapping[str, Any]) -> Path:
        """Swap the staged files in (see the module docstring); return the manifest's path.

        Raises
        ------
        InputError
            If a foreign file appeared at an output's path, or a folder
            appeared at ``out`` during the run and holds files geoai did not write.
        OutputError
            If the file system fails (full, permission taken away); the
            previous outputs are restored first.
        """
        files, folders = scan(self.stage)
        real = self.real
        if not os.path.lexists(real):
            write_manifest(self.stage, Manifest(files, folders), **job_info)
            with held():
                try:
                    rename_noreplace(self.stage, real)
                except FileExistsError:
                    pass  # someone made the folder during the run: judge it like any other
                else:
                    (real / STAGE_MARK).unlink()
                    return real / MANIFEST_NAME
            self.real = self._check()
            (self.stage / MANIFEST_NAME).unlink()
        try:
            return self._move_in(files, job_info)
        except OSError as exc:
            raise OutputError(
                f"could not move the outputs into {self.target} ({exc.strerror or exc}); the "
                "previous outputs are as they were: free space or fix the permissions, then "
                "run again."
            ) from None

    def _move_in(self, files: dict[str, Entry], job_info: Mapping[str, Any]) -> Path:
        """Journalled move of the staged files into the existing folder (module docstring)."""
        target, stage = self.real, self.stage
        check_outputs(target, str(self.target), read_manifest(target), files)
        old = self.previous or Manifest({})
        owned_old = {rel for rel in old.files if old.owns(rel, file_digest(target / rel))}
        for rel in sorted(old.listed() - owned_old):
            if os.path.lexists(target / rel):
                self.note(f"kept {self.target}/{rel}: changed since geoai wrote it")
        needed = _rel_parents(files)
        created = {d for d in needed if not (target / d).is_dir()}
        folders = frozenset(set(old.folders) | created)
        journal = Manifest(
            files,
            folders | {BACKUP},
            replacing={rel: old.files[rel] for rel in owned_old},
            state="moving",
            folders_before=old.folders,
        )
        backup = target / BACKUP
        with held():
            backup.mkdir(exist_ok=True)
            if (target / MANIFEST_NAME).is_file():  # its bytes come back on a rollback
                _keep_copy(target / MANIFEST_NAME, backup / MANIFEST_NAME)
            write_manifest(target, journal, **job_info)
            try:
                for rel in sorted(owned_old):
                    if rel in files:
                        _keep_copy(target / rel, backup / rel)
                    else:
                        _replace(target / rel, backup / rel)
                for rel in sorted(files):
                    _replace(stage / rel, target / rel)
            except OSError:
                roll_back(target, journal, job_info)
                raise
            done = Manifest(files, folders, discard={rel: old.files[rel] for rel in owned_old})
            write_manifest(target, done, **job_info)  # the commit point
            return _discard(target, done, job_info)
