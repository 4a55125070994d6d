"""The job file's boundary: reading it safely, checking its values, and the --safe mode.

A job file is read only if it is a regular file of at most
:data:`MAX_JOB_BYTES`, in UTF-8, and valid TOML; a nesting too deep or an
integer too long for Python to read is refused like a syntax error. No
error quotes a line of the file.

Safe mode (:func:`geoai.pipeline.job.load_job` with ``safe=True``, automatic
for a job file owned by another user) treats the job as untrusted. It adds
refusals, and never changes what a path means (a relative path is still
relative to where geoai runs):

* ``data.metros`` must resolve, symlinks followed, to a regular file inside
  the job file's folder (the current folder for a dict job), with one of the
  suffixes of :data:`SAFE_SUFFIXES`, and must not be XML (an OGR VRT or GML
  file can point GDAL at other files or URLs, whatever its name);
* a GDAL virtual path (``/vsicurl/``, ``/vsizip/``, ...), a URL or a GDAL
  connection string (``http:``, ``s3:``, ``PG:``, ...) and a ``.vrt`` file
  are refused;
* ``[dask] scheduler`` must be empty: a scheduler runs code in this process
  (it sends pickled results) and sees the job's data. An address the caller
  gives (``geoai run --scheduler``, ``geoai.run(scheduler=)``) is the
  caller's choice and stays allowed;
* messages show strings from the job only by their length, so a hostile
  job cannot put words (a "fix" to run) in an error.
"""

from __future__ import annotations

import contextlib
import contextvars
import difflib
import math
import os
import re
import stat
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geoai.errors import InputError
from geoai.scenario._checks import shown as scenario_shown

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "MAX_JOB_BYTES",
    "SAFE_SUFFIXES",
    "check_keys",
    "choice",
    "confine",
    "file_kind",
    "is_foreign",
    "number",
    "read_job_file",
    "safe_base",
    "safe_mode",
    "shown",
    "suggest",
    "typed",
    "whole",
]

#: Largest job file read (bytes): the example job is about 2 KiB.
MAX_JOB_BYTES = 1 << 20
#: The data files safe mode reads (each opened by a driver that follows no references).
SAFE_SUFFIXES = (".csv", ".parquet", ".geoparquet", ".gpkg", ".geojson", ".json", ".fgb", ".shp")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]+:")
#: The folder data files must lie in while a job is read in safe mode; None when trusted.
_SAFE: contextvars.ContextVar[Path | None] = contextvars.ContextVar("geoai_job_safe", default=None)


@contextlib.contextmanager
def safe_mode(base: Path | None) -> Iterator[None]:
    """Read a job in safe mode, confined to ``base``, while the block runs (None: trusted).

    Meanwhile :func:`shown` shows strings by their length only, and :func:`safe_base`
    returns ``base``.
    """
    token = _SAFE.set(base)
    try:
        yield
    finally:
        _SAFE.reset(token)


def safe_base() -> Path | None:
    """Return the folder of the :func:`safe_mode` in force, or None when the job is trusted."""
    return _SAFE.get()


def shown(value: object) -> str:
    """Render a job value for a message: short, and harmless.

    A huge integer is shown by its number of digits (its repr would fail past
    4,300 digits), a long repr is cut at 60 characters, and in safe mode a
    string is shown only by its length.

    Examples
    --------
    >>> shown(10**5000), shown("abc"), shown([1, 2])
    ('an integer of about 5001 digits', "'abc'", '[1, 2]')
    """
    if isinstance(value, str) and _SAFE.get() is not None:
        return f"a string of {len(value)} characters"
    return scenario_shown(value)


def _as_given(text: str) -> str:
    """Show a path the caller gave (not the job's text): its repr, cut at 80 characters."""
    shown_text = repr(text)
    return shown_text if len(shown_text) <= 80 else shown_text[:77] + "..."


