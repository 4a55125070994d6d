"""Size before work: one memory budget for every allocation that grows with the input.

Functions whose peak memory is proportional to their input (dense ``n × n``
matrices, grids, top-k tables, permutation buffers) estimate that peak first
and call :func:`check_memory`, which raises :class:`geoai.errors.ResourceError`
with the estimate, the budget and the alternative (a matrix-free path,
``method="dask"``, a coarser grid) instead of letting NumPy, Numba or the
operating system fail half way through.

The budget is 50 % of the memory available when the check runs
(:func:`available_memory`), or what the environment variable
``GEOAI_MEMORY_BUDGET`` says: a size with a unit (``"8GiB"``, ``"500MB"``,
``"2 TB"``), a fraction of the available memory (``"0.8"``) or a percentage
(``"80%"``).
"""

from __future__ import annotations

import math
import os
import re

from geoai.errors import InputError, ResourceError

__all__ = [
    "DEFAULT_SHARE",
    "ENV_VAR",
    "available_memory",
    "budget_origin",
    "check_memory",
    "fits",
    "format_bytes",
    "memory_budget",
    "parse_budget",
]

#: Environment variable that overrides the budget.
ENV_VAR = "GEOAI_MEMORY_BUDGET"
#: Share of the available memory a single call may use by default.
DEFAULT_SHARE = 0.5

_UNITS = {
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_SIZE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([a-z%]*)\s*$", re.IGNORECASE)
_PREFIXES = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


def available_memory() -> int:
    """Return the memory available to new allocations now, in bytes.

    Returns
    -------
    int
        ``psutil.virtual_memory().available`` (RAM that can be given out
        without swapping), or free physical pages where psutil is missing.

    Examples
    --------
    >>> available_memory() > 0
    True
    """
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:  # pragma: no cover - psutil is a dependency; kept for odd installs
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))


def parse_budget(text: str, available: int) -> int:
    """Parse a ``GEOAI_MEMORY_BUDGET`` value into bytes.

    Parameters
    ----------
    text : str
        A size with a unit (B, kB, MB, GB, TB in powers of 1000; KiB, MiB,
        GiB, TiB in powers of 1024; case and a space between are free), a
        fraction of the available memory in (0, 1], or a percentage in (0, 100].
    available : int
        The available memory (bytes) that fractions refer to.

    Returns
    -------
    int
        The budget in bytes (>= 1).

    Raises
    ------
    InputError
        Anything else: no number, an unknown unit, zero, a fraction above 1,
        or a bare number above 1 (bytes need a unit).

    Examples
    --------
    >>> parse_budget("8GiB", 0), parse_budget("500 MB", 0), parse_budget("0.8", 1000)
    (8589934592, 500000000, 800)
    >>> parse_budget("25%", 1000)
    250
    """
    fix = f"set {ENV_VAR} to a size such as '8GiB' or '500MB', or a fraction such as '0.8'"
    match = _SIZE.match(text)
    if match is None:
        raise InputError(f"{ENV_VAR}={text!r} is not a memory size; {fix}.")
    value, unit = float(match.group(1)), match.group(2).lower()
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"{ENV_VAR}={text!r} must be > 0; {fix}.")
    if unit == "%":
        if value > 100:
            raise InputError(f"{ENV_VAR}={text!r}: a percentage must be at most 100%; {fix}.")
        return max(1, int(available * value / 100))
    if unit == "":
        if value > 1:
            raise InputError(
                f"{ENV_VAR}={text!r} has no unit: a bare number is a fraction of the available "
                f"memory in (0, 1]; {fix}."
            )
        return max(1, int(available * value))
    if unit not in _UNITS:
        raise InputError(f"{ENV_VAR}={text!r} has an unknown unit {match.group(2)!r}; {fix}.")
    return max(1, int(value * _UNITS[unit]))


