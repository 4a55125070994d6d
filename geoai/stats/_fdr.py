"""Benjamini-Hochberg false-discovery-rate control for permutation p-values.

The step-up procedure of Benjamini & Hochberg (1995): rejections, adjusted
p-values, and how many permutations a permutation test needs before its
smallest attainable p-value can pass the first step. Exposed as
:func:`geoai.stats.fdr`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from geoai.errors import InputError
from geoai.stats import _checks as c

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from geoai._typing import BoolArray, FloatArray

__all__ = ["fdr"]


def _bh_steps(alpha: float, m: int) -> FloatArray:
    """Benjamini-Hochberg thresholds ``r alpha / m`` for ranks ``r = 1..m``."""
    return alpha * np.arange(1, m + 1) / m


def _bh(p: FloatArray, alpha: float) -> BoolArray:
    out = np.zeros(p.size, dtype=bool)
    valid = np.flatnonzero(~np.isnan(p))
    m = valid.size
    if m == 0:
        return out
    ranked = np.sort(p[valid])
    passed = np.flatnonzero(ranked <= _bh_steps(alpha, m))
    if passed.size:
        out[valid] = p[valid] <= ranked[passed[-1]]
    return out


def _bh_adjusted(p: FloatArray) -> FloatArray:
    """BH-adjusted p-values ``min(1, min_{j >= r} m p_(j) / j)``; NaN stays NaN."""
    out = np.full(p.size, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    m = valid.size
    if m:
        order = valid[np.argsort(p[valid], kind="stable")]
        scaled = p[order] * m / np.arange(1, m + 1)
        out[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return out


def _permutations_needed(level: float, *, strict: bool) -> int:
    """Smallest ``P`` with ``1 / (P + 1) <= level`` (``<`` when ``strict``)."""

    def reached(q: int) -> bool:
        floor = 1.0 / (q + 1)
        return floor < level if strict else floor <= level

    need = max(int(np.ceil(1.0 / level)) - 1, 0)
    while not reached(need):
        need += 1
    while need > 0 and reached(need - 1):
        need -= 1
    return need


def fdr(pvalues: ArrayLike, alpha: float = 0.05) -> BoolArray:
    """Benjamini-Hochberg step-up procedure: which p-values are discoveries.

    With the ``m`` non-NaN p-values sorted, ``p_(1) <= ... <= p_(m)``, find
    the largest ``r`` with ``p_(r) <= r alpha / m`` and reject every
    hypothesis with ``p <= p_(r)``. NaN p-values (islands) are not
    discoveries and do not count in ``m``.

    Parameters
    ----------
    pvalues : array-like, shape (n,)
        P-values in [0, 1], NaN allowed.
    alpha : float, default 0.05
        False discovery rate, in (0, 1).

    Returns
    -------
    numpy.ndarray of bool, shape (n,)
        True where the null hypothesis is rejected.

    Raises
    ------
    InputError
        ``pvalues`` not numbers, not one-dimensional or outside [0, 1];
        ``alpha`` not a number in (0, 1).

    Examples
    --------
    >>> from geoai.stats import fdr
    >>> fdr([0.01, 0.04, 0.03, 0.2], 0.05).tolist()
    [True, False, False, False]
    """
    try:
        p = np.asarray(pvalues, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise InputError("pvalues must be numbers in [0, 1] (NaN allowed).") from None
    if p.ndim != 1:
        raise InputError(f"pvalues must be one-dimensional; got shape {p.shape}.")
    valid = p[~np.isnan(p)]
    if ((valid < 0) | (valid > 1)).any():
        raise InputError("pvalues must lie in [0, 1] (NaN allowed for missing tests).")
    return _bh(p, c.level(alpha, "alpha"))