def suggest(value: object, allowed: tuple[str, ...]) -> str:
    """`` Did you mean 'x'?`` for a string close to one of ``allowed``, else ``''``."""
    if not isinstance(value, str):
        return ""
    close = difflib.get_close_matches(value.lower(), allowed, n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""


def check_keys(
    table: dict[Any, Any],
    allowed: tuple[str, ...],
    where: str,
    more: str = "geoai.scenario.ScenarioParams().describe() lists them",
) -> None:
    """Refuse keys of ``table`` not in ``allowed``, with a did-you-mean for the first.

    More than 12 allowed names are not listed: ``more`` says where to find them.
    """
    unknown = [k for k in table if k not in allowed]
    if unknown:
        names = sorted(shown(k) if not isinstance(k, str) else k[:40] for k in unknown)
        listed = ", ".join(allowed) if len(allowed) <= 12 else f"{len(allowed)} names ({more})"
        raise InputError(
            f"unknown key(s) {names} in [{where}]; allowed: {listed}."
            + suggest(unknown[0], allowed)
        )


_KIND_NAMES: dict[type, str] = {
    bool: "true or false",
    str: "a string",
    list: "a list",
    dict: "a table",
}


def typed(value: object, kind: type, key: str) -> Any:  # noqa: ANN401 - the caller's kind
    """Return ``value`` if it is a ``kind`` (a tuple counts as a list); else refuse."""
    ok = isinstance(value, list | tuple) if kind is list else isinstance(value, kind)
    if not ok or (isinstance(value, bool) and kind is not bool):
        wanted = _KIND_NAMES.get(kind, kind.__name__)
        raise InputError(f"{key} has the wrong type: expected {wanted}, got {shown(value)}.")
    return list(value) if kind is list else value  # type: ignore[call-overload]  # a list


def number(
    value: object, key: str, *, low: float = -math.inf, high: float = math.inf, above: bool = False
) -> float:
    """Return a finite real ``value`` in ``[low, high]`` (``(low, high]`` if ``above``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{key} has the wrong type: expected a number, got {shown(value)}.")
    if isinstance(value, int) and abs(value) > 10**300:
        raise InputError(f"{key} must be a finite number; got {shown(value)}.")
    out = float(value)
    if not math.isfinite(out):
        raise InputError(f"{key} must be a finite number; got {shown(value)}.")
    if out < low or out > high or (above and out <= low):
        lo = f"> {low:g}" if above else f">= {low:g}"
        span = lo if high == math.inf else f"{lo} and <= {high:g}"
        raise InputError(f"{key} must be {span}; got {shown(value)}.")
    return out


def whole(value: object, key: str, *, low: int, high: int, example: int) -> int:
    """Return ``value`` as an int in ``[low, high]``: an int or a whole float, not a bool."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(
            f"{key} must be a whole number from {low} to {high}; got {shown(value)}. "
            f"Write e.g. {key.rsplit('.', 1)[-1]} = {example}."
        )
    if not low <= value <= high:
        raise InputError(
            f"{key} must be a whole number from {low} to {high}; got {shown(value)}. "
            f"Write e.g. {key.rsplit('.', 1)[-1]} = {example}."
        )
    return value


def choice(value: object, allowed: tuple[str, ...], key: str) -> str:
    """Return ``value`` if it is one of the strings ``allowed``; else refuse with a did-you-mean."""
    if not isinstance(value, str) or value not in allowed:
        raise InputError(
            f"{key} = {shown(value)}: choose one of {', '.join(allowed)}." + suggest(value, allowed)
        )
    return value


def is_foreign(path: Path) -> bool:
    """Whether ``path`` is a file owned by another user than the one running geoai."""
    getuid = getattr(os, "getuid", None)
    try:
        return getuid is not None and Path(path).stat().st_uid != getuid()
    except (OSError, ValueError):
        return False


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    return "not a regular file"


