"""Argument checks of the scenario's public functions (years, seeds, flags, presets).

Each check raises an :class:`~geoai.errors.InputError` that names the
argument, the allowed range and the fix, before any simulation starts: a
run of 200,000 years or a seed numpy cannot take is refused up front rather
than overflowing into NaN several steps later.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import TYPE_CHECKING, TypeVar, cast

import numpy as np
import pandas as pd

from geoai import _validate as v
from geoai.datasets._wup import FIRST_YEAR, LAST_YEAR
from geoai.errors import InputError

if TYPE_CHECKING:
    from geoai._typing import FloatArray
    from geoai.scenario.params import ScenarioParams

__all__ = [
    "FIRST_START",
    "LAST_END",
    "LAST_START",
    "MAX_SEED",
    "check_countries",
    "check_flag",
    "check_preset",
    "check_record",
    "check_seed",
    "check_simulations",
    "check_years",
    "diverged",
    "shown",
]

#: The start year is the observed world: a year of the UN WUP 2018 series.
FIRST_START, LAST_START = FIRST_YEAR, LAST_YEAR
#: The last year a run may reach: the UN series ends in 2035 and every later year is
#: extrapolated (growth rates halving), so a horizon past 2200 only compounds assumptions.
LAST_END = 2200
#: Largest seed accepted: numpy's generators take any non-negative int, but one of 64 bits
#: is the documented, portable range (``seed + i`` of a sweep stays well inside it).
MAX_SEED = 2**63 - 1


def _whole(value: object) -> int | None:
    """``value`` as an int when it is a real whole number (not a bool), else None."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    number = float(value)
    return int(number) if math.isfinite(number) and number.is_integer() else None


def shown(value: object) -> str:
    """Return a short repr for a message, never raising (a 5,000-digit int is not echoed).

    Examples
    --------
    >>> shown(10**5000), shown([10**5000]), shown("x" * 100)[-5:]
    ('an integer of about 5001 digits', 'a list holding a number too long to show', 'xx...')
    """
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**30:
        return f"an integer of about {int(value.bit_length() * math.log10(2)) + 1} digits"
    try:
        text = repr(value)
    except ValueError:  # a container holding a huge int
        return f"a {type(value).__name__} holding a number too long to show"
    return text if len(text) <= 60 else text[:57] + "..."


def check_years(start: object, end: object) -> tuple[int, int]:
    """Return ``(start, end)`` as ints if ``start`` is in 1950–2035 and ``start <= end <= 2200``.

    Parameters
    ----------
    start, end : object
        The first year (the observed world, a year of the UN WUP 2018 series)
        and the last year simulated (inclusive), as given.

    Returns
    -------
    tuple of int

    Examples
    --------
    >>> check_years(2025, 2030)
    (2025, 2030)
    >>> try:
    ...     check_years(2025, 2025 + 200_000)
    ... except InputError as exc:
    ...     print(str(exc).split(";")[0])
    end must be an integer year from start (2025) to 2200
    """
    s = _whole(start)
    if s is None or not FIRST_START <= s <= LAST_START:
        raise InputError(
            f"start must be an integer year from {FIRST_START} to {LAST_START} (the observed "
            f"world: a year of the UN WUP 2018 series); got start={shown(start)}."
        )
    e = _whole(end)
    if e is not None and e < s:
        raise InputError(
            f"end ({e}) must not be before start ({s}); pass an end year from {s} to {LAST_END}."
        )
    if e is None or not s <= e <= LAST_END:
        raise InputError(
            f"end must be an integer year from start ({s}) to {LAST_END}; got "
            f"end={shown(end)}. Pass e.g. end=2050 (years after 2035 are extrapolated)."
        )
    return s, e


def check_seed(seed: object, name: str = "seed") -> int:
    """Return ``seed`` as an int in ``[0, 2**63 - 1]``, else raise InputError naming it.

    Examples
    --------
    >>> check_seed(7)
    7
    >>> try:
    ...     check_seed(-1)
    ... except InputError as exc:
    ...     print(exc)
    seed must be a whole number from 0 to 2**63 - 1; got seed=-1. Pass e.g. seed=0.
    """
    s = _whole(seed)
    if s is None or not 0 <= s <= MAX_SEED:
        raise InputError(
            f"{name} must be a whole number from 0 to 2**63 - 1; got {name}={shown(seed)}. "
            f"Pass e.g. {name}=0."
        )
    return s


def check_flag(value: object, name: str) -> bool:
    """Return ``value`` if it is a bool (numpy's included), else raise InputError naming it."""
    if not isinstance(value, bool | np.bool_):
        raise InputError(f"{name} must be True or False; got {shown(value)}.")
    return bool(value)


