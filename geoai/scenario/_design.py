"""The run design of a sensitivity screening: which parameters, which values.

Private helpers of :mod:`geoai.scenario.sensitivity`: a parameter's ±delta
values (years as durations from the start), moved back into the parameter's
validation range where needed, and the checks of the design's arguments.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from geoai.errors import InputError
from geoai.scenario._checks import check_years, shown

if TYPE_CHECKING:
    import pandas as pd

    from geoai.scenario.params import ScenarioParams

__all__ = [
    "admissible",
    "check_design",
    "check_overrides",
    "choose",
    "is_year",
    "parameter_names",
    "requested",
]


def _valid(base: ScenarioParams, values: dict[str, float]) -> bool:
    try:
        base.replace(**values)
    except InputError:
        return False
    return True


def _tidy(x: float) -> float:
    """Round away bisection dust (0.999999999999 -> 1.0)."""
    return float(f"{x:.12g}")


def admissible(base: ScenarioParams, targets: dict[str, float]) -> dict[str, float]:
    """Return the furthest valid point on the way from ``base`` toward ``targets``.

    Validation bounds (shares in [0, 1], rates >= 0, a pool above its start)
    make the valid set an interval along the segment, so bisection on the
    fraction of the way finds its end.
    """
    if _valid(base, targets):
        return dict(targets)
    start = {k: float(getattr(base, k)) for k in targets}

    def point(t: float) -> dict[str, float]:
        return {k: start[k] + t * (targets[k] - start[k]) for k in targets}

    lo, hi = 0.0, 1.0
    for _ in range(64):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if _valid(base, point(mid)) else (lo, mid)
    best = point(lo)
    tidy = {k: _tidy(x) for k, x in best.items()}
    return tidy if _valid(base, tidy) else best


def is_year(units: pd.Series, name: str) -> bool:
    """Whether a parameter is a calendar year (its unit is ``"year"``)."""
    return str(units.get(name, "")).strip().lower() == "year"


def requested(value: float, factor: float, start: int, *, year: bool) -> float:
    """Return ``factor`` times a value, or times the time from ``start`` for a year."""
    return start + factor * (value - start) if year else factor * value


def choose(
    base: ScenarioParams, parameters: str | Iterable[str] | None, units: pd.Series, start: int
) -> tuple[list[str], dict[str, str]]:
    """Return the parameters to screen and the skipped ones with reasons."""
    values = base.describe()["value"]
    skipped: dict[str, str] = {}
    if parameters is None:
        names = [str(p) for p in values.index]
    else:
        names = parameter_names(parameters, list(values.index))
        if not names:
            raise InputError("parameters is empty; give at least one name or None for all.")
    chosen = []
    for name in dict.fromkeys(names):
        x = float(values[name])
        span = x - start if is_year(units, name) else x
        if span == 0:
            what = f"the start year {start}" if is_year(units, name) else "0"
            skipped[name] = f"value {what}: ±delta of it changes nothing"
        else:
            chosen.append(name)
    return chosen, skipped


def parameter_names(parameters: object, known: list[str]) -> list[str]:
    """Return ``parameters`` (a name or an iterable of names) as a list of known names.

    Raises an InputError for anything else, with a did-you-mean for a misspelt name.
    """
    if isinstance(parameters, str):
        names = [parameters]
    elif isinstance(parameters, Iterable) and not isinstance(parameters, bytes | dict):
        names = list(parameters)
    else:
        raise InputError(
            f"parameters must be a parameter name or a list of names; got {shown(parameters)}."
        )
    for name in names:
        if not isinstance(name, str):
            raise InputError(f"parameters must be names (str); got {shown(name)}.")
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise InputError(
                f"unknown parameter {name!r}; see ScenarioParams.describe() for the names.{hint}"
            )
    return list(dict.fromkeys(names))


def check_overrides(overrides: object) -> dict[str, float]:
    """Return ``overrides`` (None or a dict of parameter name to value) as a new dict."""
    if overrides is None:
        return {}
    if not isinstance(overrides, dict) or not all(isinstance(k, str) for k in overrides):
        raise InputError(
            f"overrides must be a dict {{parameter name: value}} (or None); got {shown(overrides)}."
        )
    return dict(overrides)


def check_design(delta: object, start: object, end: object) -> tuple[float, int, int]:
    """Check ``delta`` (a relative step in (0, 1)) and the years; return them as numbers."""
    d = math.nan
    if isinstance(delta, numbers.Real) and not isinstance(delta, bool | np.bool_):
        try:
            d = float(delta)
        except OverflowError:  # an int of hundreds of digits
            d = math.inf
    if not 0.0 < d < 1.0:
        raise InputError(f"delta must be a number in (0, 1) (0.2 = ±20 %); got {shown(delta)}.")
    s, e = check_years(start, end)
    return d, s, e
