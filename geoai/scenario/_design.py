"""The run design of a sensitivity screening: which parameters, which values.

Private helpers of :mod:`geoai.scenario.sensitivity`: a parameter's ±delta
values (years as durations from the start), moved back into the parameter's
validation range where needed, and the checks of the design's arguments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from geoai.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Iterable

    import pandas as pd

    from geoai.scenario.params import ScenarioParams

__all__ = ["admissible", "check_design", "choose", "is_year", "requested"]


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
        names = [parameters] if isinstance(parameters, str) else [str(p) for p in parameters]
        unknown = sorted(set(names) - set(values.index))
        if unknown:
            raise InputError(
                f"unknown parameter(s) {unknown}; see ScenarioParams.describe() for the names."
            )
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


def check_design(delta: float, start: int, end: int) -> float:
    """Check ``delta`` (a relative step in (0, 1)) and the years; return ``delta`` as a float."""
    d = float(delta)
    if not 0.0 < d < 1.0:
        raise InputError(f"delta must lie in (0, 1) (0.2 = ±20 %); got {delta!r}.")
    if end < start:
        raise InputError(f"end ({end}) must not be before start ({start}).")
    return d
