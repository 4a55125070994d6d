"""The run manifest ``.geoai-run.json``: which files of an output folder geoai wrote.

Every ``geoai run`` leaves a manifest in its output folder, written last and
atomically: the geoai version, the job, the UTC time, every file written
(relative POSIX path, size in bytes, SHA-256) and the folders geoai created.
A later run with ``--overwrite`` may replace or remove only the files listed
there whose bytes still match; a file geoai did not write, or one the user
edited since, is never deleted, moved, hidden or replaced.

:func:`check_target` makes every decision before any computation and raises
:class:`~geoai.errors.InputError` with a one-line message naming the problem
and the fix: refused locations (the filesystem root, the current folder and
its ancestors, the home folder and its ancestors, a folder holding one of the
job's input files), a non-empty folder without a manifest, a user file with
the name of an output, and an output the user changed since it was written.
Symlinks are resolved first, so a link is judged by the folder it points to.
:class:`geoai.io._outputs.OutputFolder` then locks the folder, checks it again
and swaps a finished run's files in.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from geoai.errors import InputError
from geoai.io._files import STAGE_MARK, file_digest, file_mode

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = [
    "MANIFEST_NAME",
    "Entry",
    "Manifest",
    "check_command",
    "check_outputs",
    "check_target",
    "count_files",
    "file_digest",
    "read_manifest",
    "scan",
    "write_manifest",
]

log = logging.getLogger(__name__)

MANIFEST_NAME = ".geoai-run.json"
_FORMAT = "geoai-run/1"
_COUNT_LIMIT = 100_000  # stop counting a user's folder here (the message says "at least")


@dataclass(frozen=True)
class Entry:
    """One file geoai wrote: path relative to the output folder, size (bytes), SHA-256 (hex)."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """What a run wrote into its output folder.

    Attributes
    ----------
    files : dict of str to Entry
        Every file written, keyed by relative POSIX path.
    folders : frozenset of str
        Sub-folders (relative POSIX paths) that geoai created.
    replacing : dict of str to Entry
        Only while a run moves its files in: the previous run's entries, so a
        run killed half-way still owns both the old and the new bytes.
    state : str
        ``"moving"`` while files move in (the manifest is then the journal
        :func:`geoai.io._outputs.roll_back` undoes); ``""`` otherwise.
    folders_before : frozenset of str
        With ``state="moving"``: the previous run's folders.
    discard : dict of str to Entry
        After a move-in commits: previous files still in ``.geoai-previous``.
    """

    files: dict[str, Entry]
    folders: frozenset[str] = frozenset()
    replacing: dict[str, Entry] = field(default_factory=dict)
    state: str = ""
    folders_before: frozenset[str] = frozenset()
    discard: dict[str, Entry] = field(default_factory=dict)

    def listed(self) -> set[str]:
        """Return every path this manifest owns (files and those being replaced)."""
        return set(self.files) | set(self.replacing)

    def owns(self, rel: str, digest: str | None) -> bool:
        """Whether a file at ``rel`` with SHA-256 ``digest`` is bytes geoai wrote."""
        return bool(digest) and any(
            e.sha256 == digest for e in (self.files.get(rel), self.replacing.get(rel)) if e
        )


def scan(folder: Path) -> tuple[dict[str, Entry], frozenset[str]]:
    """Return the entries of every file under ``folder`` and its sub-folders (relative)."""
    files: dict[str, Entry] = {}
    folders: set[str] = set()
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_dir() and not path.is_symlink():
            folders.add(rel)
        elif rel not in (MANIFEST_NAME, STAGE_MARK):
            files[rel] = Entry(rel, path.lstat().st_size, file_digest(path) or "")
    return files, frozenset(folders)


def _safe_rel(value: object, where: Path) -> str:
    """Return ``value`` if it is a plain relative POSIX path inside the folder, else refuse."""
    p = PurePosixPath(value) if isinstance(value, str) else None
    if p is None or p.is_absolute() or not p.parts or ".." in p.parts or "\\" in str(value):
        raise InputError(
            f"{where} lists {value!r}, not a path inside the folder; it was not written by "
            "geoai: move it away or choose an empty or new folder."
        )
    return p.as_posix()


def read_manifest(folder: Path) -> Manifest | None:
    """Read ``folder/.geoai-run.json``; ``None`` when there is none.

    Raises
    ------
    InputError
        If the manifest is unreadable, of another format or lists a path
        outside the folder (it is then not trusted with any file).
    """
    path = folder / MANIFEST_NAME
    if not os.path.lexists(path):
        return None
    try:
        return _parse_manifest(path)
    except InputError:
        raise
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise InputError(
            f"{path} is not a readable geoai manifest ({exc}); move it away or choose an "
            "empty or new folder."
        ) from None


def _parse_manifest(path: Path) -> Manifest:
    """Parse a manifest file; OSError, ValueError, TypeError or KeyError if it is not one."""
    if path.is_symlink():
        raise ValueError("it is a link")
    doc = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or doc.get("format") != _FORMAT:
        raise ValueError(f"format is not {_FORMAT}")

    def entries(key: str) -> dict[str, Entry]:
        out = {}
        for e in doc.get(key, []):
            rel = _safe_rel(e["path"], path)
            out[rel] = Entry(rel, int(e["size"]), str(e["sha256"]))
        return out

    def folders(key: str) -> frozenset[str]:
        return frozenset(_safe_rel(d, path) for d in doc.get(key, []))

    state = doc.get("state", "")
    if state not in ("", "moving"):
        raise ValueError(f"unknown state {state!r}")
    return Manifest(
        files=entries("files"),
        folders=folders("folders"),
        replacing=entries("replacing"),
        state=state,
        folders_before=folders("folders_before"),
        discard=entries("discard"),
    )


def check_command(folder: Path, command: str) -> None:
    """Refuse a folder whose manifest another geoai command wrote.

    ``geoai run`` and ``geoai identify`` write different files into their
    folders; with ``--overwrite`` either would remove the other's outputs as
    "no longer written". A manifest without a ``command`` is ``geoai run``'s.
    A missing or unreadable manifest is left to :func:`check_target`.
    """
    path = Path(folder).expanduser().resolve() / MANIFEST_NAME
    try:
        job = json.loads(path.read_text(encoding="utf-8")).get("job")
    except (OSError, ValueError, AttributeError):
        return
    theirs = job.get("command", "run") if isinstance(job, dict) else "run"
    if theirs != command:
        raise InputError(
            f"{folder} holds the outputs of geoai {theirs}; choose an empty or new folder, "
            f"or the folder of an earlier geoai {command}."
        )


def write_manifest(
    folder: Path,
    manifest: Manifest,
    *,
    job: Mapping[str, Any],
    job_file: str | None,
) -> Path:
    """Write ``folder/.geoai-run.json`` atomically (temporary sibling, then ``os.replace``).

    Parameters
    ----------
    folder : Path
        The output folder.
    manifest : Manifest
        Files and folders to record.
    job : mapping
        The resolved job settings (``Job.as_dict()``).
    job_file : str or None
        The job file the settings came from, if any.

    Returns
    -------
    Path
        The manifest's path.
    """
    from geoai._version import __version__

    def rows(entries: dict[str, Entry]) -> list[dict[str, Any]]:
        return [
            {"path": e.path, "size": e.size, "sha256": e.sha256}
            for e in sorted(entries.values(), key=lambda e: e.path)
        ]

    doc: dict[str, Any] = {
        "format": _FORMAT,
        "geoai_version": __version__,
        "written_utc": datetime.now(UTC).isoformat(timespec="microseconds"),
        "job_file": job_file,
        "job": dict(job),
        "files": rows(manifest.files),
        "folders": sorted(manifest.folders),
    }
    if manifest.replacing:
        doc["replacing"] = rows(manifest.replacing)
    if manifest.state:
        doc["state"] = manifest.state
        doc["folders_before"] = sorted(manifest.folders_before)
    if manifest.discard:
        doc["discard"] = rows(manifest.discard)
    text = json.dumps(doc, indent=1, default=lambda o: list(o) if isinstance(o, tuple) else str(o))
    final = folder / MANIFEST_NAME
    fd, name = tempfile.mkstemp(prefix=f"{MANIFEST_NAME}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text + "\n")
            f.flush()
            os.fsync(f.fileno())
        Path(name).chmod(file_mode())
        Path(name).replace(final)
        _sync_folder(folder)
    finally:
        with contextlib.suppress(FileNotFoundError):
            Path(name).unlink()
    return final


def _sync_folder(folder: Path) -> None:
    """Flush a folder's entries to disk (the rename of a manifest survives a power cut)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def count_files(folder: Path, limit: int = _COUNT_LIMIT) -> int:
    """Count the non-folder entries under ``folder`` (links not followed), up to ``limit``."""
    n, todo = 0, [folder]
    while todo and n < limit:
        try:
            with os.scandir(todo.pop()) as it:
                for e in it:
                    if e.is_dir(follow_symlinks=False):
                        todo.append(Path(e.path))
                    else:
                        n += 1
        except OSError:  # an unreadable folder counts as holding a file
            n += 1
    return min(n, limit)


