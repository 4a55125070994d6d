"""Furness (IPF) balancing of doubly-constrained models, accelerated with SQUAREM.

Shared by the dense, float32-stored and matrix-free paths of
:mod:`geoai.flows`: each supplies a *sweep* (destination factors ``b`` to the
origin factors ``a`` and new ``b``), this module drives it to tolerance.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from geoai.errors import ConvergenceError, InputError
from geoai.kernels import interaction as ki
from geoai.kernels import n_threads

__all__ = ["dense_sweep", "furness", "squarem_furness"]

Sweep = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def squarem_furness(
    sweep: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    n_d: int,
    tol: float,
    max_iter: int,
) -> tuple[np.ndarray, np.ndarray, int, float]:
    """Drive Furness sweeps to ``tol`` with SQUAREM extrapolation (Varadhan & Roland 2008).

    A sweep maps destination factors ``b`` to ``b'``. The relative change
    ``max |b / b' - 1|`` is the largest relative column error left by
    ``(a(b), b)``, whose rows are exact, so it is the stopping rule. Each
    SQUAREM cycle takes two sweeps, extrapolates in ``log b`` and takes a
    third sweep from there, which cuts the sweeps needed several-fold on
    slowly mixing (strongly clustered) geographies.
    """
    b = np.ones(n_d)
    done = 0

    def change(old: np.ndarray, new: np.ndarray) -> float:
        live = (old > 0) & (new > 0) & np.isfinite(old)
        return float(np.max(np.abs(old[live] / new[live] - 1.0), initial=0.0))

    while done < max_iter:
        a, b1 = sweep(b)
        done += 1
        if np.isinf(a).any() or np.isinf(b1).any():
            return a, b1, done, np.inf
        residual = change(b, b1)
        if residual <= tol:
            return a, b, done, residual
        _, b2 = sweep(b1)
        done += 1
        live = (b > 0) & (b1 > 0) & (b2 > 0)
        lb, l1, l2 = np.log(b[live]), np.log(b1[live]), np.log(b2[live])
        r, v = l1 - lb, l2 - 2.0 * l1 + lb
        alpha = min(-np.sqrt(np.sum(r * r) / max(np.sum(v * v), 1e-300)), -1.0)
        jump = b2.copy()
        jump[live] = np.exp(lb - 2.0 * alpha * r + alpha * alpha * v)
        b = jump if np.all(np.isfinite(jump)) else b2
    a, b1 = sweep(b)
    return a, b, max_iter, change(b, b1)


def furness(
    sweep: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    n_d: int,
    tol: float,
    max_iter: int,
) -> tuple[np.ndarray, np.ndarray, int, float]:
    a, b, n_iter, residual = squarem_furness(sweep, n_d, tol, max_iter)
    if not np.isfinite(residual):
        raise InputError(
            "a positive outflow or inflow cannot reach any partner (its row or column of "
            "f(c) is all zero); check infinite costs or a box cut-off that is too short."
        )
    if residual > tol:
        raise ConvergenceError(
            f"Furness balancing did not reach tol={tol:g} in {max_iter} sweeps (largest "
            f"relative margin error {residual:.3e}); raise max_iter or loosen tol.",
            residual=residual,
            n_iter=n_iter,
        )
    return a, b, n_iter, residual


def dense_sweep(
    f: np.ndarray, o: np.ndarray, d: np.ndarray
) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
    nt = n_threads()
    return lambda b: ki.furness_sweep(f, o, d, b, nt)