def memory_budget() -> int:
    """Return the bytes one call may allocate: ``GEOAI_MEMORY_BUDGET`` or 50 % of available.

    Returns
    -------
    int
        The budget in bytes, evaluated now (available memory changes).

    Raises
    ------
    InputError
        ``GEOAI_MEMORY_BUDGET`` is set to something :func:`parse_budget` refuses.

    Examples
    --------
    >>> import os
    >>> os.environ["GEOAI_MEMORY_BUDGET"] = "1.5GiB"
    >>> memory_budget()
    1610612736
    >>> del os.environ["GEOAI_MEMORY_BUDGET"]
    >>> memory_budget() <= available_memory()
    True
    """
    text = os.environ.get(ENV_VAR, "").strip()
    if not text:
        return max(1, int(DEFAULT_SHARE * available_memory()))
    return parse_budget(text, available_memory())


def budget_origin() -> str:
    """Say where the budget comes from, for messages.

    Returns
    -------
    str
        ``"50 % of available memory; set GEOAI_MEMORY_BUDGET to change it"``,
        or ``"GEOAI_MEMORY_BUDGET='...'"`` when the variable is set.

    Examples
    --------
    >>> import os
    >>> os.environ["GEOAI_MEMORY_BUDGET"] = "8GiB"
    >>> budget_origin()
    "GEOAI_MEMORY_BUDGET='8GiB'"
    >>> del os.environ["GEOAI_MEMORY_BUDGET"]
    >>> budget_origin()
    '50 % of available memory; set GEOAI_MEMORY_BUDGET to change it'
    """
    text = os.environ.get(ENV_VAR, "").strip()
    if text:
        return f"{ENV_VAR}={text!r}"
    return f"{DEFAULT_SHARE * 100:g} % of available memory; set {ENV_VAR} to change it"


def format_bytes(n: float) -> str:
    """Format a byte count for people, in powers of 1024.

    Parameters
    ----------
    n : float
        Bytes (>= 0).

    Returns
    -------
    str
        Whole bytes below 1 KiB, else one decimal and the binary unit.

    Examples
    --------
    >>> format_bytes(512), format_bytes(1536), format_bytes(8 * 10**12)
    ('512 B', '1.5 KiB', '7.3 TiB')
    """
    value = float(n)
    if value < 1024:
        return f"{value:.0f} B"
    k = 0
    while value >= 1024 and k < len(_PREFIXES) - 1:
        value /= 1024
        k += 1
    return f"{value:.1f} {_PREFIXES[k]}"


def fits(need_bytes: float) -> bool:
    """Return whether ``need_bytes`` fits in :func:`memory_budget` (for automatic choices).

    Parameters
    ----------
    need_bytes : float
        Estimated peak memory of the in-memory path.

    Returns
    -------
    bool

    Examples
    --------
    >>> fits(1), fits(2**80)
    (True, False)
    """
    return need_bytes <= memory_budget()


def check_memory(need_bytes: float, what: str, alternative: str) -> None:
    """Refuse up front an allocation larger than the memory budget.

    Parameters
    ----------
    need_bytes : float
        Estimated peak memory of the work about to start (bytes), temporaries included.
    what : str
        What needs it, as the subject of a sentence (``"the 1000 x 1000 grid"``).
    alternative : str
        What to do instead (``"use method='dask'"``), the end of the message.

    Raises
    ------
    ResourceError
        ``need_bytes`` exceeds :func:`memory_budget`; the message gives both
        in binary units, where the budget comes from, and ``alternative``.
    InputError
        ``GEOAI_MEMORY_BUDGET`` holds a bad value.

    Examples
    --------
    >>> check_memory(1024, "a small array", "nothing to do")  # fits: returns None
    >>> try:
    ...     check_memory(3 * 2**60, "an absurd array", "ask for less")
    ... except MemoryError as exc:
    ...     print(str(exc).split(",")[0], "ask for less" in str(exc))
    an absurd array needs 3.0 EiB True
    """
    budget = memory_budget()
    if need_bytes <= budget:
        return
    raise ResourceError(
        f"{what} needs {format_bytes(need_bytes)}, budget {format_bytes(budget)} "
        f"({budget_origin()}); {alternative}",
        need_bytes=int(need_bytes),
        budget_bytes=budget,
    )