def read_job_file(path: Path, missing_hint: str) -> dict[str, Any]:
    """Parse a job file: a regular UTF-8 TOML file of at most :data:`MAX_JOB_BYTES`.

    Raises
    ------
    InputError
        Missing, not a regular file, too large, not UTF-8, not TOML, nested too
        deeply or holding an integer too long to read; no message quotes the file.
    """
    name = str(path)
    try:
        st = Path(path).stat()
    except (OSError, ValueError):
        raise InputError(f"no TOML file at {_as_given(name)}; {missing_hint}.") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(
            f"the job file {_as_given(name)} is {_kind(st.st_mode)}; give a .toml file."
        )
    if st.st_size > MAX_JOB_BYTES:
        raise InputError(
            f"the job file {_as_given(name)} has {st.st_size:,} bytes, more than a job file's "
            f"limit of {MAX_JOB_BYTES:,}; give the job itself (a few KiB of TOML), not data."
        )
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)  # a pipe swapped in cannot block
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise InputError(f"cannot read the job file {_as_given(name)}: {exc.strerror}.") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise InputError(f"the job file {_as_given(name)} is not a regular file.")
        raw = handle.read(MAX_JOB_BYTES + 1)
    if len(raw) > MAX_JOB_BYTES:
        raise InputError(f"the job file {_as_given(name)} grew past {MAX_JOB_BYTES:,} bytes.")
    return parse_job_text(raw, path.name)


def parse_job_text(raw: bytes, name: str) -> dict[str, Any]:
    """Parse the bytes of a job file (see :func:`read_job_file`)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{name} is not UTF-8 text (an invalid byte at line {line}, byte offset "
            f"{exc.start}); save the job file as UTF-8."
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{name} is not valid TOML: {exc}.") from None
    except RecursionError:
        raise InputError(
            f"{name} is not a job: its arrays or tables nest too deeply to read."
        ) from None
    except ValueError:  # int() past sys.get_int_max_str_digits()
        raise InputError(
            f"{name} holds a number too long to read (more than 4,300 digits); "
            "no job value needs one."
        ) from None


def file_kind(text: str, key: str) -> str:
    """Return ``text`` if it names an existing regular file; else refuse (nothing is opened)."""
    if not text or "\x00" in text or len(text) > 4096:
        raise InputError(f'{key} = {shown(text)} is not a path; give a file or "embedded".')
    try:
        st = Path(text).stat()
    except (OSError, ValueError):
        raise InputError(
            f"{key} = {shown(text)}: no such file; give a .gpkg, .parquet or .csv "
            'path (relative to where geoai runs) or "embedded".'
        ) from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(
            f"{key} = {shown(text)} is {_kind(st.st_mode)}; give the metros file itself "
            '(.gpkg, .parquet or .csv) or "embedded".'
        )
    return text


def confine(text: str, base: Path, key: str) -> str:
    """Safe mode: return the resolved path of the data file ``text``, or refuse it.

    Parameters
    ----------
    text : str
        The path as the job gives it (relative to the current folder).
    base : pathlib.Path
        The folder it must lie in (the job file's).
    key : str
        The job key, for the message.

    Returns
    -------
    str
        The absolute path, symlinks resolved: the file the run will read.
    """
    fix = "copy the file into the job's folder, or run with --trusted if you trust this job"
    low = text.lower()
    if _URL.match(text):  # two letters or more: not a drive letter
        raise InputError(
            f"{key}: URLs and GDAL connection strings are refused in safe mode; {fix}."
        )
    if low.startswith(("vsi", "/vsi", "\\vsi")) or "/vsi" in low:
        raise InputError(f"{key}: GDAL virtual paths (/vsi...) are refused in safe mode; {fix}.")
    suffix = Path(text).suffix.lower()
    if suffix not in SAFE_SUFFIXES:
        told = suffix if re.fullmatch(r"\.[a-z0-9]{1,10}", suffix) else "another suffix"
        raise InputError(
            f"{key}: safe mode reads only {', '.join(SAFE_SUFFIXES)} files (a .vrt or other "
            f"reference file can point GDAL anywhere); got {told}; {fix}."
        )
    file_kind(text, key)
    real, home = Path(text).resolve(), base.resolve()
    if not real.is_relative_to(home):
        raise InputError(
            f"{key} = {str(real)!r} lies outside the job's folder {str(home)!r}, which safe mode "
            f"does not read; {fix}."
        )
    with real.open("rb") as handle:  # a regular file (file_kind), never a device or a pipe
        head = handle.read(512).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        raise InputError(
            f"{key}: the file is XML (an OGR VRT or GML file can make GDAL read other files); "
            f"safe mode refuses it; {fix}."
        )
    return str(real)