def check_preset(name: object, known: Mapping[str, object]) -> str:
    """Return ``name`` if it names a preset, else raise InputError with a did-you-mean."""
    if not isinstance(name, str):
        raise InputError(
            f"preset must be a preset name, one of {sorted(known)}; got {shown(name)}."
        )
    v.check_choice(name, sorted(known), "preset")
    return name


def diverged(p: ScenarioParams, year: int, detail: str) -> InputError:
    """Return the error of a run whose numbers stopped being finite in ``year``.

    Names the parameters furthest from their defaults (by ratio), the usual cause.
    """
    from geoai.scenario.params import ScenarioParams

    default = ScenarioParams()
    far: list[tuple[float, str]] = []
    for f in fields(p):
        given, base = float(getattr(p, f.name)), float(getattr(default, f.name))
        if given != base:
            ratio = abs(given) / abs(base) if base != 0 else abs(given) + 1.0
            far.append((abs(math.log(max(ratio, 1e-300))), f"{f.name}={given:.6g}"))
    names = ", ".join(n for _, n in sorted(far, reverse=True)[:4]) or "none"
    return InputError(
        f"the simulation stopped producing finite numbers in {year} ({detail}): the "
        f"parameters are outside a range the model can run; furthest from their defaults: "
        f"{names}. Bring them nearer their defaults (ScenarioParams().describe()) or "
        "shorten the run (end=)."
    )


_S = TypeVar("_S")


def check_simulations(sims: object, kind: type[_S], *, allow_empty: bool = False) -> dict[str, _S]:
    """Return ``sims`` (a list or dict of ``kind``, Simulation results) as a dict by name.

    A list is keyed by each simulation's ``preset``; two of the same preset in a
    list would overwrite each other, so they are refused (pass a dict instead).
    ``kind`` is :class:`~geoai.scenario.Simulation`, passed by the caller (this
    module sits below the simulation module).
    """
    named: dict[object, object] = {}
    if isinstance(sims, Mapping):
        named.update(sims)
    elif isinstance(sims, Sequence) and not isinstance(sims, str | bytes):
        for s in sims:
            key = getattr(s, "preset", None) if isinstance(s, kind) else str(len(named))
            if key in named:
                raise InputError(
                    f"two simulations of preset {key!r} were given in a list; pass a dict "
                    "{name: simulation} to tell them apart."
                )
            named[key] = s
    else:
        raise InputError(
            f"expected a list or dict of Simulation results (geoai.scenario.simulate); got "
            f"{shown(sims)}."
        )
    bad = [k for k, s in named.items() if not isinstance(s, kind)]
    if bad:
        raise InputError(
            f"every value must be a Simulation (geoai.scenario.simulate); {shown(bad[0])} is a "
            f"{type(named[bad[0]]).__name__}."
        )
    if not named and not allow_empty:
        raise InputError("give at least one Simulation (geoai.scenario.simulate).")
    return {str(k): cast("_S", s) for k, s in named.items()}


def check_countries(countries: object, columns: Sequence[str]) -> pd.DataFrame:
    """Return ``countries`` if it is a DataFrame with ``columns``, else raise InputError."""
    if not isinstance(countries, pd.DataFrame):
        raise InputError(
            f"countries must be a pandas DataFrame indexed by ISO3 (geoai.load_countries()); "
            f"got {shown(countries)}."
        )
    missing = [c for c in columns if c not in countries.columns]
    if missing:
        raise InputError(
            f"countries lacks the column(s) {missing}; pass geoai.load_countries() or a table "
            f"with {list(columns)}."
        )
    return countries


#: Panel columns that are NaN where a country's fiscal buffer is unknown (documented).
_UNKNOWN_IS_NAN = frozenset({"fiscal_buffer", "fiscal_stress", "fracture"})
_R = TypeVar("_R", float, "FloatArray")


def check_record(record: dict[str, _R], p: ScenarioParams, year: int) -> dict[str, _R]:
    """Return one year's ``record`` if its values are finite, else the divergence error.

    The fiscal columns are NaN by design where a country's NIIP is unknown; they
    may be NaN, never infinite.
    """
    arrays = [x for x in record.values() if isinstance(x, np.ndarray)]
    if len(arrays) == len(record):  # a panel year: one pass over each kind of column
        strict = [x for c, x in record.items() if c not in _UNKNOWN_IS_NAN]
        loose = [x for c, x in record.items() if c in _UNKNOWN_IS_NAN]
        finite = not strict or bool(np.isfinite(np.concatenate(strict)).all())
        if finite and not (loose and np.isinf(np.concatenate(loose)).any()):
            return record
    bad = [
        col
        for col, values in record.items()
        if (np.isinf(values).any() if col in _UNKNOWN_IS_NAN else not np.isfinite(values).all())
    ]
    if bad:
        raise diverged(p, year, f"non-finite {', '.join(bad[:3])}")
    return record