def _check_location(real: Path, shown: str, inputs: Mapping[str, Path]) -> None:
    """Refuse output folders whose files are not geoai's to manage."""
    here = Path.cwd().resolve()
    try:
        home: Path | None = Path.home().resolve()
    except RuntimeError:  # no HOME and no passwd entry
        home = None
    fix = "choose a new or empty folder for the outputs, such as ./out"
    if real == Path(real.anchor):
        raise InputError(f"output folder {shown} is the filesystem root; {fix}.")
    if real == here:
        raise InputError(f"output folder {shown} is the current folder {here}; {fix}.")
    if here.is_relative_to(real):
        raise InputError(f"output folder {shown} holds the current folder {here}; {fix}.")
    if home is not None and real == home:
        raise InputError(f"output folder {shown} is the home folder {home}; {fix}.")
    if home is not None and home.is_relative_to(real):
        raise InputError(f"output folder {shown} holds the home folder {home}; {fix}.")
    for what, path in inputs.items():
        src = path.expanduser().resolve()
        if src.is_relative_to(real):
            raise InputError(
                f"output folder {shown} holds the {what} {src}; choose a new or empty folder "
                "that holds none of the job's inputs."
            )


def check_outputs(real: Path, shown: str, prev: Manifest | None, planned: Iterable[str]) -> None:
    """Refuse when an output would replace a file geoai did not write or the user changed."""
    foreign: list[str] = []
    changed: list[str] = []
    for rel in sorted(planned):
        parts = PurePosixPath(rel).parts
        for k in range(1, len(parts)):
            sub = real.joinpath(*parts[:k])
            if os.path.lexists(sub) and (sub.is_symlink() or not sub.is_dir()):
                raise InputError(
                    f"{shown}/{PurePosixPath(*parts[:k])} is a link or a file where geoai "
                    "writes a folder; move it away or choose an empty or new folder."
                )
        digest = file_digest(real / rel)
        if digest is None:
            continue
        if prev is None or rel not in prev.listed():
            foreign.append(rel)
        elif not prev.owns(rel, digest):
            changed.append(rel)

    def more(names: list[str]) -> str:
        return f" (and {len(names) - 1} more)" if len(names) > 1 else ""

    if foreign:
        raise InputError(
            f"{shown}/{foreign[0]}{more(foreign)} exists but geoai did not write it; move it "
            "away or choose an empty or new folder."
        )
    if changed:
        raise InputError(
            f"{shown}/{changed[0]}{more(changed)} was changed since geoai wrote it; move or "
            "rename it to keep your edits (or delete it to let geoai rewrite it), then run again."
        )


