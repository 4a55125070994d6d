"""Argument checks shared by the public functions of :mod:`geoai.flows`.

Each turns a bad argument into an :class:`~geoai.errors.InputError` that
names it, says what was expected and what was given, and how to fix it,
before any kernel runs: exponents and scales that must be finite, counts that
must be whole numbers, own distances of the wrong length, pandas inputs whose
labels disagree, and coincident places under a decay that is infinite at
distance zero.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from geoai import _validate as v
from geoai.errors import InputError
from geoai.kernels import decay as kd

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from geoai._typing import FloatArray

__all__ = [
    "MAX_LOG10_WEIGHT",
    "MAX_TOTAL_MASS",
    "Exponents",
    "check_coincident",
    "check_exponents",
    "check_iteration",
    "check_magnitude",
    "interaction_labels",
    "own_distances",
    "singular_at_zero",
]

#: Largest total of a mass argument: products of up to three masses stay inside float64.
MAX_TOTAL_MASS = 1e100
#: Largest ``log10`` of ``k * mass_o**alpha * mass_d**gamma`` (deterrence and sums fit on top).
MAX_LOG10_WEIGHT = 200.0


class Exponents(NamedTuple):
    """Checked mass exponents and scale of the Wilson model ``k O_i^alpha D_j^gamma f(c_ij)``.

    Attributes
    ----------
    alpha, gamma : float
        Exponents of the origin and destination masses (finite).
    k : float
        Scale (finite, > 0).
    """

    alpha: float
    gamma: float
    k: float


def check_exponents(
    alpha: object, gamma: object, k: object, mo: FloatArray, md: FloatArray
) -> Exponents:
    """Check ``alpha``, ``gamma`` (finite) and ``k`` (finite, > 0) against the masses.

    A negative exponent on a zero mass would give an infinite weight, so it is
    refused too.

    Parameters
    ----------
    alpha, gamma, k : object
        The arguments as given.
    mo, md : numpy.ndarray, shape (n_o,) and (n_d,)
        Origin and destination masses, already checked (>= 0).

    Returns
    -------
    Exponents

    Examples
    --------
    >>> check_exponents(1, 0.5, 2, np.ones(2), np.ones(3))
    Exponents(alpha=1.0, gamma=0.5, k=2.0)
    """
    a = v.check_finite_number(alpha, "alpha")
    g = v.check_finite_number(gamma, "gamma")
    scale = v.check_positive(k, "k")
    for exponent, masses, name, mass_name in (
        (a, mo, "alpha", "mass_o"),
        (g, md, "gamma", "mass_d"),
    ):
        zero = np.flatnonzero(masses == 0)
        if exponent < 0 and zero.size:
            raise InputError(
                f"{name}={exponent:g} is negative but {mass_name} is 0 at positions "
                f"{zero[:5].tolist()}, which would weigh infinitely; drop those places or use "
                f"{name} >= 0."
            )
    size = math.log10(scale) + _log10_weight(a, mo) + _log10_weight(g, md)
    if size > MAX_LOG10_WEIGHT:
        raise InputError(
            f"k * mass_o**alpha * mass_d**gamma reaches 1e{size:.0f}, beyond what float64 flows "
            f"can carry (1e{MAX_LOG10_WEIGHT:.0f}); rescale the masses (e.g. in millions) or "
            "lower alpha, gamma or k."
        )
    return Exponents(a, g, scale)


def _log10_weight(exponent: float, masses: FloatArray) -> float:
    """``log10`` of the largest ``mass ** exponent`` over the positive masses (0 if none)."""
    positive = masses[masses > 0]
    if exponent == 0 or positive.size == 0:
        return 0.0
    extreme = positive.max() if exponent > 0 else positive.min()
    return exponent * math.log10(float(extreme))


def check_magnitude(values: FloatArray, name: str) -> FloatArray:
    """Return ``values`` (checked masses) if their total stays far inside float64's range.

    Flow models multiply and sum masses; a total beyond 1e100 would overflow
    to ``inf`` (then NaN) inside the kernels, so it is refused with the fix.
    """
    total = float(np.sum(values, dtype=np.float64)) if values.size else 0.0
    if not total <= MAX_TOTAL_MASS:  # also catches an overflowing sum (inf)
        raise InputError(
            f"{name} sums to {total:.3g}, beyond {MAX_TOTAL_MASS:.0e}: products of such masses "
            "overflow float64. Rescale them (e.g. in millions) and scale the flows back."
        )
    return values


def check_iteration(tol: object, max_iter: object) -> tuple[float, int]:
    """Check an iterative method's relative tolerance (> 0) and iteration cap (int >= 1).

    Examples
    --------
    >>> check_iteration(1e-8, 1e4)
    (1e-08, 10000)
    """
    return v.check_positive(tol, "tol"), v.check_integer(max_iter, "max_iter", minimum=1)


def singular_at_zero(kind: int, a: float) -> bool:
    """Whether the decay ``(kind, a)`` of :mod:`geoai.kernels.decay` is infinite at cost 0.

    Examples
    --------
    >>> singular_at_zero(kd.POWER, 0.0), singular_at_zero(kd.KINDS["exponential"], 0.0)
    (True, False)
    """
    return kind == kd.POWER or (kind == kd.TANNER and a < 0)


def check_coincident(
    xyz: FloatArray, decay: tuple[int, float, float], decay_name: str, name: str = "points"
) -> None:
    """Refuse places at the same location when the decay is infinite at distance 0.

    Two distinct places at one location are 0 km apart, which a power decay
    (or a Tanner decay with ``a < 0``) turns into an infinite flow. Their
    self pairs are another matter (``own_distance=``); this is about pairs of
    different places.

    Parameters
    ----------
    xyz : numpy.ndarray, shape (2 or 3, n)
        Kernel coordinates (:class:`geoai._geodesy.KernelPoints`).
    decay : tuple of (int, float, float)
        The kernel's ``(kind, beta, a)``.
    decay_name : str
        The decay as the caller named it (for the message).
    name : str
        The points' argument name.

    Examples
    --------
    >>> xyz = np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
    >>> try:
    ...     check_coincident(xyz, (kd.POWER, 2.0, 0.0), "power")
    ... except InputError as exc:
    ...     print(str(exc)[:41], "positions [0, 1]" in str(exc))
    points has 2 places that share a location True
    """
    kind, _, a = decay
    if not singular_at_zero(kind, a) or xyz.shape[1] < 2:
        return
    _, inverse, counts = np.unique(xyz.T, axis=0, return_inverse=True, return_counts=True)
    shared = counts[inverse.ravel()] > 1
    if shared.any():
        first = np.flatnonzero(shared)[0]
        same = np.flatnonzero(inverse.ravel() == inverse.ravel()[first])[:5].tolist()
        raise InputError(
            f"{name} has {int(shared.sum())} places that share a location with another (e.g. "
            f"positions {same}), and decay={decay_name!r} is infinite at distance 0; merge or "
            "drop the duplicates (e.g. points.drop_duplicates('geometry')) or use a decay "
            "that is finite at 0, such as 'exponential'."
        )


def own_distances(
    own_distance: ArrayLike | pd.Series | None, n: int, index: pd.Index | None = None
) -> FloatArray:
    """Own distances (km) per point from a number, ``n`` values, or a Series (aligned by label).

    Parameters
    ----------
    own_distance : float, array-like of shape (n,), pandas.Series or None
        km > 0 for each self pair; NaN (or None for all) leaves the pair out.
    n : int
        Number of points.
    index : pandas.Index, optional
        The points' row labels, to align a Series.

    Returns
    -------
    numpy.ndarray, shape (n,)

    Examples
    --------
    >>> own_distances(5.0, 3).tolist(), own_distances([1.0, np.nan], 2).tolist()
    ([5.0, 5.0, 5.0], [1.0, nan])
    """
    if own_distance is None:
        return np.full(n, np.nan)
    own_distance = v.align_to_index(own_distance, index, "own_distance")
    try:
        own = np.asarray(own_distance, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise InputError(
            f"own_distance must be a number or {n} numbers (km); got "
            f"{type(own_distance).__name__}. Convert it with numpy.asarray(..., dtype=float)."
        ) from None
    if own.ndim == 0:
        own = np.full(n, float(own))
    elif own.shape != (n,):
        raise InputError(
            f"own_distance has shape {own.shape} but there are {n} points; pass one km value "
            "per point (NaN to leave a self pair out) or a single number for all."
        )
    else:
        own = own.copy()
    bad = np.flatnonzero(~np.isnan(own) & ~(own > 0))
    if bad.size:
        raise InputError(
            f"own_distance must be > 0 km (or NaN to exclude a self pair); got "
            f"{own[bad[:3]].tolist()} at positions {bad[:5].tolist()}."
        )
    return own


def interaction_labels(
    mass_o: object, mass_d: object, cost: object
) -> tuple[pd.Index | None, pd.Index | None]:
    """Row labels to align the origin and destination inputs of a dense model to.

    A cost DataFrame's index and columns come first (they say which origin
    and destination each cost belongs to); otherwise the labels of ``mass_o``
    and ``mass_d`` when they are Series, so that ``outflows`` and ``inflows``
    given as Series follow them. None where there are no labels.

    Examples
    --------
    >>> cost = pd.DataFrame([[1.0, 2.0]], index=["a"], columns=["x", "y"])
    >>> [list(i) for i in interaction_labels([1.0], [1.0, 2.0], cost)]
    [['a'], ['x', 'y']]
    """
    if isinstance(cost, pd.DataFrame):
        return cost.index, cost.columns
    return v.index_of(mass_o), v.index_of(mass_d)