def check_target(
    out: Path,
    *,
    overwrite: bool,
    inputs: Mapping[str, Path],
    planned: Iterable[str],
) -> tuple[Path, Manifest | None]:
    """Decide, before any work, whether a run may write into ``out``.

    Parameters
    ----------
    out : Path
        The output folder as given (``~`` is expanded; symlinks are resolved).
    overwrite : bool
        Whether the files of a previous run may be replaced.
    inputs : mapping of str to Path
        What the job reads (``"job file"``, ``"input data file (data.metros)"``):
        a folder holding any of them is refused.
    planned : iterable of str
        Relative POSIX paths the run may write (a superset is fine).

    Returns
    -------
    real : Path
        The resolved output folder (it may not exist yet).
    previous : Manifest or None
        The previous run's manifest; ``None`` for a new or empty folder.

    Raises
    ------
    InputError
        With a one-line message naming the problem and the fix.
    """
    real = out.expanduser().resolve()
    lexical = Path(os.path.abspath(out))  # noqa: PTH100 - lexical: resolve() follows links
    shown = str(out) if lexical == real else f"{out} (-> {real})"
    _check_location(real, shown, inputs)
    if not real.exists():
        return real, None
    if not real.is_dir():
        raise InputError(f"{shown} is a file; give a folder for the outputs.")
    prev = read_manifest(real)
    if prev is None:
        n = count_files(real)
        if n:
            at_least = "at least " if n >= _COUNT_LIMIT else ""
            files = "file" if n == 1 else "files"
            raise InputError(
                f"{shown} holds {at_least}{n} {files} geoai did not write; choose an empty or "
                "new folder."
            )
    elif not overwrite:
        raise InputError(
            f"{shown} exists (outputs of an earlier run); pass overwrite=True (--overwrite) to "
            "replace the files geoai wrote there."
        )
    check_outputs(real, shown, prev, planned)
    return real, prev
